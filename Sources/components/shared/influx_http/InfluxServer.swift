import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import PipelineConfig

/// One InfluxDB server as the `influx` sink (`/write`, `/api/v2/write`) and the `influx_query`
/// source (`/query`) both talk to it: the base URL with no credentials in it, the credentials as
/// an `Authorization` header, and a name for logs and errors that holds no secret.
struct InfluxServer: Sendable {
    enum Credentials: Sendable {
        case none
        /// InfluxDB 1.x user and password, as HTTP Basic: never `u=`/`p=` in a URL that may be logged.
        case basic(username: String, password: Secret)
        /// `Authorization: Token …`: InfluxDB 2.x, and its v1-compatible `/query` and `/write`.
        case token(Secret)
    }

    struct InvalidURL: Error, CustomStringConvertible {
        var description: String { "option 'url' is not a valid http(s) URL" }
    }

    /// `scheme://host[:port]`: what logs and errors name, never a path, query or credential.
    let displayName: String
    let credentials: Credentials
    /// The configured URL without user and password, its path without a trailing `/`.
    private let base: URLComponents

    /// Credentials in the URL (`http://user:password@host`) count when the options give none;
    /// a token wins over a user and password.
    init(url: String, username: String?, password: Secret?, token: Secret?) throws(InvalidURL) {
        guard var components = URLComponents(string: url), let host = components.host, let scheme = components.scheme,
            scheme == "http" || scheme == "https"
        else { throw InvalidURL() }
        let embeddedUser = components.user
        let embeddedPassword = components.password
        components.user = nil
        components.password = nil
        components.query = nil
        components.fragment = nil
        if components.path.hasSuffix("/") { components.path.removeLast() }
        base = components
        displayName = "\(scheme)://\(host)\(components.port.map { ":\($0)" } ?? "")"
        if let token {
            credentials = .token(token)
        } else if let username = username ?? embeddedUser, let password = password ?? embeddedPassword.map(Secret.init) {
            credentials = .basic(username: username, password: password)
        } else {
            credentials = .none
        }
    }

    /// `path` (`/write`, `/query`) under the configured base path, with `query`; `+` is sent as
    /// `%2B`, since URLQueryItem leaves it alone and servers read it as a space.
    func url(_ path: String, query: [URLQueryItem]) throws(InvalidURL) -> String {
        var components = base
        components.path += path
        components.queryItems = query
        components.percentEncodedQuery = components.percentEncodedQuery?.replacingOccurrences(of: "+", with: "%2B")
        guard let url = components.string else { throw InvalidURL() }
        return url
    }

    /// The `Authorization` header's value: a `Secret`, so no interpolation of it can print it.
    var authorization: Secret? {
        switch credentials {
        case .none: return nil
        case .basic(let username, let password): return Secret("Basic " + Data("\(username):\(password.value)".utf8).base64EncodedString())
        case .token(let token): return Secret("Token \(token.value)")
        }
    }

    /// A request to `url` carrying the credentials.
    func request(_ url: String, method: HTTPMethod) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: url)
        request.method = method
        if let authorization { request.headers.add(name: "Authorization", value: authorization.value) }
        return request
    }

    /// `text` with every credential replaced by `<redacted>`: for what the server or the HTTP
    /// client said, before it goes into a log line or an error.
    func redacted(_ text: String) -> String {
        var secrets: [String] = []
        switch credentials {
        case .none: break
        case .basic(_, let password): secrets = [password.value, authorization?.value ?? ""]
        case .token(let token): secrets = [token.value]
        }
        return secrets.filter { !$0.isEmpty }.reduce(text) { $0.replacingOccurrences(of: $1, with: "<redacted>") }
    }

    /// The most of an answer's body that is read: error bodies are for one log line.
    static let bodyLimit = 64 * 1024

    /// The first `bodyLimit` bytes of `body`; the rest is left unread (a larger body is not an error).
    static func readBody(_ body: HTTPClientResponse.Body) async throws -> ByteBuffer {
        var collected = ByteBuffer()
        for try await var chunk in body {
            let room = bodyLimit - collected.readableBytes
            if chunk.readableBytes >= room {
                if let head = chunk.readSlice(length: room) { collected.writeImmutableBuffer(head) }
                break
            }
            collected.writeBuffer(&chunk)
        }
        return collected
    }

    /// What the server said in an error answer, on one line and redacted: `{"error": …}` (v1),
    /// `{"message": …}` (v2), else the first 512 bytes of the body.
    func message(from body: ByteBuffer) -> String {
        let data = Data(body.readableBytesView)
        var text = String(decoding: data.prefix(512), as: UTF8.self)
        if let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let message = object["error"] as? String ?? object["message"] as? String
        {
            text = message
        }
        return redacted(text.split(whereSeparator: \.isNewline).joined(separator: " "))
    }
}
