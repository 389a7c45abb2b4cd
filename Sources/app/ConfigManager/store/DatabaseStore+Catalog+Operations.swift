import Postgres
import TargetStore

extension DatabaseStore {
    func applyCatalog(
        _ operation: StoreOperation, index: Int, catalog: inout Catalog, on connection: PostgresConnection
    ) async throws -> OperationResult {
        switch operation {
        case .createCategory(let record):
            try Self.check(StoreRules.problems(record, index: index))
            let rows = try await connection.query("""
                INSERT INTO categories (name, display_name, description) VALUES (\(record.name), \(record.displayName), \(record.description))
                ON CONFLICT (name) DO NOTHING RETURNING id
                """)
            guard let id = try rows.first?.decode(0, as: Int.self) else {
                throw StoreRejection(index: index, .conflict, field: "name", "a category named '\(record.name)' exists")
            }
            let category = StoredCategory(id: id, record: record)
            catalog.categories.append(category)
            return .category(category)
        case .updateCategory(let id, let fields):
            guard let position = catalog.categories.firstIndex(where: { $0.id == id }) else {
                throw StoreRejection(index: index, .notFound, "no category with id \(id)")
            }
            let record = fields.applied(to: catalog.categories[position].record)
            try Self.check(StoreRules.problems(record, index: index))
            let rows = try await connection.query("""
                UPDATE categories SET name = \(record.name), display_name = \(record.displayName), description = \(record.description)
                WHERE id = \(id) AND NOT EXISTS (SELECT 1 FROM categories o WHERE o.name = \(record.name) AND o.id <> \(id))
                RETURNING id
                """)
            guard rows.count == 1 else { throw StoreRejection(index: index, .conflict, field: "name", "a category named '\(record.name)' exists") }
            catalog.categories[position].record = record
            return .category(catalog.categories[position])
        case .deleteCategory(let id):
            guard let position = catalog.categories.firstIndex(where: { $0.id == id }) else {
                throw StoreRejection(index: index, .notFound, "no category with id \(id)")
            }
            let users = try await connection.query("SELECT count(*) FROM targets WHERE category_id = \(id)").first?.decode(0, as: Int.self) ?? 0
            if users > 0 {
                throw StoreRejection(index: index, .conflict, "category '\(catalog.categories[position].record.name)' is used by \(users) target(s)")
            }
            try await connection.query("DELETE FROM categories WHERE id = \(id)")
            catalog.categories.remove(at: position)
            return .deleted(id: id)
        case .createProbe(let record):
            try Self.check(StoreRules.problems(record, index: index))
            if record.isDefault { try await clearDefaultProbe(except: nil, catalog: &catalog, on: connection) }
            let rows = try await connection.query("""
                INSERT INTO probes (name, binary_path, step_seconds, pings, forks, is_default, module)
                VALUES (\(record.name), \(record.binaryPath), \(record.stepSeconds), \(record.pings), \(record.forks), \(record.isDefault),
                        \(record.module))
                ON CONFLICT (name) DO NOTHING RETURNING id
                """)
            guard let id = try rows.first?.decode(0, as: Int.self) else {
                throw StoreRejection(index: index, .conflict, field: "name", "a probe named '\(record.name)' exists")
            }
            let probe = StoredProbe(id: id, record: record)
            catalog.probes.append(probe)
            return .probe(probe)
        case .updateProbe(let id, let fields):
            guard let position = catalog.probes.firstIndex(where: { $0.id == id }) else {
                throw StoreRejection(index: index, .notFound, "no probe with id \(id)")
            }
            let record = fields.applied(to: catalog.probes[position].record)
            try Self.check(StoreRules.problems(record, index: index))
            if record.isDefault { try await clearDefaultProbe(except: id, catalog: &catalog, on: connection) }
            let rows = try await connection.query("""
                UPDATE probes SET name = \(record.name), binary_path = \(record.binaryPath), step_seconds = \(record.stepSeconds),
                    pings = \(record.pings), forks = \(record.forks), is_default = \(record.isDefault), module = \(record.module)
                WHERE id = \(id) AND NOT EXISTS (SELECT 1 FROM probes o WHERE o.name = \(record.name) AND o.id <> \(id))
                RETURNING id
                """)
            guard rows.count == 1 else { throw StoreRejection(index: index, .conflict, field: "name", "a probe named '\(record.name)' exists") }
            catalog.probes[position].record = record
            return .probe(catalog.probes[position])
        case .deleteProbe(let id):
            guard let position = catalog.probes.firstIndex(where: { $0.id == id }) else {
                throw StoreRejection(index: index, .notFound, "no probe with id \(id)")
            }
            let users = try await connection.query("SELECT count(*) FROM targets WHERE probe_id = \(id)").first?.decode(0, as: Int.self) ?? 0
            if users > 0 {
                throw StoreRejection(index: index, .conflict, "probe '\(catalog.probes[position].record.name)' is used by \(users) target(s)")
            }
            try await connection.query("DELETE FROM probes WHERE id = \(id)")
            catalog.probes.remove(at: position)
            return .deleted(id: id)
        case .replaceProbes(let records):
            return .replaced(count: try await replaceProbes(records, index: index, catalog: &catalog, on: connection))
        case .createTarget, .updateTarget, .deleteTarget, .toggleTarget, .replaceTargets:
            preconditionFailure("target operations are applied by apply(_:index:catalog:on:)")
        }
    }

    static func check(_ problems: [StoreRejection.Problem]) throws(StoreRejection) {
        if !problems.isEmpty { throw StoreRejection(problems) }
    }

    private func clearDefaultProbe(except id: Int?, catalog: inout Catalog, on connection: PostgresConnection) async throws {
        try await connection.query("UPDATE probes SET is_default = false WHERE is_default AND id IS DISTINCT FROM \(id)")
        for i in catalog.probes.indices where catalog.probes[i].id != id { catalog.probes[i].record.isDefault = false }
    }

    private func replaceProbes(_ records: [ProbeRecord], index: Int, catalog: inout Catalog, on connection: PostgresConnection) async throws -> Int {
        var problems = records.enumerated().flatMap { StoreModel.prefixed(StoreRules.problems($0.element, index: index), "probes[\($0.offset)]: ") }
        var seen: Set<String> = []
        for (offset, record) in records.enumerated() where !seen.insert(record.name).inserted {
            problems.append(.init(index: index, kind: .invalid, field: "name", message: "probes[\(offset)]: '\(record.name)' is listed twice"))
        }
        if records.count(where: \.isDefault) > 1 {
            problems.append(.init(index: index, kind: .invalid, field: "is_default", message: "at most one probe can be the default"))
        }
        let names = PostgresTextArray(records.map(\.name))
        let used = try await connection.query("""
            SELECT p.name, count(*) FROM probes p JOIN targets t ON t.probe_id = p.id
            WHERE NOT (p.name = ANY(\(names)::text[])) GROUP BY p.name ORDER BY p.name
            """)
        for row in used {
            problems.append(.init(index: index, kind: .conflict, message: "probe '\(try row.decode(0, as: String.self))' is used by \(try row.decode(1, as: Int.self)) target(s)"))
        }
        try Self.check(problems)
        try await connection.query("UPDATE probes SET is_default = false WHERE is_default")
        for record in records {
            try await connection.query("""
                INSERT INTO probes (name, binary_path, step_seconds, pings, forks, is_default, module)
                VALUES (\(record.name), \(record.binaryPath), \(record.stepSeconds), \(record.pings), \(record.forks), \(record.isDefault),
                        \(record.module))
                ON CONFLICT (name) DO UPDATE SET binary_path = EXCLUDED.binary_path, step_seconds = EXCLUDED.step_seconds,
                    pings = EXCLUDED.pings, forks = EXCLUDED.forks, is_default = EXCLUDED.is_default, module = EXCLUDED.module
                """)
        }
        try await connection.query("DELETE FROM probes WHERE NOT (name = ANY(\(names)::text[]))")
        catalog = try await Catalog.load(connection)
        return records.count
    }
}
