/// A typed field value, as InfluxDB line protocol can carry it.
///
/// Each field keeps one type everywhere (InfluxDB rejects a type conflict); `docs/schema.md`
/// names the type of every field smokeflow writes.
public enum FieldValue: Sendable, Hashable {
    case float(Double)
    case int(Int64)
    case uint(UInt64)
    case string(String)
    case bool(Bool)
}

extension FieldValue: CustomStringConvertible {
    public var description: String {
        switch self {
        case .float(let value): return "\(value)"
        case .int(let value): return "\(value)i"
        case .uint(let value): return "\(value)u"
        case .string(let value): return "\"\(value)\""
        case .bool(let value): return value ? "true" : "false"
        }
    }
}
