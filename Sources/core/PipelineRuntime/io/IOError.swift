#if canImport(Glibc)
import Glibc
#endif

/// A system call that failed: which one, on which path, and errno — the one error type for
/// file IO (as swift-nio's `IOError`), so no caller loses the code or words it differently.
public struct IOError: Error, Sendable, Equatable, CustomStringConvertible {
    public let code: Int32
    public let function: String
    public let path: String

    public init(_ code: Int32, _ function: String, path: String) {
        self.code = code
        self.function = function
        self.path = path
    }

    /// Out of space (ENOSPC, EDQUOT): the caller may wait for space instead of failing for good.
    public var isOutOfSpace: Bool { code == ENOSPC || code == EDQUOT }

    public var description: String { "\(path): \(function) failed: \(String(cString: strerror(code)))" }
}
