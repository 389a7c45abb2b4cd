import Foundation

/// The sink's write URL on its server: `/write?db=…&rp=…&precision=…` (v1) or
/// `/api/v2/write?org=…&bucket=…&precision=…` (v2). Credentials are the server's header, never
/// in the URL, so a logged URL leaks nothing.
struct InfluxEndpoint: Sendable {
    let server: InfluxServer
    let writeURL: String
    let api: InfluxSinkConfiguration.API

    init(_ configuration: InfluxSinkConfiguration, server: InfluxServer) throws {
        var query: [URLQueryItem]
        let path: String
        switch configuration.api {
        case .v1:
            path = "/write"
            query = [URLQueryItem(name: "db", value: configuration.database)]
            if let rp = configuration.retentionPolicy { query.append(URLQueryItem(name: "rp", value: rp)) }
            query.append(URLQueryItem(name: "precision", value: configuration.precision.v1Name))
        case .v2:
            path = "/api/v2/write"
            query = []
            if let org = configuration.org { query.append(URLQueryItem(name: "org", value: org)) }
            query.append(URLQueryItem(name: "bucket", value: configuration.bucket))
            query.append(URLQueryItem(name: "precision", value: configuration.precision.rawValue))
        }
        self.server = server
        writeURL = try server.url(path, query: query)
        api = configuration.api
    }
}
