import ConfigManager
import Hummingbird
import TargetStore

extension WebAdmin.Routes {
    func registerTargetEditing(_ router: Router<WebContext>) {
        router.get("/targets/new") { _, context in
            try await targetForm(context, heading: "Add a target", action: "/targets/new", values: ["kind": "icmp", "active": true], isNew: true)
        }
        router.post("/targets/new") { request, context in try await addTarget(request, context) }
        router.get("/targets/:id") { request, context in try await targetDetail(request, context) }
        router.get("/targets/:id/edit") { _, context in
            let target = try await target(context)
            return try await targetForm(context, heading: "Edit \(target.record.name)", action: "/targets/\(target.id)", values: Self.values(target.record), isNew: false)
        }
        router.post("/targets/:id") { request, context in
            let target = try await target(context)
            let form = try await WebPage.form(request, context)
            var fields = Self.fields(form)
            fields.isActive = form["active"] == "1"
            do {
                _ = try await gateway.apply([.updateTarget(id: target.id, fields)])
            } catch let rejection as StoreRejection {
                return try await targetForm(context, heading: "Edit \(target.record.name)", action: "/targets/\(target.id)", values: Self.values(form), isNew: false, errors: Self.messages(rejection), status: .unprocessableContent)
            }
            return WebPage.redirect(to: "/targets/\(target.id)")
        }
        router.post("/targets/:id/toggle") { request, context in
            let target = try await target(context)
            let form = try await WebPage.form(request, context)
            _ = try await gateway.apply([.toggleTarget(id: target.id)])
            return WebPage.redirect(to: WebPage.localPath(form["return"] ?? "/targets"))
        }
        router.post("/targets/:id/delete") { request, context in
            let target = try await target(context)
            let form = try await WebPage.form(request, context)
            _ = try await gateway.apply([.deleteTarget(id: target.id)])
            return WebPage.redirect(to: WebPage.localPath(form["return"] ?? "/targets"))
        }
        router.post("/targets/bulk") { request, context in
            let form = try await WebPage.form(request, context)
            let ids = form.all("ids").compactMap { Int($0) }
            guard !ids.isEmpty else { throw WebRefusal(status: .unprocessableContent, message: "no target selected") }
            let operations: [StoreOperation]
            switch form["action"] {
            case "delete": operations = ids.map { .deleteTarget(id: $0) }
            case "activate", "deactivate":
                var fields = TargetFields()
                fields.isActive = form["action"] == "activate"
                operations = ids.map { .updateTarget(id: $0, fields) }
            case "move":
                var fields = TargetFields()
                let category = form["category"] ?? ""
                fields.category = .some(category.isEmpty ? nil : category)
                operations = ids.map { .updateTarget(id: $0, fields) }
            default: throw WebRefusal(status: .unprocessableContent, message: "unknown bulk action '\(form["action"] ?? "")'")
            }
            // One request, all or nothing: a refusal names every target that failed.
            _ = try await gateway.apply(operations)
            return WebPage.redirect(to: WebPage.localPath(form["return"] ?? "/targets"))
        }
    }

    func target(_ context: WebContext) async throws -> StoredTarget {
        guard let text = context.parameters.get("id"), let id = Int(text) else { throw WebRefusal(status: .notFound, message: "no such target") }
        var query = TargetQuery()
        query.id = id
        guard let target = try await gateway.targets(matching: query).targets.first else { throw WebRefusal(status: .notFound, message: "no target with id \(id)") }
        return target
    }

    static func messages(_ rejection: StoreRejection) -> [String] {
        rejection.problems.map { ($0.field.map { "\($0): " } ?? "") + $0.message }
    }

    /// The form's fields as an update: an empty optional field clears it.
    static func fields(_ form: FormFields) -> TargetFields {
        var fields = TargetFields()
        func optional(_ name: String) -> String?? {
            guard let value = form[name] else { return nil }
            return .some(value.isEmpty ? nil : value)
        }
        if let name = form["name"], !name.isEmpty { fields.name = name }
        fields.host = form["host"]
        fields.title = form["title"]
        fields.category = optional("category")
        fields.probe = optional("probe")
        fields.site = optional("site")
        fields.cachegroup = optional("cachegroup")
        fields.lookup = optional("lookup")
        fields.record = optional("record")
        // `a, b` as SmokePing writes it; an empty box is none.
        if let alerts = form["alerts"] { fields.alerts = .some(TargetValidation.normalizedAlertsOrAsGiven(alerts)) }
        return fields
    }

    static func values(_ record: TargetRecord) -> [String: Any] {
        [
            "name": record.name, "host": record.host, "title": record.title, "category": record.category ?? "", "probe": record.probe ?? "",
            "site": record.site ?? "", "cachegroup": record.cachegroup ?? "", "lookup": record.lookup ?? "", "alerts": record.alerts ?? "", "active": record.isActive,
            "record_options": recordOptions(selected: record.record),
        ]
    }

    static func values(_ form: FormFields) -> [String: Any] {
        var values: [String: Any] = [:]
        for name in ["name", "host", "title", "category", "probe", "site", "cachegroup", "lookup", "alerts", "kind"] { values[name] = form[name] ?? "" }
        values["active"] = form["active"] == "1"
        values["record_options"] = recordOptions(selected: form["record"])
        return values
    }

    /// The DNS record types a target may ask for, the current one selected.
    static func recordOptions(selected: String?) -> [[String: Any]] {
        TargetValidation.dnsRecordTypes.map { ["value": $0, "selected": $0 == selected] }
    }

    func targetForm(
        _ context: WebContext, heading: String, action: String, values: [String: Any], isNew: Bool, errors: [String] = [], hostAnswer: String? = nil,
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let catalog = try await gateway.catalog()
        var values = values
        let category = values["category"] as? String
        let probe = values["probe"] as? String
        values["heading"] = heading
        values["action"] = action
        values["is_new"] = isNew
        values["nav_target_new"] = isNew
        values["kind_icmp"] = (values["kind"] as? String ?? "icmp") != "dns"
        values["kind_dns"] = (values["kind"] as? String) == "dns"
        values["errors"] = errors
        values["host_answer"] = hostAnswer ?? ""
        values["category_options"] = catalog.categories.map { ["value": $0.record.name, "label": $0.record.displayName.isEmpty ? $0.record.name : $0.record.displayName, "selected": $0.record.name == category] }
        values["probe_options"] = catalog.probes.map { ["value": $0.record.name, "selected": $0.record.name == probe] }
        return pages.render("target_form", title: heading, context: context, values, status: status)
    }
}
