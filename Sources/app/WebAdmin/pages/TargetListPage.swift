import ConfigManager
import Foundation
import Hummingbird

extension WebAdmin.Routes {
    static let pageSize = 100

    func registerTargetList(_ router: Router<WebContext>) {
        router.get("/targets") { request, context in try await targetList(request, context) }
        router.get("/targets.csv") { request, context in
            var query = Self.query(from: request)
            query.limit = nil
            query.offset = 0
            let page = try await gateway.targets(matching: query)
            return Response(
                status: .ok,
                headers: [.contentType: "text/csv; charset=utf-8", .contentDisposition: "attachment; filename=\"smokeflow-targets.csv\""],
                body: .init(byteBuffer: ByteBuffer(string: TargetCSV.export(page.targets))))
        }
    }

    /// The filters of the targets page from its query string (also the CSV export's).
    static func query(from request: Request) -> TargetQuery {
        let parameters = request.uri.queryParameters
        func value(_ name: String) -> String? {
            guard let text = parameters[Substring(name)], !text.isEmpty else { return nil }
            return String(text)
        }
        var query = TargetQuery()
        query.text = value("q")
        query.category = value("category")
        query.probe = value("probe")
        query.site = value("site")
        query.activeOnly = value("active") == "yes"
        query.inactiveOnly = value("active") == "no"
        let sort = value("sort") ?? "name"
        query.descending = sort.hasPrefix("-")
        query.sort = TargetSort(rawValue: String(sort.drop { $0 == "-" })) ?? .name
        query.offset = max(0, Int(value("offset") ?? "0") ?? 0)
        query.limit = pageSize
        return query
    }

    static func queryString(_ pairs: [(String, String?)]) -> String {
        pairs.compactMap { name, value in
            guard let value, !value.isEmpty else { return nil }
            return name + "=" + (value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
        }.joined(separator: "&")
    }

    func targetList(_ request: Request, _ context: WebContext, flash: String? = nil, kind: String = "ok") async throws -> Response {
        let query = Self.query(from: request)
        let page = try await gateway.targets(matching: query)
        let catalog = try await gateway.catalog()
        let active = query.activeOnly ? "yes" : query.inactiveOnly ? "no" : nil
        let sortText = (query.descending ? "-" : "") + query.sort.rawValue
        let filters: [(String, String?)] = [("q", query.text), ("category", query.category), ("probe", query.probe), ("site", query.site), ("active", active)]
        let columns: [[String: Any]] = [TargetSort.name, .host, .title, .category, .probe, .site].map { column in
            let current = query.sort == column
            let next = current && !query.descending ? "-" + column.rawValue : column.rawValue
            return [
                "label": column.rawValue.capitalized, "query": Self.queryString(filters + [("sort", next)]),
                "arrow": current ? (query.descending ? "▼" : "▲") : "",
            ]
        }
        let rows: [[String: Any]] = page.targets.map { target in
            let record = target.record
            return [
                "id": target.id, "name": record.name, "host": record.host, "title": record.title, "category": record.category ?? "",
                "probe": record.probe ?? "", "site": record.site ?? "", "active": record.isActive,
            ]
        }
        let end = query.offset + page.targets.count
        let here = Self.queryString(filters + [("sort", sortText), ("offset", query.offset > 0 ? "\(query.offset)" : nil)])
        return pages.render("targets", title: "Targets", context: context, [
            "flash": flash ?? (page.stale ? "The database is unreachable: this list is the last snapshot, and changes are refused." : ""),
            "flash_kind": page.stale ? "error" : kind,
            "total": page.total, "q": query.text ?? "", "site": query.site ?? "", "sort": sortText,
            "active_yes": query.activeOnly, "active_no": query.inactiveOnly,
            "category_options": catalog.categories.map { ["value": $0.record.name, "label": $0.record.displayName.isEmpty ? $0.record.name : $0.record.displayName, "selected": $0.record.name == query.category] },
            "probe_options": catalog.probes.map { ["value": $0.record.name, "selected": $0.record.name == query.probe] },
            "filter_query": Self.queryString(filters + [("sort", sortText)]),
            "columns": columns, "rows": rows,
            "return_to": "/targets" + (here.isEmpty ? "" : "?" + here),
            "range_text": page.total == 0 ? "no targets" : "\(query.offset + 1)–\(end) of \(page.total)",
            "previous": query.offset > 0 ? Self.queryString(filters + [("sort", sortText), ("offset", "\(max(0, query.offset - Self.pageSize))")]) : "",
            "next": end < page.total ? Self.queryString(filters + [("sort", sortText), ("offset", "\(end)")]) : "",
        ])
    }
}
