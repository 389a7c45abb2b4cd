public import Foundation

/// Where sources and jobs keep their positions: small named documents, each replaced as a
/// whole. The state directory is one backend, PostgreSQL another (several agents sharing one
/// database). Implementations must make `save` atomic: a crash leaves the old or the new
/// document, never a torn one.
public protocol CheckpointStorage: Sendable, CustomStringConvertible {
    /// The stored document, or nil when there is none yet (never for one that cannot be read).
    func load(_ name: String) async throws -> Data?
    /// Replaces the document durably.
    func save(_ name: String, _ document: Data) async throws
    /// Where the document `name` is, for messages: a file, a row.
    func location(of name: String) -> String
    /// What an operator does to make a component start `name` afresh.
    func resetAdvice(for name: String) -> String
    /// Releases what the backend holds (connections); the run is over.
    func close() async
}

extension CheckpointStorage {
    public func location(of name: String) -> String { "\(self) document '\(name)'" }
    public func resetAdvice(for name: String) -> String { "remove the document '\(name)' from \(self)" }
    public func close() async {}
}

/// A checkpoint backend that failed; the message names the document, never a credential.
public struct CheckpointStorageError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }

    /// A document that cannot be used as it is (corrupt, another version): which one, what is
    /// wrong, and how to reset it (`afresh`: what the component then does).
    public static func unusable(
        _ name: String, in storage: any CheckpointStorage, _ problem: String, afresh: String
    ) -> CheckpointStorageError {
        CheckpointStorageError(
            "\(storage.location(of: name)): \(problem); to start afresh (\(afresh)), stop smokeflow and \(storage.resetAdvice(for: name))")
    }
}
