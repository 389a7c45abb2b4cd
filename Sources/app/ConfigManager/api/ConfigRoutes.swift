import Hummingbird
import TargetStore

extension ConfigAPI {
    /// `GET /config[/targets|/probes]`: the store as the targets document (`targets:` list,
    /// the format of `targets export`) and the probes document; `PUT` replaces one whole.
    func registerConfigRoutes(_ router: Router<BasicRequestContext>, _ table: inout RouteTable) {
        router.route(.get, "/config", &table) { _, _ in
            let (snapshot, stale) = try await gateway.snapshot()
            return JSONResponse.make(ConfigDocument(
                targets: Self.targetsDocument(snapshot), probes: Self.probesDocument(snapshot),
                metadata: .init(source: gateway.mode.rawValue, generated_at: StoreClock.now(), stale: stale, config_type: "all")
            ))
        }
        for type in ["targets", "probes"] {
            registerDocumentRoutes(type, router, &table)
        }
    }

    private func registerDocumentRoutes(_ type: String, _ router: Router<BasicRequestContext>, _ table: inout RouteTable) {
        router.route(.get, "/config/\(type)", &table) { request, _ in
            let format = request.uri.queryParameters["format"].map(String.init) ?? "json"
            guard format == "json" || format == "yaml" && type == "targets" else {
                throw APIError.invalid(field: "format", "format must be json\(type == "targets" ? " or yaml" : "")")
            }
            let (snapshot, stale) = try await gateway.snapshot()
            if format == "yaml" {
                let text = TargetExport.render(snapshot.targets.map(\.record), as: .yaml)
                return Response(status: .ok, headers: [.contentType: "application/yaml; charset=utf-8"], body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
            }
            let metadata = ConfigDocument.Metadata(source: gateway.mode.rawValue, generated_at: StoreClock.now(), stale: stale, config_type: type)
            return JSONResponse.make(ConfigDocument(
                targets: type == "targets" ? Self.targetsDocument(snapshot) : nil,
                probes: type == "probes" ? Self.probesDocument(snapshot) : nil, metadata: metadata
            ))
        }
        router.route(.put, "/config/\(type)", &table) { request, _ in
            let body = try JSONFields(try await RequestBody.json(request, limit: limits.documentBody))
            let operation = type == "targets" ? StoreOperation.replaceTargets(try Self.targetRecords(body)) : .replaceProbes(try Self.probeRecords(body))
            let results = try await write([operation], single: true)
            let count = if case .replaced(let count)? = results.first { count } else { 0 }
            return JSONResponse.make(ReplaceAnswer(message: "\(type) replaced: \(count) record(s)", updated_at: StoreClock.now(), count: count))
        }
    }

    struct ConfigDocument: Encodable {
        struct Metadata: Encodable {
            var source: String
            var generated_at: String
            var stale: Bool
            var config_type: String
        }

        var targets: TargetsDocument?
        var probes: ProbesDocument?
        var metadata: Metadata
    }

    struct TargetsDocument: Encodable {
        var targets: [DocumentTarget]
    }

    /// A target in the targets document: the columns of `targets export`.
    struct DocumentTarget: Encodable {
        var name, host, title: String
        var active: Bool
        var category, probe, site, cachegroup, lookup, record, alerts: String?
    }

    struct ProbesDocument: Encodable {
        var probes: [DocumentProbe]
    }

    struct DocumentProbe: Encodable {
        var name: String
        var binary_path: String?
        var step_seconds, pings, forks: Int
        var is_default: Bool
        var module: String?
    }

    struct ReplaceAnswer: Encodable {
        var success = true
        var message: String
        var updated_at: String
        var count: Int
    }

    static func targetsDocument(_ snapshot: StoreSnapshot) -> TargetsDocument {
        TargetsDocument(targets: snapshot.targets.sorted { $0.record.name < $1.record.name }.map {
            let record = $0.record
            return DocumentTarget(
                name: record.name, host: record.host, title: record.title, active: record.isActive, category: record.category,
                probe: record.probe, site: record.site, cachegroup: record.cachegroup, lookup: record.lookup,
                record: record.record, alerts: record.alerts
            )
        })
    }

    static func probesDocument(_ snapshot: StoreSnapshot) -> ProbesDocument {
        ProbesDocument(probes: snapshot.probes.sorted { $0.record.name < $1.record.name }.map {
            let record = $0.record
            return DocumentProbe(
                name: record.name, binary_path: record.binaryPath, step_seconds: record.stepSeconds, pings: record.pings,
                forks: record.forks, is_default: record.isDefault, module: record.module
            )
        })
    }

    /// `metadata` (what a GET answered) may come back; it is not stored, but it must be an object.
    static func checkMetadata(_ body: JSONFields) throws(APIError) {
        if let metadata = body.values["metadata"], case .object = metadata {} else if let metadata = body.values["metadata"] {
            throw APIError.invalid(field: "metadata", "metadata must be an object, not \(metadata.kindName)")
        }
    }

    /// The import/export columns (one list, so a new column is never missing here) and the
    /// API's name for `active`.
    static let documentTargetKeys = Set(TargetRecord.columns + ["is_active"])

    static func targetRecords(_ body: JSONFields) throws(APIError) -> [TargetRecord] {
        try body.rejectUnknown(["targets", "metadata"])
        try Self.checkMetadata(body)
        guard case .array(let items)? = body.values["targets"] else {
            throw APIError.invalid(field: "targets", "targets must be a list of targets")
        }
        var records: [TargetRecord] = []
        for (index, item) in items.enumerated() {
            let path = "targets[\(index)]"
            let fields = try JSONFields(item, path: path)
            try fields.rejectUnknown(Self.documentTargetKeys)
            let active = try fields.bool("active")
            let isActive = try fields.bool("is_active")
            records.append(TargetRecord(
                name: try fields.required("name", fields.string), host: try fields.required("host", fields.string),
                title: try fields.string("title") ?? "", isActive: active ?? isActive ?? true,
                category: try fields.nullableString("category") ?? nil, probe: try fields.nullableString("probe") ?? nil,
                site: try fields.nullableString("site") ?? nil, cachegroup: try fields.nullableString("cachegroup") ?? nil,
                lookup: try fields.nullableString("lookup") ?? nil, record: try fields.nullableString("record") ?? nil,
                alerts: try fields.nullableString("alerts") ?? nil
            ))
        }
        return records
    }

    static func probeRecords(_ body: JSONFields) throws(APIError) -> [ProbeRecord] {
        try body.rejectUnknown(["probes", "metadata"])
        try Self.checkMetadata(body)
        guard case .array(let items)? = body.values["probes"] else {
            throw APIError.invalid(field: "probes", "probes must be a list of probes")
        }
        var records: [ProbeRecord] = []
        for (index, item) in items.enumerated() {
            let fields = try JSONFields(item, path: "probes[\(index)]")
            records.append(RequestFields.newProbe(try RequestFields.probe(fields, creating: true)))
        }
        return records
    }
}
