import Postgres
import TargetStore

extension DatabaseStore {
    /// The categories and probes, read at the start of a write and kept current by its
    /// operations: what names resolve to ids, and what `StoreRules` checks against.
    struct Catalog {
        var categories: [StoredCategory]
        var probes: [StoredProbe]

        static func load(_ connection: PostgresConnection) async throws -> Catalog {
            let categories = try await connection.query("SELECT id, name, display_name, description FROM categories ORDER BY id").map { row in
                StoredCategory(id: try row.decode(0), record: CategoryRecord(name: try row.decode(1), displayName: try row.decode(2), description: try row.decode(3)))
            }
            let probes = try await connection.query(
                "SELECT id, name, binary_path, step_seconds, pings, forks, is_default, module FROM probes ORDER BY id"
            ).map { row in
                StoredProbe(id: try row.decode(0), record: ProbeRecord(
                    name: try row.decode(1), binaryPath: try row.decode(2, as: String?.self), stepSeconds: try row.decode(3),
                    pings: try row.decode(4), forks: try row.decode(5), isDefault: try row.decode(6),
                    module: try row.decode(7, as: String?.self)
                ))
            }
            return Catalog(categories: categories, probes: probes)
        }

        var rules: StoreRules {
            StoreRules(categories: Set(categories.map(\.record.name)), probes: probes.map(\.record))
        }

        var defaultProbe: String? { probes.first(where: \.record.isDefault)?.record.name }

        func categoryID(_ name: String?) -> Int? { name.flatMap { name in categories.first { $0.record.name == name }?.id } }

        func probeID(_ name: String?) -> Int? {
            probes.first { $0.record.name == (name ?? defaultProbe) }?.id
        }

        /// The record checked against the rules, its probe the default one when it names none.
        func checked(_ record: TargetRecord, index: Int) throws(StoreRejection) -> TargetRecord {
            var record = record
            if record.probe == nil { record.probe = defaultProbe }
            let problems = rules.problems(record, defaultProbe: defaultProbe, index: index)
            if !problems.isEmpty { throw StoreRejection(problems) }
            return record
        }
    }
}
