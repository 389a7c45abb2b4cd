public import Hummingbird
import NIOCore

/// A web request's context: who sent it (the lockout counts per address) and its session once
/// the session middleware found one.
public struct WebContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The peer's address without the port, "unknown" for a Unix socket.
    public let remoteAddress: String
    var session: WebSession?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress?.ipAddress ?? "unknown"
    }

    /// Pages need bodies of a CSV import or a site list: up to 32 MiB.
    public var maxUploadSize: Int { 32 * 1024 * 1024 }
}
