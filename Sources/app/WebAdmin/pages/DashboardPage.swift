import ConfigManager
import Hummingbird

extension WebAdmin.Routes {
    /// The dashboard shows at most this many graphs per category; the rest are a link away.
    static let graphsPerCategory = 12

    func registerDashboard(_ router: Router<WebContext>) {
        router.get("/") { _, context in try await dashboard(context) }
        router.post("/apply") { request, context in
            _ = try await WebPage.form(request, context)
            let (report, reload, error) = await publisher.publish(reason: "web admin", reloadWhenChanged: false)
            let message: String
            var kind = "ok"
            if let report {
                var reloaded = reload
                if reloaded == nil { reloaded = await publisher.reloadNow() }
                let outcome = reloaded!
                message = "Generated (\(report.targets) targets, \(report.changed.isEmpty ? "no file changed" : "changed: " + report.changed.joined(separator: ", "))). Reload: \(outcome.message)"
                if !outcome.success { kind = "error" }
            } else {
                message = "Nothing generated: \(error ?? "no SmokePing directory configured (--smokeping-dir)")"
                kind = "error"
            }
            return try await dashboard(context, flash: message, kind: kind)
        }
    }

    func dashboard(_ context: WebContext, flash: String? = nil, kind: String = "ok") async throws -> Response {
        let (snapshot, stale) = try await gateway.snapshot()
        let generation = await publisher.lastGeneration
        let reload = await publisher.lastReload
        let byCategory = Dictionary(grouping: snapshot.targets.filter(\.record.isActive)) { $0.record.category ?? "" }
        var categories: [[String: Any]] = snapshot.categories.map { category in
            let targets = byCategory[category.record.name] ?? []
            return categoryCard(name: category.record.name, label: category.record.displayName.isEmpty ? category.record.name : category.record.displayName, targets: targets)
        }
        if let loose = byCategory[""], !loose.isEmpty { categories.append(categoryCard(name: "", label: "No category", targets: loose)) }
        let smokeping: String = publisher.publishing == nil ? "not managed (no --smokeping-dir)" : (reload.map { $0.report.success ? "reloaded" : "reload failed" } ?? "running; not reloaded by this server yet")
        return pages.render("dashboard", title: "Dashboard", context: context, [
            "flash": flash ?? "", "flash_kind": kind,
            "store_mode": gateway.mode == .database ? "database (PostgreSQL)" : "file (YAML)", "stale": stale,
            "target_count": snapshot.targets.count, "active_count": snapshot.targets.filter(\.record.isActive).count,
            "category_count": snapshot.categories.count, "probe_count": snapshot.probes.count,
            "smokeping_status": smokeping,
            "last_generation": generation.map { "\($0.at): " + ($0.error ?? $0.report?.message ?? "") } ?? "none yet",
            "last_reload": reload.map { "\($0.at): \($0.report.message)" } ?? "none yet",
            "pipeline_status": await settings.pipelineStatus(),
            "categories": categories,
        ])
    }

    private func categoryCard(name: String, label: String, targets: [StoredTarget]) -> [String: Any] {
        let shown = targets.prefix(Self.graphsPerCategory).map { target -> [String: Any] in
            ["id": target.id, "name": target.record.name, "title": target.record.title.isEmpty ? target.record.name : target.record.title]
        }
        return ["name": name, "label": label, "count": targets.count, "targets": shown, "more": targets.count > shown.count ? "\(targets.count - shown.count)" : ""]
    }
}
