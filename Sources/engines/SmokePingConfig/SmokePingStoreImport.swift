import Foundation
public import PipelineConfig
public import Postgres
import NIOPosix
public import TargetStore

/// `smokeflow targets import` of a SmokePing configuration (`/etc/smokeping/config`, or a
/// lone Targets file): every category, probe and target in one transaction, or nothing.
/// A file without a Probes section may name only probes the store already has.
public struct SmokePingStoreImport: Sendable {
    public struct Summary: Sendable {
        public var targets: Int
        public var categories: Int
        public var probes: Int
        /// What was not kept (multi-host graphs, slaves, probe settings), each with its place.
        public var notes: [ConfigError]
    }

    public var parser: SmokePingConfigParser

    public init(parser: SmokePingConfigParser = SmokePingConfigParser()) { self.parser = parser }

    /// Whether `path` is a SmokePing configuration rather than YAML or CSV, by its content
    /// (SmokePing's files have no extension); read on `NIOThreadPool`. False when unreadable.
    public static func isSmokePingConfig(path: String) async -> Bool {
        let text = try? await NIOThreadPool.singleton.runIfActive { () -> String? in
            FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) }
        }
        return (text ?? nil).map(SmokePingConfig.looksLikeSmokePingConfig) ?? false
    }

    /// A checked configuration, ready to write.
    public struct Checked: Sendable {
        public var config: SmokePingConfig
        public var targets: [TargetRecord]
        public var categories: [CategoryRecord]
        public var probes: [ProbeRecord]
    }

    /// Reads the files on `NIOThreadPool` (blocking reads) and checks them; no database needed.
    public func check(file: String) async throws -> Checked {
        let parser = parser
        let config = try await NIOThreadPool.singleton.runIfActive { try SmokePingConfig.read(file: file, parser: parser) }
        let records = try config.storeRecords()
        // The store keeps each target's probe by name; the file's default becomes explicit,
        // since the store's own default may be another probe.
        let targets = records.targets.map { target in
            var target = target
            if target.probe == nil { target.probe = config.defaultProbe }
            return target
        }
        return Checked(config: config, targets: targets, categories: records.categories, probes: records.probes)
    }

    /// Writes a checked configuration in one transaction.
    public func write(_ checked: Checked, into connection: PostgresConnection) async throws -> Summary {
        let config = checked.config
        return try await connection.transaction { connection in
            let store = MetadataStore(connection: connection)
            if !config.hasProbesSection {
                let known = try await store.names(of: .probes)
                let errors = config.targets.filter { !known.contains($0.probe) }.map {
                    ConfigError($0.location, "target '\($0.sectionPath)': probe '\($0.probe)' is neither in the file nor in the store")
                }
                if !errors.isEmpty { throw ConfigErrors(errors) }
            }
            let categories = try await store.upsert(checked.categories)
            let probes = try await store.upsert(checked.probes)
            let written = try await store.upsert(checked.targets)
            return Summary(targets: written, categories: categories, probes: probes, notes: config.notes)
        }
    }

    public func run(file: String, into connection: PostgresConnection) async throws -> Summary {
        try await write(check(file: file), into: connection)
    }
}
