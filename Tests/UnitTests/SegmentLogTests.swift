import DiskBuffer
import EventModel
import Foundation
import SmokeflowTesting
import Testing

/// The disk buffer's segment log (issue 11): records survive a reopen, a torn tail is cut off
/// and counted, a corrupt record is skipped without losing the rest, `max_size` holds.
/// Its calls block, so each test runs them on a thread of its own.
@Suite struct SegmentLogTests {
    static func points(_ count: Int, from start: Int = 0) -> [Point] {
        (start..<start + count).map(point)
    }

    static func point(_ index: Int) -> Point {
        let tags: [Point.Tag] = [.init("target", "t\(index % 7)"), .init("probe", "icmp")]
        let median = Double(index) * 0.001 + 0.0123
        let fields: [Point.Field] = [
            .init("median", .float(median)), .init("loss", .int(Int64(index % 20))), .init("pings", .uint(20)),
            .init("title", .string("a \"quoted\", spaced=title")), .init("up", .bool(index % 2 == 0)),
        ]
        let timestamp: Int64 = 1_700_000_000_000_000_000 + Int64(index) * 300_000_000_000
        return Point(measurement: "latency", tags: tags, fields: fields, timestamp: timestamp)
    }

    static func append(_ log: SegmentLog, _ points: [Point], codec: RecordCodec) throws -> RecordPosition {
        #expect(codec.stage(points) == 0)
        let record = try codec.seal()
        let outcome = try log.append(
            payload: record.payload, pointCount: record.pointCount, uncompressedLength: record.uncompressedLength, writtenAt: 1)
        guard case .written(let end) = outcome else { throw Failure("append: \(outcome)") }
        return end
    }

    /// Every record from `position` on, decoded, and the outcomes that were not records.
    static func readAll(_ log: SegmentLog, from position: RecordPosition, codec: RecordCodec) throws -> (points: [Point], problems: [String]) {
        var position = position
        var points: [Point] = []
        var problems: [String] = []
        while true {
            switch try log.read(at: position) {
            case .record(let record):
                points += try codec.decode(record)
                position = record.end
            case .corrupt(let from, let resumeAt, let reason):
                problems.append("\(from): \(reason)")
                position = resumeAt
            case .caughtUp:
                return (points, problems)
            }
        }
    }

    /// Three records of 40 points in one segment, synced; the segment's path.
    static func threeRecords(in directory: String) throws -> (SegmentLog, SegmentLog.Layout, RecordCodec, [RecordPosition], String) {
        let codec = try RecordCodec()
        let layout = SegmentLog.Layout(directory: directory, maxSize: 64 << 20)
        let (log, _) = try SegmentLog.open(layout, acknowledged: nil)
        var ends: [RecordPosition] = []
        for batch in 0..<3 { ends.append(try append(log, points(40, from: batch * 40), codec: codec)) }
        try log.sync()
        let segment = try FileManager.default.contentsOfDirectory(atPath: directory).first { $0.hasSuffix(".seg") }
        return (log, layout, codec, ends, directory + "/" + (segment ?? "none"))
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    @Test func crc32cMatchesTheKnownCheckValue() {
        // The check value of CRC-32C for "123456789" (RFC 3720, iSCSI), and across the
        // eight-byte fast path and the byte-wise tail.
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        let long = Array("123456789".utf8) + Array(repeating: 0x61, count: 100)
        let split = CRC32C.checksum(long[9...], continuing: CRC32C.checksum(long[..<9]))
        #expect(split == CRC32C.checksum(long))
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
    }

    @Test func recordsSurviveAReopenAndAcknowledgedOnesAreNotReplayed() async throws {
        let directory = temporaryDirectory()
        try await onOwnThread {
            let codec = try RecordCodec()
            let layout = SegmentLog.Layout(directory: directory, maxSize: 64 << 20, segmentSize: 4096)
            let (log, recovery) = try SegmentLog.open(layout, acknowledged: nil)
            #expect(recovery.usage.records == 0)
            var ends: [RecordPosition] = []
            for batch in 0..<10 { ends.append(try Self.append(log, Self.points(50, from: batch * 50), codec: codec)) }
            try log.sync()
            let all = try Self.readAll(log, from: log.acknowledged, codec: codec)
            #expect(all.points == Self.points(500), "every field type and the nanosecond time survive")
            #expect(all.problems.isEmpty)
            #expect(Set(ends.map(\.segment)).count > 1, "small segments: the records span several files")
            log.acknowledge(through: ends[3])
            log.removeAcknowledgedSegments()
            #expect(log.usage.records == 6)
            #expect(log.usage.points == 300)

            let (reopened, again) = try SegmentLog.open(layout, acknowledged: ends[3])
            #expect(again.usage.records == 6)
            #expect(again.tornBytes == 0)
            let replayed = try Self.readAll(reopened, from: reopened.acknowledged, codec: codec)
            #expect(replayed.points == Self.points(300, from: 200))
            // Appends after a reopen go on after the replayed records.
            _ = try Self.append(reopened, Self.points(5, from: 500), codec: codec)
            let more = try Self.readAll(reopened, from: ends[9], codec: codec)
            #expect(more.points == Self.points(5, from: 500))
        }
    }

    @Test func aTornLastRecordIsCutOffCountedAndTheRestKept() async throws {
        let directory = temporaryDirectory()
        try await onOwnThread {
            let (log, layout, codec, ends, path) = try Self.threeRecords(in: directory)
            // A crash in the middle of the third write: its last 10 bytes never reached the disk.
            #expect(truncate(path, off_t(ends[2].offset - 10)) == 0)
            let (reopened, recovery) = try SegmentLog.open(layout, acknowledged: nil)
            #expect(recovery.tornBytes == ends[2].offset - 10 - ends[1].offset)
            #expect(recovery.usage.records == 2)
            let kept = try Self.readAll(reopened, from: reopened.acknowledged, codec: codec)
            #expect(kept.points == Self.points(80))
            #expect(kept.problems.isEmpty)
            let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int
            #expect(size == Int(ends[1].offset), "the torn bytes are gone from the file")
        }
    }

    @Test func aCorruptRecordIsSkippedAndTheRecordsAfterItKept() async throws {
        let directory = temporaryDirectory()
        try await onOwnThread {
            let (log, layout, codec, ends, path) = try Self.threeRecords(in: directory)
            // Flip one byte in the middle of the second record's payload (bit rot, a bad sector).
            let handle = try #require(FileHandle(forUpdatingAtPath: path))
            let middle = UInt64(ends[0].offset + (ends[1].offset - ends[0].offset) / 2)
            try handle.seek(toOffset: middle)
            let byte = try #require(try handle.read(upToCount: 1)?.first)
            try handle.seek(toOffset: middle)
            try handle.write(contentsOf: [byte ^ 0xFF])
            try handle.close()
            let result = try Self.readAll(log, from: log.acknowledged, codec: codec)
            #expect(result.points == Self.points(40) + Self.points(40, from: 80))
            #expect(result.problems.count == 1, "\(result.problems)")
            #expect(result.problems.first?.contains("checksum") == true, "\(result.problems)")
        }
    }

    @Test func aFullBufferRefusesARecordUntilTheSinkFreesASegment() async throws {
        let directory = temporaryDirectory()
        try await onOwnThread {
            let codec = try RecordCodec(level: 1)
            let layout = SegmentLog.Layout(directory: directory, maxSize: 1 << 20, segmentSize: 128 << 10)
            let (log, _) = try SegmentLog.open(layout, acknowledged: nil)
            var ends: [RecordPosition] = []
            var full = false
            for batch in 0..<10_000 {
                // Random text does not compress: each record is about 20 KiB on disk.
                let noise = (0..<100).map { _ in String(UInt64.random(in: 0...UInt64.max), radix: 36) }.joined()
                let point = Point(measurement: "m", fields: [.init("noise", .string(noise))], timestamp: Int64(batch))
                #expect(codec.stage(Array(repeating: point, count: 10)) == 0)
                let record = try codec.seal()
                let outcome = try log.append(payload: record.payload, pointCount: 10, uncompressedLength: record.uncompressedLength, writtenAt: 1)
                if case .written(let end) = outcome { ends.append(end) } else {
                    full = true
                    break
                }
            }
            #expect(full)
            #expect(log.usage.bytes <= 1 << 20)
            // The first whole segment acknowledged: its space comes back.
            let firstSegment = try #require(ends.first?.segment)
            let lastOfFirst = try #require(ends.last { $0.segment == firstSegment })
            log.acknowledge(through: lastOfFirst)
            #expect(log.removeAcknowledgedSegments() > 0)
            #expect(codec.stage([Point(measurement: "m", fields: [.init("n", .int(1))], timestamp: 1)]) == 0)
            let record = try codec.seal()
            let outcome = try log.append(payload: record.payload, pointCount: 1, uncompressedLength: record.uncompressedLength, writtenAt: 1)
            guard case .written = outcome else {
                Issue.record("still full after a segment was freed: \(outcome)")
                return
            }
        }
    }

    /// The disk filled before max_size with everything in one segment (the one being written):
    /// once the sink acknowledged it all, the writer must be able to free it (the hang the
    /// disk-full chaos scenario found).
    @Test func aFullBufferInOneSegmentFreesItOnceAcknowledged() async throws {
        let directory = temporaryDirectory()
        try await onOwnThread {
            let codec = try RecordCodec(level: 1)
            let layout = SegmentLog.Layout(directory: directory, maxSize: 1 << 20, segmentSize: 64 << 20)
            let (log, _) = try SegmentLog.open(layout, acknowledged: nil)
            var last: RecordPosition?
            while true {
                let noise = (0..<100).map { _ in String(UInt64.random(in: 0...UInt64.max), radix: 36) }.joined()
                #expect(codec.stage([Point(measurement: "m", fields: [.init("noise", .string(noise))], timestamp: 1)]) == 0)
                let record = try codec.seal()
                let outcome = try log.append(payload: record.payload, pointCount: 1, uncompressedLength: record.uncompressedLength, writtenAt: 1)
                guard case .written(let end) = outcome else { break }
                last = end
            }
            let end = try #require(last)
            #expect(log.usage.bytes > 1 << 19, "one segment holds it all: \(log.usage.bytes)")
            log.acknowledge(through: end)
            #expect(log.removeAcknowledgedSegments() == 0, "the segment being written is not deleted on its own")
            try log.releaseWriterSegmentIfAcknowledged()
            #expect(log.removeAcknowledgedSegments() > 1 << 19)
            #expect(codec.stage([Point(measurement: "m", fields: [.init("n", .int(1))], timestamp: 2)]) == 0)
            let record = try codec.seal()
            let outcome = try log.append(payload: record.payload, pointCount: 1, uncompressedLength: record.uncompressedLength, writtenAt: 1)
            guard case .written(let next) = outcome else {
                Issue.record("still full: \(outcome)")
                return
            }
            #expect(next.segment > end.segment)
        }
    }
}
