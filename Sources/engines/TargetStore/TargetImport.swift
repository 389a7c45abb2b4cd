public import PipelineConfig
public import Postgres

/// `smokeflow targets import`: a checked file goes into the database in one transaction, or
/// not at all. Rows naming an unknown category or probe are errors with their line.
public struct TargetImport: Sendable {
    public init() {}

    /// Returns the number of targets inserted or updated.
    /// `earlier` are the file's own problems, reported together with the database checks.
    @discardableResult
    public func run(_ file: TargetFile, earlier: [ConfigError] = [], into connection: PostgresConnection) async throws -> Int {
        try await connection.transaction { connection in
            let store = MetadataStore(connection: connection)
            let categories = try await store.names(of: .categories)
            let probes = try await store.names(of: .probes)
            var errors = earlier
            for entry in file.entries {
                if let category = entry.record.category, !categories.contains(category) {
                    errors.append(ConfigError(entry.location, "target '\(entry.record.name)': unknown category '\(category)'"))
                }
                if let probe = entry.record.probe, !probes.contains(probe) {
                    errors.append(ConfigError(entry.location, "target '\(entry.record.name)': unknown probe '\(probe)'"))
                }
            }
            if !errors.isEmpty { throw ConfigErrors(errors.sorted { $0.location.line < $1.location.line }) }
            return try await store.upsert(file.entries.map(\.record))
        }
    }
}
