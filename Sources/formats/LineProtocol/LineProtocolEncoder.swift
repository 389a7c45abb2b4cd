public import NIOCore
public import EventModel

/// Writes points as InfluxDB line protocol, straight into a `ByteBuffer`.
///
/// Escaping follows the InfluxDB spec: measurement — comma, space; tag keys, tag values and
/// field keys — comma, equals sign, space; string field values — double quote, backslash.
/// Tags come out sorted by key and empty tag values are omitted. NaN and ±Inf cannot be carried
/// and are dropped (counted in `droppedNonFiniteFields`); a point left without fields is refused
/// with `.noFields` (and counted in `droppedPoints`), so a sink counts it as dropped, not written.
///
/// Each point is written in one pass into space reserved for its worst case, so the hot path
/// does one capacity check per point and no per-byte bookkeeping.
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
        let divisor = precision.divisor
        var outcome = PointOutcome.written
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: RawOutput.worstCaseSize(of: point)) { raw in
            var output = RawOutput(raw.baseAddress.unsafelyUnwrapped.assumingMemoryBound(to: UInt8.self))
            outcome = output.write(point, divisor: divisor)
            if case .written = outcome { return output.count }
            if case .writtenDropping = outcome { return output.count }
            return 0
        }
        switch outcome {
        case .written: return
        case .writtenDropping(let count): droppedNonFiniteFields += count
        case .noFields(let count):
            droppedNonFiniteFields += count
            droppedPoints += 1
            throw LineProtocolEncodingError(part: "fields", reason: .noFields)
        case .failed(let error): throw error
        }
    }
}

@usableFromInline
enum PointOutcome {
    case written
    case writtenDropping(Int)
    case noFields(Int)
    case failed(LineProtocolEncodingError)
}

/// An output cursor over memory already reserved for the point's worst case.
@usableFromInline
struct RawOutput {
    @usableFromInline var base: UnsafeMutablePointer<UInt8>
    @usableFromInline var count = 0

    @inlinable
    init(_ base: UnsafeMutablePointer<UInt8>) { self.base = base }

    /// Every byte escaped, plus separators and the widest number forms.
    @inlinable
    static func worstCaseSize(of point: Point) -> Int {
        var size = point.measurement.utf8.count * 2 + 24
        for tag in point.tags { size += (tag.key.utf8.count + tag.value.utf8.count) * 2 + 2 }
        for field in point.fields {
            size += field.key.utf8.count * 2 + 2
            switch field.value {
            case .float, .int, .uint: size += 32
            case .bool: size += 5
            case .string(let text): size += text.utf8.count * 2 + 2
            }
        }
        return size
    }

    @inlinable
    mutating func byte(_ value: UInt8) {
        base[count] = value
        count &+= 1
    }

    @inlinable
    mutating func write(_ point: Point, divisor: Int64) -> PointOutcome {
        guard !point.measurement.isEmpty else { return .failed(.init(part: "measurement", reason: .empty)) }
        if let reason = escaped(point.measurement, equalsIsSpecial: false) { return .failed(.init(part: "measurement", reason: reason)) }
        for tag in point.tags where !tag.value.isEmpty {
            byte(UInt8(ascii: ","))
            guard !tag.key.isEmpty else { return .failed(.init(part: "tag key", reason: .empty)) }
            if let reason = escaped(tag.key, equalsIsSpecial: true) { return .failed(.init(part: "tag key", reason: reason)) }
            byte(UInt8(ascii: "="))
            if let reason = escaped(tag.value, equalsIsSpecial: true) { return .failed(.init(part: "tag value", reason: reason)) }
        }
        var separator = UInt8(ascii: " ")
        var written = 0
        var dropped = 0
        for field in point.fields {
            if case .float(let value) = field.value, !value.isFinite {
                dropped += 1
                continue
            }
            byte(separator)
            separator = UInt8(ascii: ",")
            guard !field.key.isEmpty else { return .failed(.init(part: "field key", reason: .empty)) }
            if let reason = escaped(field.key, equalsIsSpecial: true) { return .failed(.init(part: "field key", reason: reason)) }
            byte(UInt8(ascii: "="))
            value(field.value)
            written += 1
        }
        if written == 0 { return .noFields(dropped) }
        byte(UInt8(ascii: " "))
        decimal(Self.scale(point.timestamp, by: divisor))
        byte(UInt8(ascii: "\n"))
        return dropped == 0 ? .written : .writtenDropping(dropped)
    }

    /// Floor division, so a pre-1970 timestamp keeps its order at coarser precision.
    @inlinable
    static func scale(_ nanoseconds: Int64, by divisor: Int64) -> Int64 {
        divisor == 1 ? nanoseconds : nanoseconds.floorDivided(by: divisor)
    }

    /// A name or tag value with its separators escaped; nil, or why it cannot be written.
    @inlinable
    mutating func escaped(_ text: String, equalsIsSpecial: Bool) -> LineProtocolEncodingError.Reason? {
        let fast = text.utf8.withContiguousStorageIfAvailable { bytes in escapedBytes(bytes, equalsIsSpecial: equalsIsSpecial) }
        if let fast { return fast }
        return Array(text.utf8).withUnsafeBufferPointer { escapedBytes($0, equalsIsSpecial: equalsIsSpecial) }
    }

    @inlinable
    mutating func escapedBytes(_ bytes: UnsafeBufferPointer<UInt8>, equalsIsSpecial: Bool) -> LineProtocolEncodingError.Reason? {
        var index = 0
        while index < bytes.count {
            let current = bytes[index]
            switch current {
            case UInt8(ascii: ","), UInt8(ascii: " "):
                byte(UInt8(ascii: "\\"))
            case UInt8(ascii: "="):
                if equalsIsSpecial { byte(UInt8(ascii: "\\")) }
            case UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                return .newline
            case UInt8(ascii: "\\"):
                // A backslash is literal unless it would read as an escape of what follows.
                guard index + 1 < bytes.count else { return .ambiguousBackslash }
                let next = bytes[index + 1]
                if next == UInt8(ascii: ",") || next == UInt8(ascii: " ") || (equalsIsSpecial && next == UInt8(ascii: "=")) {
                    return .ambiguousBackslash
                }
            default:
                break
            }
            byte(current)
            index &+= 1
        }
        return nil
    }

    @inlinable
    mutating func value(_ value: FieldValue) {
        switch value {
        case .float(let double): float(double)
        case .int(let integer):
            decimal(integer)
            byte(UInt8(ascii: "i"))
        case .uint(let integer):
            decimal(integer)
            byte(UInt8(ascii: "u"))
        case .bool(let bool):
            if bool {
                byte(UInt8(ascii: "t")); byte(UInt8(ascii: "r")); byte(UInt8(ascii: "u")); byte(UInt8(ascii: "e"))
            } else {
                byte(UInt8(ascii: "f")); byte(UInt8(ascii: "a")); byte(UInt8(ascii: "l")); byte(UInt8(ascii: "s")); byte(UInt8(ascii: "e"))
            }
        case .string(let text): string(text)
        }
    }

    /// Shortest round-trip digits ("1.5", "5e-324", "1.7976931348623157e+308"), exactly
    /// `value.description` (ShortestDouble.swift; ShortestDoubleTests hold it to the runtime's
    /// own formatter byte for byte). Needs 32 writable bytes at the end.
    @inlinable
    mutating func float(_ value: Double) {
        count &+= writeShortest(value, to: base + count)
    }

    @inlinable
    mutating func decimal<I: FixedWidthInteger>(_ value: I) {
        var magnitude = value.magnitude
        if value < 0 { byte(UInt8(ascii: "-")) }
        // Count the digits, then write them from the end.
        var digits = 1
        var probe = magnitude
        while probe >= 10 {
            probe /= 10
            digits &+= 1
        }
        var position = count &+ digits
        count = position
        repeat {
            position &-= 1
            let (quotient, remainder) = magnitude.quotientAndRemainder(dividingBy: 10)
            base[position] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: remainder)
            magnitude = quotient
        } while magnitude != 0
    }

    @inlinable
    mutating func string(_ text: String) {
        byte(UInt8(ascii: "\""))
        func escape(_ bytes: UnsafeBufferPointer<UInt8>) {
            for current in bytes {
                if current == UInt8(ascii: "\"") || current == UInt8(ascii: "\\") { byte(UInt8(ascii: "\\")) }
                byte(current)
            }
        }
        if text.utf8.withContiguousStorageIfAvailable(escape) == nil {
            Array(text.utf8).withUnsafeBufferPointer(escape)
        }
        byte(UInt8(ascii: "\""))
    }
}

extension ByteBuffer {
    /// One float in the encoder's form (for tests and tools).
    @inlinable
    public mutating func writeLineProtocolFloat(_ value: Double) {
        writeWithUnsafeMutableBytes(minimumWritableBytes: 32) { raw in
            var output = RawOutput(raw.baseAddress.unsafelyUnwrapped.assumingMemoryBound(to: UInt8.self))
            output.float(value)
            return output.count
        }
    }
}
