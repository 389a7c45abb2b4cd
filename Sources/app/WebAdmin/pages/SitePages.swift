import ConfigManager
import Hummingbird
import TargetStore

extension WebAdmin.Routes {
    /// Site lists (the system design's site discovery, offline): a top-sites file → the top N
    /// → a review of what each domain becomes → merged into a category (new targets created,
    /// existing ones kept, none duplicated).
    func registerSites(_ router: Router<WebContext>) {
        router.get("/sites") { _, context in try await sitesPage(context, values: ["top": 100]) }
        router.post("/sites") { request, context in
            let form = try await WebPage.form(request, context)
            let top = min(10_000, max(1, Int(form["top"] ?? "100") ?? 100))
            let category = form["category"] ?? ""
            guard let file = form.file("file"), !file.bytes.isEmpty else {
                return try await sitesPage(context, values: ["top": top, "errors": ["choose a list file"]], status: .unprocessableContent)
            }
            let sites: SiteList.Sites
            do {
                sites = try SiteList.read(file.bytes, fileName: file.filename, limit: top)
            } catch {
                return try await sitesPage(context, values: ["top": top, "errors": ["\(file.filename): \(error)"]], status: .unprocessableContent)
            }
            guard !sites.domains.isEmpty else {
                return try await sitesPage(context, values: ["top": top, "errors": ["\(file.filename): no domain in the list"]], status: .unprocessableContent)
            }
            return try await siteReview(context, domains: sites.domains, category: category, top: top, skipped: sites.rejectedCount)
        }
        router.post("/sites/merge") { request, context in
            let form = try await WebPage.form(request, context)
            let category = form["category"] ?? ""
            let domains = (form["domains"] ?? "").split(whereSeparator: \.isNewline).map(String.init).filter { !$0.isEmpty }
            let (snapshot, _) = try await gateway.snapshot()
            let plan = SiteMerge.plan(domains, into: category, existing: snapshot.targets, probe: defaultProbe(snapshot))
            do {
                if !plan.operations.isEmpty { _ = try await gateway.apply(plan.operations) }
            } catch let rejection as StoreRejection {
                return try await sitesPage(context, values: ["top": domains.count, "errors": Self.messages(rejection)], status: .unprocessableContent)
            }
            return try await sitesPage(context, values: [
                "top": 100, "flash": "Merged into \(category): \(plan.created.count) new targets, \(plan.kept.count) already there.", "flash_kind": "ok",
            ])
        }
    }

    func defaultProbe(_ snapshot: StoreSnapshot) -> String? {
        (snapshot.probes.first { $0.record.isDefault } ?? snapshot.probes.first { $0.record.moduleName == "FPing" })?.record.name
    }

    func siteReview(_ context: WebContext, domains: [String], category: String, top: Int, skipped: Int) async throws -> Response {
        let (snapshot, _) = try await gateway.snapshot()
        let plan = SiteMerge.plan(domains, into: category, existing: snapshot.targets, probe: defaultProbe(snapshot))
        let created = Dictionary(plan.created.map { ($0.host.lowercased(), $0) }, uniquingKeysWith: { first, _ in first })
        let kept = Dictionary(plan.kept.map { ($0.site.lowercased(), $0.target) }, uniquingKeysWith: { first, _ in first })
        let rows: [[String: Any]] = domains.map { domain in
            if let record = created[domain.lowercased()] { return ["domain": domain, "name": record.name, "action": "new target"] }
            if let target = kept[domain.lowercased()] { return ["domain": domain, "name": target.record.name, "action": "kept (already a target)"] }
            return ["domain": domain, "name": "", "action": "skipped"]
        }
        return try await sitesPage(context, values: [
            "top": top, "review": true, "category": category, "rows": rows, "new_count": plan.created.count,
            "domains": domains.joined(separator: "\n"),
            "summary": "\(domains.count) domains: \(plan.created.count) new targets, \(plan.kept.count) already there\(skipped > 0 ? ", \(skipped) entries of the file skipped as not domains" : ""). Nothing is written until you merge.",
        ], selected: category)
    }

    func sitesPage(_ context: WebContext, values: [String: Any], selected: String? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        let catalog = try await gateway.catalog()
        var values = values
        values["category_options"] = catalog.categories.map { ["value": $0.record.name, "label": $0.record.displayName.isEmpty ? $0.record.name : $0.record.displayName, "selected": $0.record.name == selected] }
        return pages.render("sites", title: "Site lists", context: context, values, status: status)
    }
}
