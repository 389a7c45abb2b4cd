public import EventModel
import LineProtocol
import NIOCore
import Zstd

/// Points in and out of a record's payload: line protocol (the pipeline's interchange format,
/// as fixtures are; every field type and the nanosecond time survive), one zstd frame per
/// record. One codec per writer or reader: its zstd contexts are reused, not shared.
public final class RecordCodec {
    private let compressor: ZstdCompressor
    private let decompressor: ZstdDecompressor
    private var encoder = LineProtocolEncoder(precision: .nanoseconds)
    private var staging = ByteBufferAllocator().buffer(capacity: 1 << 16)

    public struct Encoded: Sendable {
        public var payload: [UInt8]
        public var pointCount: Int
        public var uncompressedLength: Int
    }

    public struct DecodeError: Error, CustomStringConvertible {
        public var description: String
    }

    public init(level: Int32 = 1) throws {
        compressor = try ZstdCompressor(level: level)
        decompressor = try ZstdDecompressor()
    }

    /// Adds points to the record being staged; returns how many could not be written (no
    /// finite field: line protocol cannot carry them, and no sink could write them either).
    public func stage(_ points: [Point]) -> Int {
        var unwritable = 0
        for point in points {
            do { try encoder.encode(point, into: &staging) } catch { unwritable += 1 }
        }
        stagedPoints += points.count - unwritable
        return unwritable
    }

    public private(set) var stagedPoints = 0
    public var stagedBytes: Int { staging.readableBytes }

    /// The staged points as one compressed payload; staging starts again empty.
    public func seal() throws -> Encoded {
        let length = staging.readableBytes
        let payload = try staging.withUnsafeReadableBytes { try compressor.compressFrame($0) }
        let encoded = Encoded(payload: payload, pointCount: stagedPoints, uncompressedLength: length)
        staging.clear()
        stagedPoints = 0
        return encoded
    }

    public func decode(_ record: SegmentLog.StoredRecord) throws -> [Point] {
        let text = try record.payload.withUnsafeBytes { try decompressor.decompressFrame($0, size: record.uncompressedLength) }
        var parser = LineProtocolParser(precision: .nanoseconds)
        var points: [Point] = []
        points.reserveCapacity(record.pointCount)
        let consumed = try text.withUnsafeBufferPointer { try parser.parse($0, isFinal: true, into: &points) }
        guard consumed == text.count, points.count == record.pointCount else {
            throw DecodeError(description: "holds \(points.count) points where its header says \(record.pointCount)")
        }
        return points
    }
}
