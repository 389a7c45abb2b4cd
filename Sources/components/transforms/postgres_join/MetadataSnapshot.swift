public import TargetStore
public import Foundation
import Synchronization

/// Numbers snapshots, so a consumer can tell a new one from the one it prepared for.
private let snapshotGenerations = Atomic<Int>(0)

/// Targets as the join looks them up, by name and by host. Immutable: a refresh builds a new
/// one and swaps it in, so the hot path reads one reference per batch.
public struct MetadataSnapshot: Sendable, Codable {
    public let targets: [TargetRecord]
    /// When this content was read from its origin (seconds since 1970).
    public let loadedAt: Double
    public let byName: [String: Int]
    public let byHost: [String: Int]
    /// Unique per snapshot built in this process.
    public let generation: Int

    public init(targets: [TargetRecord], loadedAt: Double = Date().timeIntervalSince1970) {
        self.generation = snapshotGenerations.add(1, ordering: .relaxed).newValue
        self.targets = targets
        self.loadedAt = loadedAt
        var byName: [String: Int] = [:]
        var byHost: [String: Int] = [:]
        byName.reserveCapacity(targets.count)
        byHost.reserveCapacity(targets.count)
        for (index, target) in targets.enumerated() {
            byName[target.name] = index
            // Several targets may share a host: the first (by name) wins, deterministically.
            if byHost[target.host] == nil { byHost[target.host] = index }
        }
        self.byName = byName
        self.byHost = byHost
    }

    enum CodingKeys: String, CodingKey { case targets, loadedAt = "loaded_at" }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(targets: try container.decode([TargetRecord].self, forKey: .targets), loadedAt: try container.decode(Double.self, forKey: .loadedAt))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(targets, forKey: .targets)
        try container.encode(loadedAt, forKey: .loadedAt)
    }

    @inlinable
    public func target(named name: String) -> TargetRecord? { byName[name].map { targets[$0] } }

    @inlinable
    public func target(host: String) -> TargetRecord? { byHost[host].map { targets[$0] } }
}
