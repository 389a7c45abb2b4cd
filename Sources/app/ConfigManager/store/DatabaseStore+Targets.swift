import Postgres
import TargetStore

extension DatabaseStore {
    func apply(
        _ operation: StoreOperation, index: Int, catalog: inout Catalog, on connection: PostgresConnection
    ) async throws -> OperationResult {
        switch operation {
        case .createTarget(let fields):
            return .target(try await createTarget(fields.newRecord, index: index, catalog: catalog, on: connection))
        case .updateTarget(let id, let fields):
            return .target(try await updateTarget(id, fields, index: index, catalog: catalog, on: connection))
        case .toggleTarget(let id):
            let rows = try await connection.query("""
                WITH changed AS (UPDATE targets SET is_active = NOT is_active WHERE id = \(id) RETURNING id)
                SELECT 1 FROM changed
                """)
            guard rows.count == 1 else { throw StoreRejection(index: index, .notFound, "no target with id \(id)") }
            return .target(try await target(id, index: index, on: connection))
        case .deleteTarget(let id):
            let rows = try await connection.query("DELETE FROM targets WHERE id = \(id) RETURNING id")
            guard rows.count == 1 else { throw StoreRejection(index: index, .notFound, "no target with id \(id)") }
            return .deleted(id: id)
        case .replaceTargets(let records):
            return .replaced(count: try await replaceTargets(records, index: index, catalog: catalog, on: connection))
        case .createCategory, .updateCategory, .deleteCategory, .createProbe, .updateProbe, .deleteProbe, .replaceProbes:
            return try await applyCatalog(operation, index: index, catalog: &catalog, on: connection)
        }
    }

    func target(_ id: Int, index: Int, on connection: PostgresConnection) async throws -> StoredTarget {
        guard let row = try await connection.query("SELECT \(Self.targetColumns) \(Self.targetTables) WHERE t.id = \(id)").first else {
            throw StoreRejection(index: index, .notFound, "no target with id \(id)")
        }
        return try Self.target(row)
    }

    private func createTarget(_ record: TargetRecord, index: Int, catalog: Catalog, on connection: PostgresConnection) async throws -> StoredTarget {
        let record = try catalog.checked(record, index: index)
        let rows = try await connection.query("""
            INSERT INTO targets (name, host, title, is_active, category_id, probe_id, site, cachegroup, lookup, record, alerts)
            VALUES (\(record.name), \(record.host), \(record.title), \(record.isActive), \(catalog.categoryID(record.category)),
                    \(catalog.probeID(record.probe)), \(record.site), \(record.cachegroup), \(record.lookup), \(record.record), \(record.alerts))
            ON CONFLICT (name) DO NOTHING RETURNING id, \(Self.timestamps)
            """)
        guard let row = rows.first else {
            throw StoreRejection(index: index, .conflict, field: "name", "a target named '\(record.name)' exists")
        }
        // The record as checked is what was stored: no second read.
        return StoredTarget(id: try row.decode(0), record: record, createdAt: try row.decode(1), updatedAt: try row.decode(2))
    }

    private func updateTarget(
        _ id: Int, _ fields: TargetFields, index: Int, catalog: Catalog, on connection: PostgresConnection
    ) async throws -> StoredTarget {
        guard let row = try await connection.query("SELECT \(Self.targetColumns) \(Self.targetTables) WHERE t.id = \(id) FOR UPDATE OF t").first else {
            throw StoreRejection(index: index, .notFound, "no target with id \(id)")
        }
        let record = try catalog.checked(fields.applied(to: try Self.target(row).record), index: index)
        let rows = try await connection.query("""
            UPDATE targets SET name = \(record.name), host = \(record.host), title = \(record.title), is_active = \(record.isActive),
                category_id = \(catalog.categoryID(record.category)), probe_id = \(catalog.probeID(record.probe)),
                site = \(record.site), cachegroup = \(record.cachegroup), lookup = \(record.lookup),
                record = \(record.record), alerts = \(record.alerts)
            WHERE id = \(id) AND NOT EXISTS (SELECT 1 FROM targets o WHERE o.name = \(record.name) AND o.id <> \(id))
            RETURNING id, \(Self.timestamps)
            """)
        guard let row = rows.first else {
            throw StoreRejection(index: index, .conflict, field: "name", "a target named '\(record.name)' exists")
        }
        return StoredTarget(id: id, record: record, createdAt: try row.decode(1), updatedAt: try row.decode(2))
    }

    /// Keeps targets by name (their ids stay), adds the new ones, removes the rest.
    private func replaceTargets(_ records: [TargetRecord], index: Int, catalog: Catalog, on connection: PostgresConnection) async throws -> Int {
        var problems: [StoreRejection.Problem] = []
        var seen: Set<String> = []
        var checked: [TargetRecord] = []
        for (offset, record) in records.enumerated() {
            do {
                checked.append(try catalog.checked(record, index: index))
            } catch {
                problems += StoreModel.prefixed(error.problems, "targets[\(offset)]: ")
            }
            if !seen.insert(record.name).inserted {
                problems.append(.init(index: index, kind: .invalid, field: "name", message: "targets[\(offset)]: '\(record.name)' is listed twice"))
            }
        }
        if !problems.isEmpty { throw StoreRejection(problems) }
        try await connection.query("DELETE FROM targets WHERE NOT (name = ANY(\(PostgresTextArray(checked.map(\.name)))::text[]))")
        try await MetadataStore(connection: connection).upsert(checked)
        return checked.count
    }
}
