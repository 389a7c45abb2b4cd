import Foundation
import Synchronization
public import Nats
public import PipelineConfig

/// The options every NATS component shares: where the servers are, the JetStream domain, and
/// the stream it declares (created or updated at start).
public struct NatsServerOptions: Sendable {
    /// `nats://host:port` each; several for a cluster (the client fails over between them).
    public var urls: [String]
    /// The JetStream domain to talk to (a leaf node's own); nil for the one the server is in.
    public var domain: String?
    /// How long a JetStream call waits for its answer.
    public var requestTimeout: Duration
    /// The stream to declare (`stream:` as a mapping).
    public var stream: NatsStreamSettings?
    /// The stream named only (`stream: NAME`): it must exist.
    public var streamName: String?

    public init(urls: [String]) {
        self.urls = urls
        requestTimeout = .seconds(5)
    }

    public init(options: inout OptionsReader) {
        self.init(urls: [])
        if options.has("urls") {
            urls = options.stringList("urls") ?? []
        } else {
            urls = [options.requiredString("url")]
        }
        let urlsLocation = options.node("urls")?.location ?? options.node("url")?.location ?? options.location
        for url in urls where !Self.isServerURL(url) {
            options.fail(urlsLocation, "'\(options.componentID)': '\(Self.displayName(url))' is not a nats://host:port URL")
        }
        domain = options.string("domain").flatMap { $0.isEmpty ? nil : $0 }
        requestTimeout = options.duration("request_timeout", default: requestTimeout)
        if let node = options.node("stream") {
            if let name = node.scalar {
                streamName = name
            } else {
                stream = Self.readStream(node, options: &options)
            }
        }
    }

    static func isServerURL(_ text: String) -> Bool {
        guard let url = URLComponents(string: text), ["nats", "tls"].contains(url.scheme ?? ""), url.host?.isEmpty == false else { return false }
        return true
    }

    /// scheme://host:port only: a user and password in the URL are never shown.
    public static func displayName(_ text: String) -> String {
        guard let url = URLComponents(string: text), let scheme = url.scheme, let host = url.host else { return "<not a URL>" }
        return "\(scheme)://\(host)" + (url.port.map { ":\($0)" } ?? "")
    }

    public var displayName: String { urls.map(Self.displayName).joined(separator: ",") }

    static func readStream(_ node: ConfigNode, options: inout OptionsReader) -> NatsStreamSettings? {
        guard let pairs = node.mapping else {
            options.fail(node.location, "'\(options.componentID)': stream must be a mapping with name and subjects")
            return nil
        }
        var reader = OptionsReader(componentID: options.componentID, location: node.location, pairs: pairs)
        var settings = NatsStreamSettings(name: reader.requiredString("name"), subjects: reader.stringList("subjects") ?? [])
        settings.retention = reader.oneOf("retention", default: .limits)
        settings.replicas = reader.int("replicas", default: 1, range: 1...5)
        settings.memory = reader.oneOf("storage", default: Storage.file) == .memory
        settings.maxAge = reader.duration("max_age", default: .zero)
        settings.maxBytes = reader.byteSize("max_bytes", default: 0, range: 0...(1 << 50))
        settings.duplicateWindow = reader.duration("duplicate_window", default: settings.duplicateWindow)
        settings.sourceDomains = reader.stringList("source_domains") ?? []
        settings.sourceStream = reader.string("source_stream")
        if settings.sourceStream != nil, settings.sourceDomains.isEmpty {
            reader.fail(node.location, "'\(options.componentID)': stream source_stream needs source_domains")
        }
        if settings.subjects.isEmpty && settings.sourceDomains.isEmpty {
            reader.fail(node.location, "'\(options.componentID)': stream needs subjects (or source_domains, for an aggregate)")
        }
        if !settings.name.isEmpty, settings.name.contains(where: { " .*>".contains($0) }) {
            reader.fail(node.location, "'\(options.componentID)': stream name '\(settings.name)' may not contain spaces, '.', '*' or '>'")
        }
        do throws(ConfigErrors) {
            try reader.finish(keysAre: "stream key")
        } catch {
            for problem in error.errors { options.fail(problem.location, problem.message) }
        }
        return settings
    }

    enum Storage: String, CaseIterable { case file, memory }

    /// Connects (the connection keeps retrying in the background) and declares the stream.
    func connect(name: String) async throws -> NatsConnection {
        let connection = try await NatsConnection.connect(urls: urls, name: name, domain: domain, wait: requestTimeout)
        return connection
    }
}


/// Whether a component's stream has been declared on the server in this run.
final class StreamDeclaration: Sendable {
    private let state = Mutex(false)
    var done: Bool { state.withLock { $0 } }
    func set() { state.withLock { $0 = true } }
}
