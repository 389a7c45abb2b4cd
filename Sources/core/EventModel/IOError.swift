#if canImport(Glibc)
import Glibc
#endif

/// A system call that failed: which one, on which path (none for sockets and pipes), and
/// errno — the one error type for errno (as swift-nio's `IOError`), in the core so the engines
/// use it too, and no caller loses the code or words it differently.
public struct IOError: Error, Sendable, Equatable, CustomStringConvertible {
    public let code: Int32
    public let function: String
    public let path: String?

    public init(_ code: Int32, _ function: String, path: String?) {
        self.code = code
        self.function = function
        self.path = path
    }

    /// Out of space (ENOSPC, EDQUOT): the caller may wait for space instead of failing for good.
    public var isOutOfSpace: Bool { code == ENOSPC || code == EDQUOT }

    /// The system's words for `code` (`strerror`), e.g. "No such file or directory".
    public var reason: String { String(cString: strerror(code)) }

    public var description: String { (path.map { "\($0): " } ?? "") + "\(function) failed: \(reason)" }
}
