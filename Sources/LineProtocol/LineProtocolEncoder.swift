public import NIOCore
public import SmokeflowModel

/// Writes points as InfluxDB line protocol, straight into a `ByteBuffer`.
///
/// Escaping follows the InfluxDB spec: measurement — comma, space; tag keys, tag values and
/// field keys — comma, equals sign, space; string field values — double quote, backslash.
/// Tags come out sorted by key and empty tag values are omitted. NaN and ±Inf cannot be carried
/// and are dropped (counted in `droppedNonFiniteFields`); a point left without fields is skipped
/// (counted in `droppedPoints`).
public struct LineProtocolEncoder: Sendable {
    public var precision: Precision
    public var droppedNonFiniteFields = 0
    public var droppedPoints = 0

    public init(precision: Precision = .nanoseconds) {
        self.precision = precision
    }

    /// Appends one point and its newline. On error nothing is appended.
    @inlinable
    public mutating func encode(_ point: Point, into buffer: inout ByteBuffer) throws(LineProtocolEncodingError) {
        let start = buffer.writerIndex
        do {
            try encodeUnchecked(point, into: &buffer)
        } catch {
            buffer.moveWriterIndex(to: start)
            throw error
        }
    }

    @inlinable
    mutating func encodeUnchecked(_ point: Point, into buffer: inout ByteBuffer) throws(LineProtocolEncodingError) {
        let start = buffer.writerIndex
        guard !point.measurement.isEmpty else { throw LineProtocolEncodingError(part: "measurement", reason: .empty) }
        try buffer.writeEscaped(point.measurement, kind: .measurement, part: "measurement")
        for tag in point.tags where !tag.value.isEmpty {
            buffer.writeInteger(UInt8(ascii: ","))
            guard !tag.key.isEmpty else { throw LineProtocolEncodingError(part: "tag key", reason: .empty) }
            try buffer.writeEscaped(tag.key, kind: .key, part: "tag key")
            buffer.writeInteger(UInt8(ascii: "="))
            try buffer.writeEscaped(tag.value, kind: .key, part: "tag value")
        }
        var separator = UInt8(ascii: " ")
        var written = 0
        for field in point.fields {
            if case .float(let value) = field.value, !value.isFinite {
                droppedNonFiniteFields += 1
                continue
            }
            buffer.writeInteger(separator)
            separator = UInt8(ascii: ",")
            guard !field.key.isEmpty else { throw LineProtocolEncodingError(part: "field key", reason: .empty) }
            try buffer.writeEscaped(field.key, kind: .key, part: "field key")
            buffer.writeInteger(UInt8(ascii: "="))
            buffer.writeFieldValue(field.value)
            written += 1
        }
        if written == 0 {
            buffer.moveWriterIndex(to: start)
            droppedPoints += 1
            return
        }
        buffer.writeInteger(UInt8(ascii: " "))
        buffer.writeDecimal(Self.scale(point.timestamp, by: precision.divisor))
        buffer.writeInteger(UInt8(ascii: "\n"))
    }

    /// Floor division, so a pre-1970 timestamp keeps its order at coarser precision.
    @inlinable
    static func scale(_ nanoseconds: Int64, by divisor: Int64) -> Int64 {
        if divisor == 1 { return nanoseconds }
        let (quotient, remainder) = nanoseconds.quotientAndRemainder(dividingBy: divisor)
        return remainder < 0 ? quotient - 1 : quotient
    }
}

@usableFromInline
enum EscapeKind {
    case measurement
    case key
}

extension ByteBuffer {
    @inlinable
    mutating func writeEscaped(_ string: String, kind: EscapeKind, part: String) throws(LineProtocolEncodingError) {
        var string = string
        let result: LineProtocolEncodingError.Reason? = string.withUTF8 { bytes in
            // Fast path: most names need no escaping at all.
            var needsEscape = false
            for byte in bytes {
                switch byte {
                case UInt8(ascii: ","), UInt8(ascii: " "), UInt8(ascii: "\\"): needsEscape = true
                case UInt8(ascii: "="): if kind == .key { needsEscape = true }
                case UInt8(ascii: "\n"), UInt8(ascii: "\r"): return .newline
                default: continue
                }
            }
            if !needsEscape {
                self.writeBytes(bytes)
                return nil
            }
            return self.writeEscapedSlow(bytes, kind: kind)
        }
        if let result { throw LineProtocolEncodingError(part: part, reason: result) }
    }

    @usableFromInline
    mutating func writeEscapedSlow(_ bytes: UnsafeBufferPointer<UInt8>, kind: EscapeKind) -> LineProtocolEncodingError.Reason? {
        for (index, byte) in bytes.enumerated() {
            let special = byte == UInt8(ascii: ",") || byte == UInt8(ascii: " ")
                || (kind == .key && byte == UInt8(ascii: "="))
            if byte == UInt8(ascii: "\\") {
                // A backslash is literal unless it would read as an escape of what follows.
                let next = index + 1 < bytes.count ? bytes[index + 1] : nil
                if next == nil || next == UInt8(ascii: ",") || next == UInt8(ascii: " ")
                    || next == UInt8(ascii: "=") && kind == .key
                {
                    return .ambiguousBackslash
                }
            }
            if special { self.writeInteger(UInt8(ascii: "\\")) }
            self.writeInteger(byte)
        }
        return nil
    }

    @inlinable
    mutating func writeFieldValue(_ value: FieldValue) {
        switch value {
        case .float(let double): writeFloat(double)
        case .int(let integer):
            writeDecimal(integer)
            writeInteger(UInt8(ascii: "i"))
        case .uint(let integer):
            writeDecimal(integer)
            writeInteger(UInt8(ascii: "u"))
        case .bool(let bool):
            if bool { writeStaticString("true") } else { writeStaticString("false") }
        case .string(let string): writeStringField(string)
        }
    }

    @inlinable
    mutating func writeFloat(_ value: Double) {
        // Shortest round-trip digits ("1.5", "5e-324", "1.7976931348623157e+308"), exactly
        // `value.description` (a test holds it to that). The formatter leaves zero digits
        // unwritten and expects a buffer filled with "0", as the standard library's is.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32) { digits in
            digits.initialize(repeating: UInt8(ascii: "0"))
            let count = Int(_swiftFloat64ToString(digits.baseAddress!, 32, value, false))
            writeBytes(UnsafeBufferPointer(rebasing: digits[..<count]))
        }
    }

    @inlinable
    mutating func writeDecimal<I: FixedWidthInteger>(_ value: I) {
        if value >= 0 && value < 10 {
            writeInteger(UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: value))
            return
        }
        // Digits into a stack buffer from the end, then one copy.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 21) { digits in
            var magnitude = value.magnitude
            var position = 21
            repeat {
                position -= 1
                let (quotient, remainder) = magnitude.quotientAndRemainder(dividingBy: 10)
                digits[position] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: remainder)
                magnitude = quotient
            } while magnitude != 0
            if value < 0 {
                position -= 1
                digits[position] = UInt8(ascii: "-")
            }
            writeBytes(UnsafeBufferPointer(rebasing: digits[position...]))
        }
    }

    @usableFromInline
    mutating func writeStringField(_ string: String) {
        writeInteger(UInt8(ascii: "\""))
        var string = string
        string.withUTF8 { bytes in
            var runStart = 0
            for (index, byte) in bytes.enumerated() where byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                writeBytes(UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
                writeInteger(UInt8(ascii: "\\"))
                runStart = index
            }
            writeBytes(UnsafeBufferPointer(rebasing: bytes[runStart...]))
        }
        writeInteger(UInt8(ascii: "\""))
    }
}
