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

    /// The methods of the routes a path matches; where literal and parameter segments both
    /// match (`/targets/bulk`, `/targets/{id}`), only the most literal routes count, as the router's.
    func methods(forPath path: String) -> [String] {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        let matches = routes.compactMap { route -> (route: Route, literals: Int)? in
            let template = route.path.split(separator: "/", omittingEmptySubsequences: false)
            guard template.count == parts.count, zip(template, parts).allSatisfy({ $0.hasPrefix("{") || $0 == $1 }) else { return nil }
            return (route, template.count { !$0.hasPrefix("{") })
        }
        let best = matches.map(\.literals).max()
        return matches.filter { $0.literals == best }.map(\.route.method).sorted()
    }

    /// A request path as an error may repeat it: printable and short.
    func shownPath(_ path: String) -> String {
        let clean = String(path.unicodeScalars.filter { $0.value >= 0x20 && $0.value < 0x7f }.map(Character.init))
        return clean.count > 100 ? String(clean.prefix(100)) + "…" : clean
    }
}
