import AsyncHTTPClient
import ConfigManager
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import SmokeflowTesting
import TargetStore
import Testing
import WebAdmin

/// `smokeflow serve` with its web admin, in the test process on free ports, over a file store in
/// a temporary folder: the API and the pages share one gateway, as in the real command.
final class RunningWebAdmin: Sendable {
    static let password = "correct horse battery staple"
    let base: String
    let directory: String
    let api: ConfigManagerServer
    let apiBase: String
    static let apiToken = "web-test-token-0123456789"
    let group: ServiceGroup
    let running: Task<Void, any Error>

    init(credentials: WebCredentials = WebCredentials(username: "admin", passwordHash: nil, password: RunningWebAdmin.password),
         graphs: (any SmokeGraphProvider)? = nil, prepare: [StoreOperation] = [], generatesFiles: Bool = false) async throws {
        directory = temporaryDirectory()
        let store = FileStore(path: directory + "/targets.yaml", logger: RunningConfigServer.logger)
        if !prepare.isEmpty { _ = try await store.apply(prepare) }
        api = ConfigManagerServer(
            store: store, token: RunningWebAdmin.apiToken, host: "127.0.0.1", port: 0, snapshotPath: nil,
            publishing: generatesFiles ? SmokePingFilesPublisher(directory: directory + "/smokeping", configFile: nil, pidfile: nil, logFile: nil) : nil,
            logger: RunningConfigServer.logger)
        var settings = WebAdminServer.Settings(credentials: credentials)
        settings.port = 0
        let web = try WebAdminServer(settings: settings, gateway: api.gateway, publisher: api.publisher, graphs: graphs, logger: RunningConfigServer.logger)
        group = ServiceGroup(services: api.services + web.services, logger: RunningConfigServer.logger)
        running = Task { [group] in try await group.run() }
        base = "http://127.0.0.1:\(await web.boundPort.value())"
        apiBase = "http://127.0.0.1:\(await api.boundPort.value())"
    }

    func stop() async throws {
        await group.triggerGracefulShutdown()
        try await running.value
    }

    func targets() async throws -> [StoredTarget] { try await api.gateway.snapshot().snapshot.targets }
}

func withWebAdmin(
    credentials: WebCredentials = WebCredentials(username: "admin", passwordHash: nil, password: RunningWebAdmin.password),
    graphs: (any SmokeGraphProvider)? = nil, prepare: [StoreOperation] = [], generatesFiles: Bool = false,
    _ body: (RunningWebAdmin) async throws -> Void
) async throws {
    let server = try await RunningWebAdmin(credentials: credentials, graphs: graphs, prepare: prepare, generatesFiles: generatesFiles)
    do {
        try await body(server)
    } catch {
        try? await server.stop()
        throw error
    }
    try await server.stop()
}

/// A browser without the browser: one cookie, no redirects followed, the CSRF token of the last
/// page read from its `<meta name="csrf-token">`.
final class WebBrowser {
    static let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))

    struct Page: CustomStringConvertible {
        let status: UInt
        let body: String
        let headers: [(String, String)]
        func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
        var description: String { "\(status) \(header("location") ?? "") \(body.prefix(800))" }
    }

    let base: String
    var cookie: String?
    var csrfToken: String?

    init(_ server: RunningWebAdmin) { base = server.base }
    init(base: String) { self.base = base }

    @discardableResult
    func get(_ path: String) async throws -> Page {
        try await send(.GET, path, body: nil, contentType: nil, headers: [])
    }

    /// A form post; the page's CSRF token is added unless `csrf` says otherwise.
    @discardableResult
    func post(_ path: String, _ fields: [(String, String)], csrf: String?? = nil, headers: [(String, String)] = []) async throws -> Page {
        var fields = fields
        switch csrf {
        case .none: if let csrfToken { fields.append(("csrf_token", csrfToken)) }
        case .some(.some(let token)): fields.append(("csrf_token", token))
        case .some(.none): break
        }
        let body = fields.map { "\(Self.encode($0.0))=\(Self.encode($0.1))" }.joined(separator: "&")
        return try await send(.POST, path, body: Array(body.utf8), contentType: "application/x-www-form-urlencoded", headers: headers)
    }

    func postMultipart(_ path: String, fields: [(String, String)], file: (field: String, name: String, bytes: [UInt8])?) async throws -> Page {
        let boundary = "----smokeflow\(UInt64.random(in: 0...UInt64.max))"
        var body: [UInt8] = []
        var all = fields
        if let csrfToken { all.append(("csrf_token", csrfToken)) }
        for (name, value) in all {
            body += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8)
        }
        if let file {
            body += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(file.field)\"; filename=\"\(file.name)\"\r\nContent-Type: application/octet-stream\r\n\r\n".utf8)
            body += file.bytes + Array("\r\n".utf8)
        }
        body += Array("--\(boundary)--\r\n".utf8)
        return try await send(.POST, path, body: body, contentType: "multipart/form-data; boundary=\(boundary)", headers: [])
    }

    func signIn(_ password: String = RunningWebAdmin.password, next: String = "/", remember: Bool = false) async throws -> Page {
        try await get("/login")
        var fields = [("username", "admin"), ("password", password), ("next", next)]
        if remember { fields.append(("remember", "1")) }
        return try await post("/login", fields)
    }

    private func send(_ method: HTTPMethod, _ path: String, body: [UInt8]?, contentType: String?, headers: [(String, String)]) async throws -> Page {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        if let cookie { request.headers.add(name: "Cookie", value: cookie) }
        if let contentType { request.headers.add(name: "Content-Type", value: contentType) }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let response = try await Self.client.execute(request, timeout: .seconds(30))
        let text = String(buffer: try await response.body.collect(upTo: 64 << 20))
        for value in response.headers["Set-Cookie"] {
            let pair = String(value.split(separator: ";")[0])
            cookie = pair.hasSuffix("=") ? nil : pair
        }
        if let range = text.range(of: "<meta name=\"csrf-token\" content=\"") {
            csrfToken = String(text[range.upperBound...].prefix { $0 != "\"" })
        }
        return Page(status: response.status.code, body: text, headers: response.headers.map { ($0.name, $0.value) })
    }

    static func encode(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }
}
