import Hummingbird

extension ConfigAPI {
    func registerCatalogRoutes(_ router: Router<BasicRequestContext>, _ table: inout RouteTable) {
        router.route(.get, "/categories", &table) { _, _ in
            let (snapshot, stale) = try await gateway.snapshot()
            let counts = Dictionary(grouping: snapshot.targets, by: { $0.record.category ?? "" }).mapValues(\.count)
            let categories = snapshot.categories.sorted { $0.id < $1.id }.map { CategoryJSON(category: $0, targetCount: counts[$0.record.name] ?? 0) }
            return JSONResponse.make(CategoryList(categories: categories, stale: stale))
        }
        router.route(.post, "/categories", &table) { request, _ in
            let fields = try JSONFields(try await RequestBody.json(request, limit: limits.singleBody))
            let category = RequestFields.newCategory(try RequestFields.category(fields, creating: true))
            let result = try await write(.createCategory(category))
            return JSONResponse.make(WriteAnswer(message: "Category created successfully", result: result), status: .created)
        }
        router.route(.put, "/categories/{id}", &table) { request, context in
            let id = try Self.id(context)
            let fields = try JSONFields(try await RequestBody.json(request, limit: limits.singleBody))
            let result = try await write(.updateCategory(id: id, try RequestFields.category(fields, creating: false)))
            return JSONResponse.make(WriteAnswer(message: "Category updated successfully", result: result))
        }
        router.route(.delete, "/categories/{id}", &table) { _, context in
            let result = try await write(.deleteCategory(id: try Self.id(context)))
            return JSONResponse.make(WriteAnswer(message: "Category deleted successfully", result: result))
        }
        router.route(.get, "/probes", &table) { _, _ in
            let (snapshot, stale) = try await gateway.snapshot()
            let defaultProbe = snapshot.defaultProbe?.record.name
            let counts = Dictionary(grouping: snapshot.targets, by: { $0.record.probe ?? defaultProbe ?? "" }).mapValues(\.count)
            let probes = snapshot.probes.sorted { $0.id < $1.id }.map { ProbeJSON(probe: $0, targetCount: counts[$0.record.name] ?? 0) }
            return JSONResponse.make(ProbeList(probes: probes, stale: stale))
        }
        router.route(.post, "/probes", &table) { request, _ in
            let fields = try JSONFields(try await RequestBody.json(request, limit: limits.singleBody))
            let probe = RequestFields.newProbe(try RequestFields.probe(fields, creating: true))
            let result = try await write(.createProbe(probe))
            return JSONResponse.make(WriteAnswer(message: "Probe created successfully", result: result), status: .created)
        }
        router.route(.put, "/probes/{id}", &table) { request, context in
            let id = try Self.id(context)
            let fields = try JSONFields(try await RequestBody.json(request, limit: limits.singleBody))
            let result = try await write(.updateProbe(id: id, try RequestFields.probe(fields, creating: false)))
            return JSONResponse.make(WriteAnswer(message: "Probe updated successfully", result: result))
        }
        router.route(.delete, "/probes/{id}", &table) { _, context in
            let result = try await write(.deleteProbe(id: try Self.id(context)))
            return JSONResponse.make(WriteAnswer(message: "Probe deleted successfully", result: result))
        }
    }

    struct CategoryList: Encodable {
        var categories: [CategoryJSON]
        var stale: Bool
    }

    struct ProbeList: Encodable {
        var probes: [ProbeJSON]
        var stale: Bool
    }
}
