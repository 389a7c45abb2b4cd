import Foundation

/// A JSON document as values, so a request's fields are checked one by one and each problem
/// names its field (Codable stops at the first and describes it in its own words).
enum JSONValue: Sendable, Equatable, Decodable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    var kindName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

/// The fields of one JSON object, read with the field's name in every error.
struct JSONFields {
    let values: [String: JSONValue]
    /// `items[3].` for an object inside a list, so the error names the path.
    let prefix: String

    init(_ value: JSONValue, path: String = "body") throws(APIError) {
        guard case .object(let values) = value else { throw APIError.invalid(field: path, "\(path) must be a JSON object, not \(value.kindName)") }
        self.values = values
        self.prefix = path == "body" ? "" : path + "."
    }

    func rejectUnknown(_ allowed: Set<String>) throws(APIError) {
        for key in values.keys.sorted() where !allowed.contains(key) {
            throw APIError.invalid(field: prefix + key, "unknown field '\(prefix)\(Self.shown(key))' (expected \(allowed.sorted().joined(separator: ", ")))")
        }
    }

    func has(_ key: String) -> Bool { values[key] != nil }

    func string(_ key: String) throws(APIError) -> String? {
        switch values[key] {
        case nil: return nil
        case .string(let text): return text
        case let other?: throw APIError.invalid(field: prefix + key, "\(prefix)\(key) must be a string, not \(other.kindName)")
        }
    }

    /// nil when absent, `.some(nil)` for an explicit null (clears an optional field).
    func nullableString(_ key: String) throws(APIError) -> String?? {
        switch values[key] {
        case nil: return nil
        case .null: return .some(nil)
        case .string(let text): return .some(text.isEmpty ? nil : text)
        case let other?: throw APIError.invalid(field: prefix + key, "\(prefix)\(key) must be a string or null, not \(other.kindName)")
        }
    }

    func bool(_ key: String) throws(APIError) -> Bool? {
        switch values[key] {
        case nil: return nil
        case .bool(let value): return value
        case let other?: throw APIError.invalid(field: prefix + key, "\(prefix)\(key) must be true or false, not \(other.kindName)")
        }
    }

    func int(_ key: String) throws(APIError) -> Int? {
        switch values[key] {
        case nil: return nil
        case .number(let value) where value.rounded() == value && abs(value) < 1e15: return Int(value)
        case let other?: throw APIError.invalid(field: prefix + key, "\(prefix)\(key) must be a whole number, not \(other.kindName)")
        }
    }

    /// nil when absent; an explicit null is refused for fields that cannot be null.
    func required<T>(_ key: String, _ read: (String) throws(APIError) -> T?) throws(APIError) -> T {
        guard let value = try read(key) else { throw APIError.invalid(field: prefix + key, "\(prefix)\(key) is required") }
        return value
    }

    static func shown(_ key: String) -> String {
        let clean = String(key.unicodeScalars.filter { $0.properties.generalCategory != .control }.map(Character.init))
        return clean.count > 64 ? String(clean.prefix(64)) + "…" : clean
    }
}
