import NIOPosix
#if canImport(Glibc)
import Glibc
#endif

/// Host names resolved per round (A or AAAA) off the cooperative pool; addresses pass through.
/// The lookups (`getaddrinfo`, which blocks and cannot be cancelled) run on threads of their
/// own, so a resolver that does not answer never holds the shared pool's file I/O.
public enum HostResolver {
    static let threads: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 16)
        pool.start()
        return pool
    }()

    public static func resolve(_ host: String, family: IPAddress.Family) async -> Result<IPAddress, ResolveError> {
        if let address = IPAddress(literal: host) { return .success(address) }
        do {
            return try await threads.runIfActive { lookup(host, family: family) }
        } catch {
            return .failure(ResolveError(message: "cannot resolve '\(host)': \(error)"))
        }
    }

    public struct ResolveError: Error {
        public let message: String

        public init(message: String) { self.message = message }
    }

    static func lookup(_ host: String, family: IPAddress.Family) -> Result<IPAddress, ResolveError> {
        var hints = addrinfo()
        hints.ai_family = family == .v4 ? AF_INET : AF_INET6
        hints.ai_socktype = Int32(SOCK_DGRAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, nil, &hints, &list)
        defer { if let list { freeaddrinfo(list) } }
        guard status == 0, let first = list, let address = first.pointee.ai_addr else {
            return .failure(ResolveError(message: "cannot resolve '\(host)': \(String(cString: gai_strerror(status)))"))
        }
        var storage = sockaddr_storage()
        withUnsafeMutableBytes(of: &storage) { raw in
            raw.copyMemory(from: UnsafeRawBufferPointer(start: address, count: Int(first.pointee.ai_addrlen)))
        }
        guard let resolved = IPAddress(storage) else {
            return .failure(ResolveError(message: "cannot resolve '\(host)': no address"))
        }
        return .success(IPAddress(family: resolved.family, bytes: resolved.bytes))
    }
}
