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
            let plan: TargetImportPlan
            do throws(CSVRejection) {
                plan = try await importPlan(csv)
            } catch {
                return problemsPage(context, error.problems, csv: csv)
            }
            do {
                _ = try await gateway.apply(plan.operations)
            } catch let rejection as StoreRejection {
                return problemsPage(context, plan.problems(from: rejection), csv: csv)
            }
            return try await targetList(request, context, flash: "Imported \(plan.operations.count) rows: \(plan.created) new, \(plan.updated) updated.")
        }
    }

    func importPlan(_ csv: String) async throws(CSVRejection) -> TargetImportPlan {
        let snapshot: StoreSnapshot
        do {
            snapshot = try await gateway.snapshot().snapshot
        } catch {
            throw CSVRejection(problems: [CSVProblem(line: 0, message: "the store cannot be read now; try again")])
        }
        return try TargetCSV.plan(csv, existing: snapshot.targets, catalog: snapshot)
    }

    func problemsPage(_ context: WebContext, _ problems: [CSVProblem], csv: String) -> Response {
        pages.render("import", title: "Import targets", context: context, [
            "nav_targets": true, "has_problems": true, "problem_count": problems.count, "problems": problems.map(\.description), "pasted": csv,
        ], status: .unprocessableContent)
    }

    func importPreview(_ context: WebContext, csv: String) async throws -> Response {
        let plan: TargetImportPlan
        do throws(CSVRejection) {
            plan = try await importPlan(csv)
        } catch {
            return problemsPage(context, error.problems, csv: csv)
        }
        let rows: [[String: Any]] = zip(plan.lines, plan.operations).map { line, operation in
            switch operation {
            case .createTarget(let fields):
                return ["line": line, "action": "create", "name": fields.name ?? "", "host": fields.host ?? "", "category": (fields.category ?? nil) ?? ""]
            case .updateTarget(_, let fields):
                return ["line": line, "action": "update", "name": fields.name ?? "", "host": fields.host ?? "", "category": (fields.category ?? nil) ?? ""]
            default:
                return ["line": line, "action": "change"]
            }
        }
        return pages.render("import", title: "Import targets", context: context, [
            "nav_targets": true, "preview": true, "csv": csv, "row_count": plan.operations.count,
            "summary": "\(plan.created) new targets, \(plan.updated) updates. Nothing is written until you import.", "rows": rows,
        ])
    }
}
