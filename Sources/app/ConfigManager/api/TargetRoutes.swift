import Hummingbird

extension ConfigAPI {
    func registerTargetRoutes(_ router: Router<BasicRequestContext>, _ table: inout RouteTable) {
        router.route(.get, "/targets", &table) { request, _ in
            let parameters = request.uri.queryParameters
            let query = try Self.targetQuery { parameters[Substring($0)].map(String.init) }
            let page = try await gateway.targets(matching: query)
            return JSONResponse.make(TargetList(
                targets: page.targets.map(TargetJSON.init), total: page.total, stale: page.stale, filters: .init(query)
            ))
        }
        router.route(.post, "/targets", &table) { request, _ in
            let fields = try JSONFields(try await RequestBody.json(request, limit: limits.singleBody))
            let target = try RequestFields.target(fields, creating: true, catalog: try await catalog())
            let result = try await write(.createTarget(target))
            return JSONResponse.make(WriteAnswer(message: "Target created successfully", result: result), status: .created)
        }
        router.route(.post, "/targets/bulk", &table) { request, _ in
            let body = try JSONFields(try await RequestBody.json(request, limit: limits.documentBody))
            let operations = try Self.bulkOperations(body, catalog: try await catalog())
            let results = try await write(operations, single: false)
            return JSONResponse.make(BulkAnswer(results: results, operations: operations))
        }
        router.route(.get, "/targets/{id}", &table) { _, context in
            var query = TargetQuery()
            query.id = try Self.id(context)
            let page = try await gateway.targets(matching: query)
            guard let target = page.targets.first else { throw APIError.notFound("no target with id \(query.id ?? 0)") }
            return JSONResponse.make(SingleTarget(target: TargetJSON(target: target), stale: page.stale))
        }
        for method in [HTTPRequest.Method.put, .patch] {
            router.route(method, "/targets/{id}", &table) { request, context in
                let id = try Self.id(context)
                let fields = try JSONFields(try await RequestBody.json(request, limit: limits.singleBody))
                let target = try RequestFields.target(fields, creating: false, catalog: try await catalog())
                let result = try await write(.updateTarget(id: id, target))
                return JSONResponse.make(WriteAnswer(message: "Target updated successfully", result: result))
            }
        }
        router.route(.delete, "/targets/{id}", &table) { _, context in
            let result = try await write(.deleteTarget(id: try Self.id(context)))
            return JSONResponse.make(WriteAnswer(message: "Target deleted successfully", result: result))
        }
        router.route(.post, "/targets/{id}/toggle", &table) { _, context in
            let result = try await write(.toggleTarget(id: try Self.id(context)))
            let active = if case .target(let target) = result { target.record.isActive } else { false }
            return JSONResponse.make(WriteAnswer(message: active ? "Target activated successfully" : "Target deactivated successfully", result: result))
        }
    }

    /// The categories and probes, for requests that name them by id.
    func catalog() async throws -> StoreSnapshot {
        try await gateway.catalog()
    }

    /// Applies operations; a refusal becomes a 4xx naming the field or the items.
    func write(_ operation: StoreOperation) async throws -> OperationResult? {
        try await write([operation], single: true).first
    }

    func write(_ operations: [StoreOperation], single: Bool) async throws -> [OperationResult] {
        do {
            return try await gateway.apply(operations)
        } catch let rejection as StoreRejection {
            throw APIError.rejected(rejection, single: single)
        }
    }

    static func id(_ context: BasicRequestContext) throws(APIError) -> Int {
        guard let text = context.parameters.get("id"), let id = Int(text), id > 0 else {
            throw APIError.invalid(field: "id", "id must be a positive whole number")
        }
        guard id <= Int(Int32.max) else { throw APIError.notFound("no record with id \(id)") }
        return id
    }

    static func targetQuery(_ parameter: (String) -> String?) throws(APIError) -> TargetQuery {
        var query = TargetQuery()
        func text(_ key: String) -> String? { parameter(key).flatMap { $0.isEmpty ? nil : $0 } }
        // An empty number or boolean (`offset=`) is a bad value, not an absent one.
        for key in ["active_only", "limit", "offset"] where parameter(key)?.isEmpty == true {
            throw APIError.invalid(field: key, "\(key) has no value")
        }
        if let value = text("active_only") {
            switch value.lowercased() {
            case "true", "1", "yes": query.activeOnly = true
            case "false", "0", "no": query.activeOnly = false
            default: throw APIError.invalid(field: "active_only", "active_only must be true or false")
            }
        }
        query.category = text("category")
        query.site = text("site")
        query.probe = text("probe")
        query.text = text("q")
        if let value = text("limit") {
            guard let limit = Int(value), (1...TargetQuery.maximumLimit).contains(limit) else {
                throw APIError.invalid(field: "limit", "limit must be 1 to \(TargetQuery.maximumLimit)")
            }
            query.limit = limit
        }
        if let value = text("offset") {
            guard let offset = Int(value), offset >= 0, offset <= Int(Int32.max) else {
                throw APIError.invalid(field: "offset", "offset must be a whole number, 0 or more")
            }
            query.offset = offset
        }
        for (field, value) in [("category", query.category), ("site", query.site), ("probe", query.probe), ("q", query.text)] {
            if let value, value.utf8.count > StoreRules.maximumTextLength || value.contains("\u{0}") {
                throw APIError.invalid(field: field, "\(field) is too long or holds a NUL byte")
            }
        }
        return query
    }

    /// `{"operations": [{"action": "create", "target": {...}}, {"action": "update", "id": 3, "target": {...}},
    /// {"action": "delete", "id": 4}, {"action": "toggle", "id": 5}]}`.
    static func bulkOperations(_ body: JSONFields, catalog: StoreSnapshot) throws(APIError) -> [StoreOperation] {
        try body.rejectUnknown(["operations"])
        guard case .array(let items)? = body.values["operations"] else {
            throw APIError.invalid(field: "operations", "operations must be a list of {action, id, target}")
        }
        guard !items.isEmpty, items.count <= 100_000 else {
            throw APIError.invalid(field: "operations", "operations must hold 1 to 100000 items")
        }
        var operations: [StoreOperation] = []
        operations.reserveCapacity(items.count)
        for (index, item) in items.enumerated() {
            let path = "operations[\(index)]"
            let fields = try JSONFields(item, path: path)
            try fields.rejectUnknown(["action", "id", "target"])
            let action = try fields.required("action", fields.string)
            func id() throws(APIError) -> Int {
                let id = try fields.required("id", fields.int)
                guard id > 0, id <= Int(Int32.max) else { throw APIError.invalid(field: "\(path).id", "\(path).id must be a positive whole number") }
                return id
            }
            func target(creating: Bool) throws(APIError) -> TargetFields {
                guard let value = fields.values["target"] else { throw APIError.invalid(field: "\(path).target", "\(path).target is required") }
                return try RequestFields.target(try JSONFields(value, path: "\(path).target"), creating: creating, catalog: catalog)
            }
            switch action {
            case "create": operations.append(.createTarget(try target(creating: true)))
            case "update": operations.append(.updateTarget(id: try id(), try target(creating: false)))
            case "delete": operations.append(.deleteTarget(id: try id()))
            case "toggle": operations.append(.toggleTarget(id: try id()))
            default: throw APIError.invalid(field: "\(path).action", "\(path).action must be create, update, delete or toggle")
            }
        }
        return operations
    }

    struct TargetList: Encodable {
        struct Filters: Encodable {
            var active_only: Bool
            var category: String?
            var site: String?
            var probe: String?
            var q: String?
            var limit: Int?
            var offset: Int

            init(_ query: TargetQuery) {
                active_only = query.activeOnly
                category = query.category
                site = query.site
                probe = query.probe
                q = query.text
                limit = query.limit
                offset = query.offset
            }
        }

        var targets: [TargetJSON]
        var total: Int
        var stale: Bool
        var filters: Filters
    }

    struct SingleTarget: Encodable {
        var target: TargetJSON
        var stale: Bool
    }

    struct BulkAnswer: Encodable {
        struct Item: Encodable {
            var index: Int
            var action: String
            var id: Int
        }

        var success = true
        var message: String
        var results: [Item]

        init(results: [OperationResult], operations: [StoreOperation]) {
            self.results = zip(results, operations).enumerated().map { index, pair in
                let (result, operation) = pair
                let action = switch operation {
                case .createTarget: "create"
                case .updateTarget: "update"
                case .deleteTarget: "delete"
                default: "toggle"
                }
                let id = switch result {
                case .target(let target): target.id
                case .deleted(let id): id
                default: 0
                }
                return Item(index: index, action: action, id: id)
            }
            message = "\(results.count) operation(s) applied"
        }
    }
}
