/// The API's routes as data: what the router registers, what 405 answers list, and what the
/// test compares with `docs/openapi.yaml`.
public struct RouteTable: Sendable {
    public struct Route: Sendable, Hashable {
        public var method: String
        /// OpenAPI's form: `/targets/{id}`.
        public var path: String
    }

    public private(set) var routes: [Route] = []

    mutating func add(_ method: String, _ path: String) { routes.append(Route(method: method, path: path)) }

    func methods(forPath path: String) -> [String] {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        return routes.filter { route in
            let template = route.path.split(separator: "/", omittingEmptySubsequences: false)
            return template.count == parts.count && zip(template, parts).allSatisfy { $0.hasPrefix("{") || $0 == $1 }
        }.map(\.method).sorted()
    }

    /// A request path as an error may repeat it: printable and short.
    func shownPath(_ path: String) -> String {
        let clean = String(path.unicodeScalars.filter { $0.value >= 0x20 && $0.value < 0x7f }.map(Character.init))
        return clean.count > 100 ? String(clean.prefix(100)) + "…" : clean
    }
}
