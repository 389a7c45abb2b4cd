import EventModel
#if canImport(Glibc)
import Glibc
#endif

/// One pass over a chunk of line protocol. Running out of bytes mid-line (when more may come)
/// and invalid input both stop the line by throwing, so each step reads as the grammar does.
struct ParseCursor {
    enum Stop: Error {
        /// The line continues in the next chunk.
        case needMore
        case invalid(column: Int, message: String)
    }

    enum Line {
        case point(Point)
        case blank
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

    private func invalid(_ message: String, at position: Int? = nil) -> Stop {
        .invalid(column: (position ?? index) - lineStart + 1, message: message)
    }

    /// At the end of the bytes: wait for more, or (at the real end) fail with `message`.
    private func ran(out message: String) -> Stop {
        isFinal ? invalid(message) : .needMore
    }

    private var atEnd: Bool { index >= bytes.count }

    private func isLineEnd(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r")
    }

    /// One line: a point or a blank/comment line; nil at the end of the input.
    mutating func parseLine(precision: Precision) throws(Stop) -> Line? {
        lineStart = index
        nameSlot = 0
        guard !atEnd else { return nil }
        if bytes[index] == UInt8(ascii: "\n") {
            index += 1
            return .blank
        }
        if bytes[index] == UInt8(ascii: "#") || bytes[index] == UInt8(ascii: "\r") {
            guard let newline = bytes[index...].firstIndex(of: UInt8(ascii: "\n")) else {
                guard isFinal else { throw .needMore }
                index = bytes.count
                return .blank
            }
            index = newline + 1
            return .blank
        }

        let measurement = try readName(stopAtEquals: false)
        guard !measurement.isEmpty else { throw invalid("missing measurement") }

        var tags: [Point.Tag] = []
        tags.reserveCapacity(names.lastTagCount)
        while !atEnd, bytes[index] == UInt8(ascii: ",") {
            index += 1
            let key = try readName(stopAtEquals: true)
            guard !key.isEmpty else { throw invalid("missing tag key") }
            guard !atEnd else { throw ran(out: "missing tag value") }
            guard bytes[index] == UInt8(ascii: "=") else { throw invalid("missing '=' after tag key") }
            index += 1
            let value = try readName(stopAtEquals: false)
            guard !value.isEmpty else { throw invalid("missing tag value") }
            tags.append(Point.Tag(key, value))
        }
        guard !atEnd else { throw ran(out: "missing fields") }
        guard bytes[index] == UInt8(ascii: " ") else { throw invalid("expected a space before the fields") }
        index += 1

        var fields: [Point.Field] = []
        fields.reserveCapacity(names.lastFieldCount)
        repeat {
            if !fields.isEmpty { index += 1 }  // the comma
            let key = try readName(stopAtEquals: true)
            guard !key.isEmpty else { throw invalid("missing field key") }
            guard !atEnd else { throw ran(out: "missing field value") }
            guard bytes[index] == UInt8(ascii: "=") else { throw invalid("missing '=' after field key") }
            index += 1
            fields.append(Point.Field(key, try readFieldValue()))
        } while !atEnd && bytes[index] == UInt8(ascii: ",")

        guard !atEnd else { throw ran(out: "point has no timestamp") }
        guard bytes[index] == UInt8(ascii: " ") else {
            if isLineEnd(bytes[index]) { throw invalid("point has no timestamp", at: lineStart) }
            throw invalid("unexpected character after the fields")
        }
        index += 1
        let start = index
        while !atEnd, !isLineEnd(bytes[index]) { index += 1 }
        if atEnd && !isFinal { throw .needMore }
        guard let value = parseInteger(start..<index, as: Int64.self) else { throw invalid("invalid timestamp", at: start) }
        let (timestamp, overflow) = value.multipliedReportingOverflow(by: precision.divisor)
        guard !overflow else { throw invalid("timestamp out of range", at: start) }
        if !atEnd, bytes[index] == UInt8(ascii: "\r") { index += 1 }
        if !atEnd {
            guard bytes[index] == UInt8(ascii: "\n") else { throw invalid("unexpected character after point") }
            index += 1
        }
        names.lastTagCount = tags.count
        names.lastFieldCount = fields.count
        return .point(Point(measurement: measurement, tags: tags, fields: fields, timestamp: timestamp))
    }

    /// A measurement, tag key, tag value or field key, up to an unescaped separator.
    private mutating func readName(stopAtEquals: Bool) throws(Stop) -> String {
        let start = index
        var escaped = false
        while !atEnd {
            let byte = bytes[index]
            if byte == UInt8(ascii: ",") || byte == UInt8(ascii: " ") || (stopAtEquals && byte == UInt8(ascii: "=")) {
                return escaped ? unescapeName(start..<index) : name(start..<index)
            }
            if byte == UInt8(ascii: "\n") { throw invalid("unexpected end of line") }
            if byte == UInt8(ascii: "\\") {
                escaped = true
                index += 1
                guard !atEnd else { break }
                if bytes[index] == UInt8(ascii: "\n") { throw invalid("unexpected end of line") }
            }
            index += 1
        }
        guard isFinal else { throw .needMore }
        return escaped ? unescapeName(start..<index) : name(start..<index)
    }

    private mutating func name(_ range: Range<Int>) -> String {
        defer { nameSlot += 1 }
        return names.string(for: UnsafeBufferPointer(rebasing: bytes[range]), slot: nameSlot)
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

    private func string(_ range: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }

    private mutating func readFieldValue() throws(Stop) -> FieldValue {
        guard !atEnd else { throw ran(out: "missing field value") }
        if bytes[index] == UInt8(ascii: "\"") { return try readStringField() }
        let start = index
        while !atEnd {
            let byte = bytes[index]
            if byte == UInt8(ascii: ",") || byte == UInt8(ascii: " ") || isLineEnd(byte) { break }
            index += 1
        }
        if atEnd && !isFinal { throw .needMore }
        let end = index
        guard end > start else { throw invalid("missing field value") }
        let value: FieldValue?
        switch bytes[end - 1] {
        case UInt8(ascii: "i"): value = parseInteger(start..<(end - 1), as: Int64.self).map(FieldValue.int)
        case UInt8(ascii: "u"): value = parseInteger(start..<(end - 1), as: UInt64.self).map(FieldValue.uint)
        case UInt8(ascii: "e"), UInt8(ascii: "E"), UInt8(ascii: "t"), UInt8(ascii: "T"), UInt8(ascii: "f"), UInt8(ascii: "F"):
            value = parseBoolean(start..<end).map(FieldValue.bool) ?? parseFloat(start..<end).map(FieldValue.float)
        default: value = parseFloat(start..<end).map(FieldValue.float)
        }
        guard let value else { throw invalid("invalid field value", at: start) }
        // strtod overflows (ERANGE) to ±HUGE_VAL, which line protocol cannot carry (InfluxDB refuses it too).
        if case .float(let number) = value, !number.isFinite { throw invalid("float field value out of range", at: start) }
        return value
    }

    private mutating func readStringField() throws(Stop) -> FieldValue {
        let open = index
        index += 1
        let start = index
        var escaped = false
        while !atEnd {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\\") {
                escaped = true
                index += 2
                continue
            }
            if byte == UInt8(ascii: "\"") {
                let end = index
                index += 1
                guard escaped else { return .string(string(start..<end)) }
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
                return .string(String(decoding: scratch, as: UTF8.self))
            }
            index += 1
        }
        guard isFinal else { throw .needMore }
        throw invalid("unterminated string field", at: open)
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
