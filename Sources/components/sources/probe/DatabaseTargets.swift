public import ProbeEngine
import Postgres
import TargetStore

/// Targets from the PostgreSQL configuration store (`targets_from: postgres`): the active
/// targets whose probe is this source's (`FPing` for icmp, `FPing6` for icmp6, `DNS` for dns,
/// or `probe_name`), read before every step, so targets added or removed in the database take
/// effect at the next round; a target's own `lookup` wins over the source's; with `site`, only
/// that site's targets (one database, many edge sites). A failed read throws: the source keeps
/// the last list.
public struct DatabaseTargets: ProbeTargetProvider {
    let database: PostgresReconnecting
    let probeName: String
    let site: String?
    let reader: TargetListReader

    public init(connectionString: String, probeName: String, site: String? = nil, reader: TargetListReader) {
        database = PostgresReconnecting(connectionString: connectionString)
        self.probeName = probeName
        self.site = site
        self.reader = reader
    }

    public static func defaultProbeName(_ kind: ProbeKind) -> String {
        switch kind {
        case .icmp: "FPing"
        case .icmp6: "FPing6"
        case .dns: "DNS"
        }
    }

    public func targets() async throws -> [ProbeTarget] {
        let records = try await database.withConnection { try await MetadataStore(connection: $0).targets() }
        // Hosts the probe cannot use (an IPv6 address for icmp, …) are left out, not fatal:
        // the database is shared by every probe kind.
        // A DNS target with no lookup of its own and none in the source has no question to ask.
        return records.compactMap { record -> ProbeTarget? in
            guard record.isActive, record.probe == probeName, site == nil || record.site == site, HostCheck.problem(record.host, kind: reader.kind) == nil else { return nil }
            let lookup = record.lookup ?? reader.lookup
            if reader.kind == .dns, lookup == nil { return nil }
            return ProbeTarget(name: record.name, host: record.host, category: record.category, lookup: lookup, record: record.record ?? reader.record)
        }
    }
}
