/// What `rrd_info_r` says about a file's layout.
public struct RRDInfo: Sendable, Equatable {
    public struct DataSource: Sendable, Equatable {
        public var name: String
        public var type: String
        public var heartbeat: Int
        public var minimum: Double?
        public var maximum: Double?
    }

    public struct Archive: Sendable, Equatable {
        public var index: Int
        public var consolidation: String
        public var rows: Int
        public var stepsPerRow: Int
        public var xff: Double
    }

    public var step: Int
    public var lastUpdate: Int
    /// In the file's order.
    public var dataSources: [DataSource]
    public var archives: [Archive]
}

enum RRDInfoValue {
    case number(Double)
    case count(Int)
    case text(String)

    var number: Double? {
        switch self {
        case .number(let value): return value.isNaN ? nil : value
        case .count(let value): return Double(value)
        case .text: return nil
        }
    }

    var count: Int? {
        if case .count(let value) = self { return value }
        return nil
    }

    var text: String? {
        if case .text(let value) = self { return value }
        return nil
    }
}

extension RRDInfo {
    /// From `rrd_info_r`'s flat keys: `step`, `last_update`, `ds[NAME].type`, `rra[I].cf`, …
    init(path: String, values: [String: RRDInfoValue]) throws {
        func invalid(_ what: String) -> RRDError { RRDError(path: path, operation: "info", message: "no \(what) in the file's header") }
        guard let step = values["step"]?.count else { throw invalid("step") }
        guard let lastUpdate = values["last_update"]?.count else { throw invalid("last_update") }
        var sources: [(index: Int, source: DataSource)] = []
        var archives: [Archive] = []
        for (key, value) in values {
            if key.hasPrefix("ds["), key.hasSuffix("].index"), let index = value.count {
                let name = String(key.dropFirst(3).dropLast(7))
                guard let type = values["ds[\(name)].type"]?.text else { throw invalid("type of \(name)") }
                sources.append((index, DataSource(
                    name: name, type: type, heartbeat: values["ds[\(name)].minimal_heartbeat"]?.count ?? 0,
                    minimum: values["ds[\(name)].min"]?.number, maximum: values["ds[\(name)].max"]?.number
                )))
            } else if key.hasPrefix("rra["), key.hasSuffix("].cf"), let consolidation = value.text {
                guard let index = Int(key.dropFirst(4).dropLast(4)) else { continue }
                guard let rows = values["rra[\(index)].rows"]?.count, let stepsPerRow = values["rra[\(index)].pdp_per_row"]?.count
                else { throw invalid("rows of archive \(index)") }
                archives.append(Archive(
                    index: index, consolidation: consolidation, rows: rows, stepsPerRow: stepsPerRow,
                    xff: values["rra[\(index)].xff"]?.number ?? 0.5
                ))
            }
        }
        self.init(
            step: step, lastUpdate: lastUpdate, dataSources: sources.sorted { $0.index < $1.index }.map(\.source),
            archives: archives.sorted { $0.index < $1.index }
        )
    }
}
