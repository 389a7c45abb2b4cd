import ConfigManager
import Hummingbird

extension WebAdmin.Routes {
    /// CSV import: a preview lists every row's problem (`line N: …`) or what each row will do;
    /// only a clean file can be applied, and then all of it or none.
    func registerImport(_ router: Router<WebContext>) {
        router.get("/targets/import") { _, context in
            pages.render("import", title: "Import targets", context: context, ["nav_targets": true])
        }
        router.post("/targets/import") { request, context in
            let form = try await WebPage.form(request, context)
            let text: String
            if let file = form.file("file"), !file.bytes.isEmpty {
                text = String(decoding: file.bytes, as: UTF8.self)
            } else {
                text = form["csv"] ?? ""
            }
            return try await importPreview(context, csv: text)
        }
        router.post("/targets/import/apply") { request, context in
            let form = try await WebPage.form(request, context)
            let csv = form["csv"] ?? ""
            let (snapshot, _) = try await gateway.snapshot()
            switch TargetCSV.importPlan(csv, snapshot: snapshot) {
            case .failure(let problems):
                return pages.render("import", title: "Import targets", context: context, [
                    "has_problems": true, "problem_count": problems.count, "problems": problems.map(\.description), "pasted": csv,
                ], status: .unprocessableContent)
            case .success(let plan):
                do {
                    _ = try await gateway.apply(plan.operations)
                } catch let rejection as StoreRejection {
                    let problems = rejection.problems.map { problem in
                        let line = plan.lines.indices.contains(problem.index) ? "line \(plan.lines[problem.index]): " : ""
                        return line + (problem.field.map { "\($0): " } ?? "") + problem.message
                    }
                    return pages.render("import", title: "Import targets", context: context, [
                        "has_problems": true, "problem_count": problems.count, "problems": problems, "pasted": csv,
                    ], status: .unprocessableContent)
                }
                return try await targetList(request, context, flash: "Imported \(plan.operations.count) rows.")
            }
        }
    }

    func importPreview(_ context: WebContext, csv: String) async throws -> Response {
        let (snapshot, _) = try await gateway.snapshot()
        switch TargetCSV.importPlan(csv, snapshot: snapshot) {
        case .failure(let problems):
            return pages.render("import", title: "Import targets", context: context, [
                "nav_targets": true, "has_problems": true, "problem_count": problems.count, "problems": problems.map(\.description), "pasted": csv,
            ], status: .unprocessableContent)
        case .success(let plan):
            return pages.render("import", title: "Import targets", context: context, [
                "nav_targets": true, "preview": true, "csv": csv, "row_count": plan.rows.count,
                "summary": "\(plan.rows.filter { !$0.updates }.count) new targets, \(plan.rows.filter(\.updates).count) updates. Nothing is written until you import.",
                "rows": plan.rows.map { ["line": $0.line, "action": $0.updates ? "update" : "create", "name": $0.record.name, "host": $0.record.host, "category": $0.record.category ?? ""] },
            ])
        }
    }
}
