import Foundation
import NIOHTTP1

/// The write URL and headers for one sink. Credentials go in headers, never in the URL, so
/// a logged URL leaks nothing.
struct InfluxEndpoint: Sendable {
    struct InvalidURL: Error, CustomStringConvertible {
        var description: String { "option 'url' is not a valid http(s) URL" }
    }

    let writeURL: String
    /// scheme://host:port, for logs and errors.
    let displayName: String
    let authorization: String?
    let api: InfluxSinkConfiguration.API

    init(_ configuration: InfluxSinkConfiguration) throws {
        guard var components = URLComponents(string: configuration.url), let host = components.host,
            components.scheme == "http" || components.scheme == "https"
        else { throw InvalidURL() }
        let embeddedUser = components.user
        let embeddedPassword = components.password
        components.user = nil
        components.password = nil
        var base = components.path
        if base.hasSuffix("/") { base.removeLast() }
        var query: [URLQueryItem]
        switch configuration.api {
        case .v1:
            components.path = base + "/write"
            query = [URLQueryItem(name: "db", value: configuration.database)]
            if let rp = configuration.retentionPolicy { query.append(URLQueryItem(name: "rp", value: rp)) }
            query.append(URLQueryItem(name: "precision", value: configuration.precision.v1Name))
        case .v2:
            components.path = base + "/api/v2/write"
            query = []
            if let org = configuration.org { query.append(URLQueryItem(name: "org", value: org)) }
            query.append(URLQueryItem(name: "bucket", value: configuration.bucket))
            query.append(URLQueryItem(name: "precision", value: configuration.precision.rawValue))
        }
        components.queryItems = query
        // URLQueryItem leaves '+' alone, which servers read as a space.
        components.percentEncodedQuery = components.percentEncodedQuery?.replacingOccurrences(of: "+", with: "%2B")
        guard let url = components.string else { throw InvalidURL() }
        writeURL = url
        displayName = "\(components.scheme!)://\(host)\(components.port.map { ":\($0)" } ?? "")"
        api = configuration.api
        if let token = configuration.token {
            authorization = "Token \(token.value)"
        } else if let username = configuration.username ?? embeddedUser, let password = configuration.password?.value ?? embeddedPassword {
            authorization = "Basic " + Data("\(username):\(password)".utf8).base64EncodedString()
        } else {
            authorization = nil
        }
    }
}
