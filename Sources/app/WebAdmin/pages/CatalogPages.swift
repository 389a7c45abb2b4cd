import ConfigManager
import Hummingbird
import TargetStore

extension WebAdmin.Routes {
    /// Categories and probes: list (with how many targets use each), add, edit, delete. The
    /// store refuses to delete one that targets use, and the page shows its count.
    func registerCatalog(_ router: Router<WebContext>) {
        router.get("/categories") { _, context in try await categoriesPage(context) }
        router.get("/categories/:id/edit") { _, context in try await categoriesPage(context, editing: try Self.id(context)) }
        router.post("/categories") { request, context in
            let form = try await WebPage.form(request, context)
            let record = CategoryRecord(name: form["name"] ?? "", displayName: form["display_name"] ?? "", description: form["description"] ?? "")
            return try await catalogWrite(context, [.createCategory(record)], page: { try await categoriesPage(context, errors: $0) })
        }
        router.post("/categories/:id") { request, context in
            let id = try Self.id(context)
            let form = try await WebPage.form(request, context)
            var fields = CategoryFields()
            fields.name = form["name"]
            fields.displayName = form["display_name"]
            fields.description = form["description"]
            return try await catalogWrite(context, [.updateCategory(id: id, fields)], page: { try await categoriesPage(context, editing: id, errors: $0) })
        }
        router.post("/categories/:id/delete") { request, context in
            let id = try Self.id(context)
            _ = try await WebPage.form(request, context)
            return try await catalogWrite(context, [.deleteCategory(id: id)], page: { try await categoriesPage(context, errors: $0) })
        }
        router.get("/probes") { _, context in try await probesPage(context) }
        router.get("/probes/:id/edit") { _, context in try await probesPage(context, editing: try Self.id(context)) }
        router.post("/probes") { request, context in
            let form = try await WebPage.form(request, context)
            guard let fields = Self.probeFields(form), let record = fields.newProbe else {
                return try await probesPage(context, errors: ["step, pings and forks must be whole numbers"])
            }
            return try await catalogWrite(context, [.createProbe(record)], page: { try await probesPage(context, errors: $0) })
        }
        router.post("/probes/:id") { request, context in
            let id = try Self.id(context)
            let form = try await WebPage.form(request, context)
            guard let fields = Self.probeFields(form) else { return try await probesPage(context, editing: id, errors: ["step, pings and forks must be whole numbers"]) }
            return try await catalogWrite(context, [.updateProbe(id: id, fields)], page: { try await probesPage(context, editing: id, errors: $0) })
        }
        router.post("/probes/:id/delete") { request, context in
            let id = try Self.id(context)
            _ = try await WebPage.form(request, context)
            return try await catalogWrite(context, [.deleteProbe(id: id)], page: { try await probesPage(context, errors: $0) })
        }
    }

    static func id(_ context: WebContext) throws -> Int {
        guard let text = context.parameters.get("id"), let id = Int(text) else { throw WebRefusal(status: .notFound, message: "no such record") }
        return id
    }

    /// A write, then back to the list; a refusal re-renders the page with what the store said.
    func catalogWrite(_ context: WebContext, _ operations: [StoreOperation], page: ([String]) async throws -> Response) async throws -> Response {
        do {
            _ = try await gateway.apply(operations)
        } catch let rejection as StoreRejection {
            var response = try await page(Self.messages(rejection))
            response.status = rejection.problems.contains { $0.kind == .conflict } ? .conflict : .unprocessableContent
            return response
        }
        return try await page([])
    }

    static func probeFields(_ form: FormFields) -> ProbeFields? {
        var fields = ProbeFields()
        fields.name = form["name"]
        let binary = form["binary_path"] ?? ""
        fields.binaryPath = .some(binary.isEmpty ? nil : binary)
        let module = form["module"] ?? ""
        fields.module = .some(module.isEmpty ? nil : module)
        func number(_ name: String) -> Int?? {
            guard let text = form[name], !text.isEmpty else { return .some(nil) }
            guard let value = Int(text) else { return nil }
            return .some(value)
        }
        guard let step = number("step_seconds"), let pings = number("pings"), let forks = number("forks") else { return nil }
        fields.stepSeconds = step
        fields.pings = pings
        fields.forks = forks
        fields.isDefault = form["is_default"] == "1" || form["is_default"] == "yes"
        return fields
    }

    func categoriesPage(_ context: WebContext, editing: Int? = nil, errors: [String] = []) async throws -> Response {
        let (snapshot, _) = try await gateway.snapshot()
        let used = Dictionary(grouping: snapshot.targets) { $0.record.category ?? "" }
        let edited = snapshot.categories.first { $0.id == editing }?.record
        return pages.render("catalog", title: "Categories", context: context, [
            "nav_categories": true, "heading": "Categories", "errors": errors, "headers": ["Name", "Display name", "Description"], "base": "/categories",
            "rows": snapshot.categories.map { ["id": $0.id, "name": $0.record.name, "cells": [$0.record.displayName, $0.record.description], "used": used[$0.record.name]?.count ?? 0] },
            "form_heading": edited.map { "Edit \($0.name)" } ?? "Add a category",
            "form_action": editing.map { "/categories/\($0)" } ?? "/categories",
            "fields": [
                ["label": "Name", "name": "name", "value": edited?.name ?? "", "required": true],
                ["label": "Display name (SmokePing's menu)", "name": "display_name", "value": edited?.displayName ?? ""],
                ["label": "Description", "name": "description", "value": edited?.description ?? ""],
            ],
        ])
    }

    func probesPage(_ context: WebContext, editing: Int? = nil, errors: [String] = []) async throws -> Response {
        let (snapshot, _) = try await gateway.snapshot()
        let used = Dictionary(grouping: snapshot.targets) { $0.record.probe ?? "" }
        let edited = snapshot.probes.first { $0.id == editing }?.record
        return pages.render("catalog", title: "Probes", context: context, [
            "nav_probes": true, "heading": "Probes", "errors": errors, "headers": ["Name", "Module", "Binary", "Step (s)", "Pings", "Forks", "Default"], "base": "/probes",
            "rows": snapshot.probes.map {
                ["id": $0.id, "name": $0.record.name, "cells": [$0.record.moduleName, $0.record.binaryPath ?? "", "\($0.record.stepSeconds)", "\($0.record.pings)", "\($0.record.forks)", $0.record.isDefault ? "yes" : ""], "used": used[$0.record.name]?.count ?? 0]
            },
            "form_heading": edited.map { "Edit \($0.name)" } ?? "Add a probe",
            "form_action": editing.map { "/probes/\($0)" } ?? "/probes",
            "fields": [
                ["label": "Name", "name": "name", "value": edited?.name ?? "", "required": true],
                ["label": "Module (FPing, FPing6, DNS, …)", "name": "module", "value": edited?.module ?? ""],
                ["label": "Binary", "name": "binary_path", "value": edited?.binaryPath ?? ""],
                ["label": "Step (seconds)", "name": "step_seconds", "value": edited.map { "\($0.stepSeconds)" } ?? "300"],
                ["label": "Pings", "name": "pings", "value": edited.map { "\($0.pings)" } ?? "20"],
                ["label": "Forks", "name": "forks", "value": edited.map { "\($0.forks)" } ?? "5"],
                ["label": "Default (yes/no)", "name": "is_default", "value": edited.map { $0.isDefault ? "yes" : "no" } ?? "no"],
            ],
        ])
    }
}

extension ProbeFields {
    /// A new probe from the form: SmokePing's defaults for what it left out.
    var newProbe: ProbeRecord? {
        guard let name, !name.isEmpty else { return nil }
        return applied(to: ProbeRecord(name: name, binaryPath: nil, stepSeconds: 300, pings: 20, forks: 5, isDefault: false))
    }
}
