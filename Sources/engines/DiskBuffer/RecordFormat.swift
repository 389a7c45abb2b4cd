/// Where a record is in the buffer: its segment and byte offset. A record's `end` is where the
/// next one starts, so "acknowledged through `end`" says every byte before it is done.
public struct RecordPosition: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var segment: UInt64
    public var offset: Int64

    public init(segment: UInt64, offset: Int64) {
        self.segment = segment
        self.offset = offset
    }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.segment, lhs.offset) < (rhs.segment, rhs.offset)
    }

    public var description: String { "segment \(segment) offset \(offset)" }
}

/// One record on disk, little-endian:
///
/// | bytes | field |
/// |---|---|
/// | 0..<4 | magic `SFB1` |
/// | 4..<8 | payload length (compressed) |
/// | 8..<12 | CRC-32C of bytes 12..<28 and the payload |
/// | 12..<16 | point count |
/// | 16..<20 | uncompressed payload length |
/// | 20..<28 | written at, nanoseconds since the epoch |
/// | 28... | payload: one zstd frame of line protocol |
///
/// The magic lets a reader find the next record after a corrupt one; the CRC covers the length
/// too, so a torn length is caught rather than trusted.
struct RecordHeader: Equatable {
    static let size = 28
    static let magic: UInt32 = 0x3142_4653  // "SFB1" read as little-endian
    /// No record is larger: a length beyond it is corruption, not a reason to allocate.
    static let maximumPayload = 64 << 20

    var payloadLength: Int
    var checksum: UInt32
    var pointCount: Int
    var uncompressedLength: Int
    var writtenAt: Int64

    var recordLength: Int64 { Int64(Self.size + payloadLength) }

    /// The header for `payload`, with its checksum.
    init(payload: [UInt8], pointCount: Int, uncompressedLength: Int, writtenAt: Int64) {
        self.payloadLength = payload.count
        self.pointCount = pointCount
        self.uncompressedLength = uncompressedLength
        self.writtenAt = writtenAt
        self.checksum = 0
        self.checksum = computeChecksum(payload: payload)
    }

    /// Reads a header; nil when the bytes cannot be one (wrong magic, impossible lengths).
    init?(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count >= Self.size, Self.load(UInt32.self, bytes, 0) == Self.magic else { return nil }
        payloadLength = Int(Self.load(UInt32.self, bytes, 4))
        checksum = Self.load(UInt32.self, bytes, 8)
        pointCount = Int(Self.load(UInt32.self, bytes, 12))
        uncompressedLength = Int(Self.load(UInt32.self, bytes, 16))
        writtenAt = Int64(bitPattern: Self.load(UInt64.self, bytes, 20))
        guard payloadLength <= Self.maximumPayload, uncompressedLength <= Self.maximumPayload * 4 else { return nil }
    }

    /// The covered fields (bytes 12..<28) then the payload.
    func computeChecksum(payload: UnsafeRawBufferPointer) -> UInt32 {
        var covered = [UInt8](repeating: 0, count: 16)
        covered.withUnsafeMutableBytes { raw in
            raw.storeBytes(of: UInt32(truncatingIfNeeded: pointCount).littleEndian, toByteOffset: 0, as: UInt32.self)
            raw.storeBytes(of: UInt32(truncatingIfNeeded: uncompressedLength).littleEndian, toByteOffset: 4, as: UInt32.self)
            raw.storeBytes(of: UInt64(bitPattern: writtenAt).littleEndian, toByteOffset: 8, as: UInt64.self)
        }
        let length = UInt32(truncatingIfNeeded: payloadLength).littleEndian
        var crc = withUnsafeBytes(of: length) { CRC32C.checksum($0) }
        crc = covered.withUnsafeBytes { CRC32C.checksum($0, continuing: crc) }
        return CRC32C.checksum(payload, continuing: crc)
    }

    func computeChecksum(payload: [UInt8]) -> UInt32 {
        payload.withUnsafeBytes { computeChecksum(payload: $0) }
    }

    /// The header followed by `payload`: the bytes one `write` puts on disk.
    func record(with payload: [UInt8]) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: Self.size)
        bytes.withUnsafeMutableBytes { raw in
            raw.storeBytes(of: Self.magic.littleEndian, toByteOffset: 0, as: UInt32.self)
            raw.storeBytes(of: UInt32(payloadLength).littleEndian, toByteOffset: 4, as: UInt32.self)
            raw.storeBytes(of: checksum.littleEndian, toByteOffset: 8, as: UInt32.self)
            raw.storeBytes(of: UInt32(pointCount).littleEndian, toByteOffset: 12, as: UInt32.self)
            raw.storeBytes(of: UInt32(uncompressedLength).littleEndian, toByteOffset: 16, as: UInt32.self)
            raw.storeBytes(of: UInt64(bitPattern: writtenAt).littleEndian, toByteOffset: 20, as: UInt64.self)
        }
        bytes += payload
        return bytes
    }

    private static func load<T: FixedWidthInteger>(_ type: T.Type, _ bytes: UnsafeRawBufferPointer, _ offset: Int) -> T {
        T(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
    }
}
