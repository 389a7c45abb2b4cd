public import Foundation

/// Where sources and jobs keep their positions: small named documents, each replaced as a
/// whole. The state directory is one backend, PostgreSQL another (several agents sharing one
/// database). Implementations must make `save` atomic: a crash leaves the old or the new
/// document, never a torn one.
public protocol CheckpointStorage: Sendable, CustomStringConvertible {
    /// The stored document, or nil when there is none yet.
    func load(_ name: String) async throws -> Data?
    /// Replaces the document durably.
    func save(_ name: String, _ document: Data) async throws
}

/// A checkpoint backend that failed; the message names the document, never a credential.
public struct CheckpointStorageError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
