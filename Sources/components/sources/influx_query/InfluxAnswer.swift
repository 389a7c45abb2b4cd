import Foundation
import NIOCore
import EventModel

/// Quoting for InfluxQL identifiers.
enum InfluxQL {
    static func identifier(_ name: String) -> String {
        "\"" + name.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}

/// A value of an InfluxDB JSON answer, decoded with `JSONDecoder`, whose number parsing is
/// exact (JSONSerialization's is not on Linux: it loses the last digit of some doubles). An
/// integer column keeps its exact `Int64` beside the double.
public enum InfluxValue: Decodable, Equatable, Sendable {
    case null
    case bool(Bool)
    case string(String)
    case number(double: Double, integer: Int64?)

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let bool = try? container.decode(Bool.self) {
            self = .bool(bool)
        } else if let string = try? container.decode(String.self) {
            self = .string(string)
        } else {
            self = .number(double: try container.decode(Double.self), integer: try? container.decode(Int64.self))
        }
    }

    public var double: Double? { if case .number(let double, _) = self { double } else { nil } }
    public var integer: Int64? { if case .number(_, let integer) = self { integer } else { nil } }
    public var string: String? { if case .string(let string) = self { string } else { nil } }
    public var bool: Bool? { if case .bool(let bool) = self { bool } else { nil } }
}

/// One JSON document of a `/query` answer.
struct InfluxAnswer: Decodable {
    typealias Value = InfluxValue

    struct Series: Decodable {
        var name: String
        var tags: [String: String]?
        var columns: [String]
        var values: [[Value]]
    }

    struct Result: Decodable {
        var series: [Series]?
        var error: String?
    }

    var results: [Result]
    var error: String?

    static func decode(_ buffer: ByteBuffer) throws -> InfluxAnswer {
        let answer = try JSONDecoder().decode(InfluxAnswer.self, from: Data(buffer.readableBytesView))
        if let error = answer.error ?? answer.results.compactMap(\.error).first { throw InfluxQueryError.failed(message: error) }
        return answer
    }

    /// Rows as points: tags from the series (`GROUP BY *`; empty tag values are absent tags),
    /// fields typed by `SHOW FIELD KEYS`; null fields are left out, rows without a field skipped.
    func points(types: [String: String]) -> [Point] {
        var points: [Point] = []
        for series in results.flatMap({ $0.series ?? [] }) {
            let tags = (series.tags ?? [:]).filter { !$0.value.isEmpty }.map { Point.Tag($0.key, $0.value) }
            guard let timeColumn = series.columns.firstIndex(of: "time") else { continue }
            for row in series.values where row.count == series.columns.count {
                guard case .number(_, let time?) = row[timeColumn] else { continue }
                var fields: [Point.Field] = []
                for (index, name) in series.columns.enumerated() where index != timeColumn {
                    if let value = Self.field(row[index], type: types[name]) { fields.append(.init(name, value)) }
                }
                if !fields.isEmpty { points.append(Point(measurement: series.name, tags: tags, fields: fields, timestamp: time)) }
            }
        }
        return points
    }

    static func field(_ value: Value, type: String?) -> FieldValue? {
        switch (value, type) {
        case (.number(_, let integer?), "integer"): return .int(integer)
        case (.number(let double, _), _): return .float(double)
        case (.string(let text), _): return .string(text)
        case (.bool(let flag), _): return .bool(flag)
        case (.null, _): return nil
        }
    }
}
