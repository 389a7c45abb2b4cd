public import SmokeflowModel
#if canImport(Glibc)
import Glibc
#endif

/// Parses InfluxDB line protocol with the encoder's escaping rules, incrementally: feed it
/// chunks, it returns how many bytes made whole points and keeps count of lines for errors.
///
/// Blank lines and `#` comments are skipped. A backslash escapes a following separator
/// (comma, space, and `=` in keys and tag values); before any other byte it is literal.
public struct LineProtocolParser: Sendable {
    public var precision: Precision
    /// 1-based line number of the next unparsed byte.
    public private(set) var line = 1
    /// Names repeat from line to line in the same places; reusing their Strings saves decoding.
    var names = NameCache()

    public init(precision: Precision = .nanoseconds) {
        self.precision = precision
    }

    /// Parses every complete point in `bytes` into `points` and returns the bytes consumed.
    /// With `isFinal`, the bytes are the end of the input and a last line may lack its newline;
    /// otherwise an incomplete last line is left for the next call.
    public mutating func parse(
        _ bytes: UnsafeBufferPointer<UInt8>, isFinal: Bool, into points: inout [Point]
    ) throws(LineProtocolParseError) -> Int {
        var cursor = Cursor(bytes: bytes, isFinal: isFinal, names: names)
        defer { names = cursor.names }
        while true {
            let lineStart = cursor.index
            switch cursor.parseLine(precision: precision) {
            case .value(let point):
                if let point { points.append(point) }
                line += 1
            case .needMore:
                return lineStart
            case .failure(let column, let message):
                throw LineProtocolParseError(line: line, column: column, message: message)
            case .end:
                return cursor.index
            }
        }
    }

    /// Parses a whole text, e.g. in tests.
    public static func parse(_ text: String, precision: Precision = .nanoseconds) throws(LineProtocolParseError) -> [Point] {
        var parser = LineProtocolParser(precision: precision)
        var points: [Point] = []
        var text = text
        let result: Result<Int, LineProtocolParseError> = text.withUTF8 { bytes in
            do throws(LineProtocolParseError) {
                return .success(try parser.parse(bytes, isFinal: true, into: &points))
            } catch {
                return .failure(error)
            }
        }
        _ = try result.get()
        return points
    }
}

struct Cursor {
    enum Outcome<Value> {
        case value(Value)
        case needMore
        case failure(column: Int, message: String)
        case end
    }

    let bytes: UnsafeBufferPointer<UInt8>
    let isFinal: Bool
    var index = 0
    var lineStart = 0
    var scratch: [UInt8] = []
    var names: NameCache
    /// Which name of the line is being read: its slot in `names`.
    var nameSlot = 0

    init(bytes: UnsafeBufferPointer<UInt8>, isFinal: Bool, names: NameCache) {
        self.bytes = bytes
        self.isFinal = isFinal
        self.names = names
    }

    private var column: Int { index - lineStart + 1 }

    private func fail<T>(_ message: String) -> Outcome<T> { .failure(column: column, message: message) }

    /// One line: a point, a blank or comment line (nil), or the end of the input.
    mutating func parseLine(precision: Precision) -> Outcome<Point?> {
        lineStart = index
        nameSlot = 0
        guard index < bytes.count else { return .end }
        if bytes[index] == UInt8(ascii: "\n") {
            index += 1
            return .value(nil)
        }
        if bytes[index] == UInt8(ascii: "#") || bytes[index] == UInt8(ascii: "\r") && peek(1) == UInt8(ascii: "\n") {
            guard let newline = bytes[index...].firstIndex(of: UInt8(ascii: "\n")) else {
                if isFinal {
                    index = bytes.count
                    return .value(nil)
                }
                return .needMore
            }
            index = newline + 1
            return .value(nil)
        }
        let measurement: String
        switch readName(stopAtEquals: false) {
        case .value(let name): measurement = name
        case .needMore: return .needMore
        case .failure(let column, let message): return .failure(column: column, message: message)
        case .end: return fail("unexpected end of input")
        }
        if measurement.isEmpty { return fail("missing measurement") }

        var tags: [Point.Tag] = []
        tags.reserveCapacity(names.lastTagCount)
        while index < bytes.count, bytes[index] == UInt8(ascii: ",") {
            index += 1
            let key: String
            switch readName(stopAtEquals: true) {
            case .value(let name): key = name
            case .needMore: return .needMore
            case .failure(let column, let message): return .failure(column: column, message: message)
            case .end: return fail("unexpected end of input")
            }
            guard !key.isEmpty else { return fail("missing tag key") }
            guard index < bytes.count else { return isFinal ? fail("missing tag value") : .needMore }
            guard bytes[index] == UInt8(ascii: "=") else { return fail("missing '=' after tag key") }
            index += 1
            switch readName(stopAtEquals: false) {
            case .value(let value):
                guard !value.isEmpty else { return fail("missing tag value") }
                tags.append(Point.Tag(key, value))
            case .needMore: return .needMore
            case .failure(let column, let message): return .failure(column: column, message: message)
            case .end: return fail("unexpected end of input")
            }
        }
        guard index < bytes.count else { return isFinal ? fail("missing fields") : .needMore }
        guard bytes[index] == UInt8(ascii: " ") else { return fail("expected a space before the fields") }
        index += 1

        var fields: [Point.Field] = []
        fields.reserveCapacity(names.lastFieldCount)
        repeat {
            if !fields.isEmpty { index += 1 }  // the comma
            let key: String
            switch readName(stopAtEquals: true) {
            case .value(let name): key = name
            case .needMore: return .needMore
            case .failure(let column, let message): return .failure(column: column, message: message)
            case .end: return fail("unexpected end of input")
            }
            guard !key.isEmpty else { return fail("missing field key") }
            guard index < bytes.count else { return isFinal ? fail("missing field value") : .needMore }
            guard bytes[index] == UInt8(ascii: "=") else { return fail("missing '=' after field key") }
            index += 1
            switch readFieldValue() {
            case .value(let value): fields.append(Point.Field(key, value))
            case .needMore: return .needMore
            case .failure(let column, let message): return .failure(column: column, message: message)
            case .end: return fail("unexpected end of input")
            }
        } while index < bytes.count && bytes[index] == UInt8(ascii: ",")

        var timestamp: Int64 = 0
        var hasTimestamp = false
        if index < bytes.count, bytes[index] == UInt8(ascii: " ") {
            index += 1
            let start = index
            while index < bytes.count, !isLineEnd(bytes[index]) { index += 1 }
            if index == bytes.count && !isFinal { return .needMore }
            guard let value = parseInteger(start..<index, as: Int64.self) else {
                index = start
                return fail("invalid timestamp")
            }
            let (scaled, overflow) = value.multipliedReportingOverflow(by: precision.divisor)
            guard !overflow else {
                index = start
                return fail("timestamp out of range")
            }
            timestamp = scaled
            hasTimestamp = true
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "\r") { index += 1 }
        if index < bytes.count {
            guard bytes[index] == UInt8(ascii: "\n") else { return fail("unexpected character after point") }
            index += 1
        } else if !isFinal {
            return .needMore
        }
        guard hasTimestamp else { return .failure(column: 1, message: "point has no timestamp") }
        names.lastTagCount = tags.count
        names.lastFieldCount = fields.count
        return .value(Point(measurement: measurement, tags: tags, fields: fields, timestamp: timestamp))
    }

    private func peek(_ offset: Int) -> UInt8? {
        index + offset < bytes.count ? bytes[index + offset] : nil
    }

    private func isLineEnd(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r")
    }

    /// A measurement, tag key, tag value or field key, up to an unescaped separator.
    private mutating func readName(stopAtEquals: Bool) -> Outcome<String> {
        let start = index
        var escaped = false
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: ",") || byte == UInt8(ascii: " ") || (stopAtEquals && byte == UInt8(ascii: "=")) {
                return .value(escaped ? unescapeName(start..<index) : name(start..<index))
            }
            if byte == UInt8(ascii: "\n") { return fail("unexpected end of line") }
            if byte == UInt8(ascii: "\\") {
                escaped = true
                index += 1
                guard index < bytes.count else { break }
                if bytes[index] == UInt8(ascii: "\n") { return fail("unexpected end of line") }
            }
            index += 1
        }
        return isFinal ? .value(escaped ? unescapeName(start..<index) : name(start..<index)) : .needMore
    }

    private mutating func unescapeName(_ range: Range<Int>) -> String {
        scratch.removeAll(keepingCapacity: true)
        var position = range.lowerBound
        while position < range.upperBound {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\\"), position + 1 < range.upperBound {
                let next = bytes[position + 1]
                if next == UInt8(ascii: ",") || next == UInt8(ascii: " ") || next == UInt8(ascii: "=") {
                    scratch.append(next)
                } else {
                    scratch.append(byte)
                    scratch.append(next)
                }
                position += 2
                continue
            }
            scratch.append(byte)
            position += 1
        }
        return String(decoding: scratch, as: UTF8.self)
    }

    private mutating func name(_ range: Range<Int>) -> String {
        defer { nameSlot += 1 }
        return names.string(for: UnsafeBufferPointer(rebasing: bytes[range]), slot: nameSlot)
    }

    private func string(_ range: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }

    private mutating func readFieldValue() -> Outcome<FieldValue> {
        guard index < bytes.count else { return isFinal ? fail("missing field value") : .needMore }
        if bytes[index] == UInt8(ascii: "\"") {
            return readStringField()
        }
        let start = index
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: ",") || byte == UInt8(ascii: " ") || isLineEnd(byte) { break }
            index += 1
        }
        if index == bytes.count && !isFinal { return .needMore }
        let end = index
        guard end > start else { return fail("missing field value") }
        let last = bytes[end - 1]
        let value: FieldValue?
        switch last {
        case UInt8(ascii: "i"): value = parseInteger(start..<(end - 1), as: Int64.self).map(FieldValue.int)
        case UInt8(ascii: "u"): value = parseInteger(start..<(end - 1), as: UInt64.self).map(FieldValue.uint)
        case UInt8(ascii: "e"), UInt8(ascii: "E"), UInt8(ascii: "t"), UInt8(ascii: "T"), UInt8(ascii: "f"), UInt8(ascii: "F"):
            value = parseBoolean(start..<end).map(FieldValue.bool) ?? parseFloat(start..<end).map(FieldValue.float)
        default: value = parseFloat(start..<end).map(FieldValue.float)
        }
        guard let value else {
            index = start
            return fail("invalid field value")
        }
        return .value(value)
    }

    private mutating func readStringField() -> Outcome<FieldValue> {
        let open = index
        index += 1
        let start = index
        var escaped = false
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\\") {
                escaped = true
                index += 2
                continue
            }
            if byte == UInt8(ascii: "\"") {
                let end = index
                index += 1
                guard escaped else { return .value(.string(string(start..<end))) }
                scratch.removeAll(keepingCapacity: true)
                var position = start
                while position < end {
                    let byte = bytes[position]
                    if byte == UInt8(ascii: "\\"), position + 1 < end,
                        bytes[position + 1] == UInt8(ascii: "\"") || bytes[position + 1] == UInt8(ascii: "\\")
                    {
                        scratch.append(bytes[position + 1])
                        position += 2
                    } else {
                        scratch.append(byte)
                        position += 1
                    }
                }
                return .value(.string(String(decoding: scratch, as: UTF8.self)))
            }
            index += 1
        }
        if !isFinal { return .needMore }
        index = open
        return fail("unterminated string field")
    }

    private func parseBoolean(_ range: Range<Int>) -> Bool? {
        switch range.count {
        case 1:
            switch bytes[range.lowerBound] {
            case UInt8(ascii: "t"), UInt8(ascii: "T"): return true
            case UInt8(ascii: "f"), UInt8(ascii: "F"): return false
            default: return nil
            }
        case 4, 5:
            switch string(range) {
            case "true", "True", "TRUE": return true
            case "false", "False", "FALSE": return false
            default: return nil
            }
        default: return nil
        }
    }

    private func parseInteger<I: FixedWidthInteger>(_ range: Range<Int>, as type: I.Type) -> I? {
        guard !range.isEmpty else { return nil }
        var position = range.lowerBound
        var negative = false
        if bytes[position] == UInt8(ascii: "-") {
            guard I.isSigned else { return nil }
            negative = true
            position += 1
        } else if bytes[position] == UInt8(ascii: "+") {
            position += 1
        }
        guard position < range.upperBound else { return nil }
        var value: I = 0
        while position < range.upperBound {
            let digit = bytes[position] &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
            // Accumulate negatively so Int64.min parses without overflow.
            let (next, overflow2) = negative
                ? times10.subtractingReportingOverflow(I(digit)) : times10.addingReportingOverflow(I(digit))
            guard !overflow1, !overflow2 else { return nil }
            value = next
            position += 1
        }
        return value
    }

    /// Digits, sign, point and exponent only: `strtod` alone would also take "inf", "nan"
    /// and hex floats, which line protocol does not have.
    private func parseFloat(_ range: Range<Int>) -> Double? {
        if let fast = FastFloat.parse(UnsafeBufferPointer(rebasing: bytes[range])) { return fast }
        guard range.count < 64 else { return nil }
        for position in range {
            switch bytes[position] {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "-"), UInt8(ascii: "+"),
                UInt8(ascii: "e"), UInt8(ascii: "E"):
                continue
            default: return nil
            }
        }
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: 64) { buffer -> Double? in
            let count = range.count
            UnsafeMutableRawBufferPointer(buffer).copyMemory(from: UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes[range])))
            buffer[count] = 0
            var end: UnsafeMutablePointer<CChar>?
            let value = strtod(buffer.baseAddress!, &end)
            guard let end, end == buffer.baseAddress! + count, count > 0 else { return nil }
            return value
        }
    }
}

/// The Strings of the names seen at each position of the previous lines.
struct NameCache: Sendable {
    private var entries: [(bytes: [UInt8], string: String)] = []
    /// The previous point's tag and field counts, to size the next point's arrays once.
    var lastTagCount = 0
    var lastFieldCount = 0

    mutating func string(for bytes: UnsafeBufferPointer<UInt8>, slot: Int) -> String {
        if slot < entries.count {
            let hit = entries[slot].bytes.withUnsafeBufferPointer { cached in
                guard cached.count == bytes.count else { return false }
                for index in 0..<bytes.count where cached[index] != bytes[index] { return false }
                return true
            }
            if hit { return entries[slot].string }
        }
        let string = String(decoding: bytes, as: UTF8.self)
        if slot < entries.count {
            entries[slot] = (Array(bytes), string)
        } else if slot == entries.count && slot < 256 {
            entries.append((Array(bytes), string))
        }
        return string
    }
}

/// Exact decimal-to-double conversion for the common case, without strtod: up to 19
/// significant digits and a decimal exponent within ±27, computed in Float80 (whose 64-bit
/// significand holds both exactly) and rounded once more to Double. When that second rounding
/// could differ from a direct one (the Float80 result sits on a Double halfway point), it
/// declines and the caller uses strtod.
enum FastFloat {
    static let powers: [Float80] = (0...27).map { exponent in
        var value: Float80 = 1
        for _ in 0..<exponent { value *= 10 }
        return value
    }

    static let doublePowers: [Double] = (0...22).map { exponent in
        var value: Double = 1
        for _ in 0..<exponent { value *= 10 }
        return value
    }

    static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> Double? {
        var index = 0
        var negative = false
        if index < bytes.count, bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+") {
            negative = bytes[index] == UInt8(ascii: "-")
            index += 1
        }
        var mantissa: UInt64 = 0
        var digits = 0
        var exponent = 0
        var sawDigit = false
        while index < bytes.count, case let digit = bytes[index] &- UInt8(ascii: "0"), digit < 10 {
            if mantissa != 0 || digit != 0 { digits += 1 }
            guard digits <= 19 else { return nil }
            mantissa = mantissa &* 10 &+ UInt64(digit)
            sawDigit = true
            index += 1
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            while index < bytes.count, case let digit = bytes[index] &- UInt8(ascii: "0"), digit < 10 {
                if mantissa != 0 || digit != 0 { digits += 1 }
                guard digits <= 19 else { return nil }
                mantissa = mantissa &* 10 &+ UInt64(digit)
                exponent -= 1
                sawDigit = true
                index += 1
            }
        }
        guard sawDigit else { return nil }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            var exponentNegative = false
            if index < bytes.count, bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+") {
                exponentNegative = bytes[index] == UInt8(ascii: "-")
                index += 1
            }
            var value = 0
            var any = false
            while index < bytes.count, case let digit = bytes[index] &- UInt8(ascii: "0"), digit < 10 {
                value = value * 10 + Int(digit)
                guard value < 10_000 else { return nil }
                any = true
                index += 1
            }
            guard any else { return nil }
            exponent += exponentNegative ? -value : value
        }
        guard index == bytes.count else { return nil }
        if mantissa == 0 { return negative ? -0.0 : 0.0 }
        guard exponent >= -27 && exponent <= 27 else { return nil }
        // Clinger's fast path: both operands exact in Double, so one correctly rounded operation.
        if mantissa < (1 << 53) && exponent >= -22 && exponent <= 22 {
            let result = exponent < 0 ? Double(mantissa) / doublePowers[-exponent] : Double(mantissa) * doublePowers[exponent]
            if exponent <= 0 || result < 9_007_199_254_740_992 {
                return negative ? -result : result
            }
        }
        let wide = exponent < 0 ? Float80(mantissa) / powers[-exponent] : Float80(mantissa) * powers[exponent]
        // The 11 bits Double drops: within one unit of 0x400 means a possible double-rounding tie.
        let dropped = wide.significandBitPattern & 0x7FF
        if dropped >= 0x3FF && dropped <= 0x401 { return nil }
        let result = Double(wide)
        return negative ? -result : result
    }
}
