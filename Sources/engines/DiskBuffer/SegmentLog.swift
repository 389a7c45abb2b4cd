public import EventModel
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A disk buffer's records: append-only segment files `NNNNNNNNNNNNNNNNNNNN.seg` in one
/// directory, written by one writer, read in order by one reader, and deleted once everything
/// in them is acknowledged.
///
/// Every method that touches files blocks: callers run them on `NIOThreadPool`. `acknowledge`
/// and `usage` only take a lock, so an acknowledgement handler on any thread may call them.
/// The writer and the reader each keep their own descriptor, so they never wait for each other
/// beyond a short metadata lock.
public final class SegmentLog: Sendable {
    public struct Layout: Sendable {
        public var directory: String
        /// Bytes all segments together may take; a record that does not fit is `full`.
        public var maxSize: Int64
        /// A segment is closed once the next record would take it past this.
        public var segmentSize: Int64

        public init(directory: String, maxSize: Int64, segmentSize: Int64? = nil) {
            self.directory = directory
            self.maxSize = maxSize
            // Sixteen segments per buffer: space comes back in steps of 1/16, a few files only.
            self.segmentSize = segmentSize ?? min(max(maxSize / 16, 256 << 10), 128 << 20)
        }

        /// Segments no larger than a sixteenth of what the filesystem has free either: when the
        /// disk fills before `maxSize`, acknowledged segments must still free space in steps.
        /// Blocks (statvfs).
        public func fitted(toFreeSpaceOf path: String) -> Layout {
            var info = statvfs()
            guard statvfs(path, &info) == 0 else { return self }
            let free = Int64(info.f_bavail) * Int64(info.f_frsize)
            var fitted = self
            fitted.segmentSize = max(64 << 10, min(segmentSize, free / 16))
            return fitted
        }
    }

    /// What the buffer holds that the sink has not acknowledged.
    public struct Usage: Sendable, Equatable {
        public var records = 0
        public var points = 0
        /// Bytes of every segment still on disk (acknowledged records of a segment in use too).
        public var bytes: Int64 = 0
        /// When the oldest unacknowledged record was written (ns since the epoch).
        public var oldestWrittenAt: Int64?
    }

    /// What opening found: the records it will replay, and what it cut off.
    public struct Recovery: Sendable, Equatable {
        public var usage = Usage()
        public var segments = 0
        /// A torn last record (a crash during a write), cut off the last segment.
        public var tornBytes: Int64 = 0
    }

    public enum AppendOutcome: Sendable, Equatable {
        case written(RecordPosition)
        /// The record does not fit in `maxSize`: nothing was written.
        case full
    }

    public struct StoredRecord: Sendable {
        public var payload: [UInt8]
        public var pointCount: Int
        public var uncompressedLength: Int
        public var writtenAt: Int64
        public var start: RecordPosition
        public var end: RecordPosition
    }

    public enum ReadOutcome: Sendable {
        case record(StoredRecord)
        /// Nothing more is written yet.
        case caughtUp
        /// Bytes that are not a valid record were skipped; reading goes on at `resumeAt`.
        case corrupt(from: RecordPosition, resumeAt: RecordPosition, reason: String)
    }

    struct Segment {
        var number: UInt64
        /// Bytes of whole records: the writer moves it after each complete write, and the reader
        /// never reads past it.
        var size: Int64
    }

    struct Pending {
        var end: RecordPosition
        var points: Int
        var writtenAt: Int64
    }

    struct Metadata {
        var segments: [Segment] = []
        /// Unacknowledged records in order; `head` skips the acknowledged ones without copying.
        var pending: [Pending] = []
        var head = 0
        var pendingPoints = 0
        var totalBytes: Int64 = 0
        var acknowledged: RecordPosition
        /// The segment the writer appends to (created on its first record).
        var writerSegment: UInt64
        /// After `closeWriter`, its segment may be deleted too once acknowledged.
        var writerClosed = false
    }

    struct WriterFile {
        var descriptor: Int32 = -1
        var segment: UInt64 = 0
        var size: Int64 = 0
        var directoryNeedsSync = false
    }

    struct ReaderFile {
        var descriptor: Int32 = -1
        var segment: UInt64 = 0
    }

    public let layout: Layout
    private let metadata: Mutex<Metadata>
    private let writer = Mutex(WriterFile())
    private let reader = Mutex(ReaderFile())

    /// Opens (creating) the buffer in `layout.directory`: deletes segments wholly before
    /// `acknowledged`, checks the last segment record by record and cuts off a torn tail, and
    /// indexes the unacknowledged records. Blocks.
    public static func open(_ layout: Layout, acknowledged: RecordPosition?) throws(IOError) -> (SegmentLog, Recovery) {
        try DurableFile.makeDirectories(layout.directory)
        var numbers = try segmentNumbers(in: layout.directory)
        var recovery = Recovery()
        var metadata = Metadata(acknowledged: acknowledged ?? RecordPosition(segment: numbers.first ?? 1, offset: 0), writerSegment: 1)
        for number in numbers where number < metadata.acknowledged.segment {
            unlink(Self.segmentPath(layout.directory, number))
        }
        numbers.removeAll { $0 < metadata.acknowledged.segment }
        for (index, number) in numbers.enumerated() {
            let isLast = index == numbers.count - 1
            let start = number == metadata.acknowledged.segment ? metadata.acknowledged.offset : 0
            let scan = try scanSegment(layout.directory, number, from: start, verifyingPayloads: isLast)
            recovery.tornBytes += scan.tornBytes
            if scan.size == 0 {
                unlink(Self.segmentPath(layout.directory, number))
                continue
            }
            metadata.segments.append(Segment(number: number, size: scan.size))
            metadata.totalBytes += scan.size
            for record in scan.records {
                metadata.pending.append(record)
                metadata.pendingPoints += record.points
            }
        }
        if let first = metadata.segments.first, metadata.acknowledged.segment < first.number {
            metadata.acknowledged = RecordPosition(segment: first.number, offset: 0)
        }
        // Appends go to a fresh segment: a recovered one is never written again.
        metadata.writerSegment = max((numbers.last ?? 0) + 1, metadata.acknowledged.segment + 1)
        if metadata.segments.isEmpty { metadata.acknowledged = RecordPosition(segment: metadata.writerSegment, offset: 0) }
        recovery.segments = metadata.segments.count
        let log = SegmentLog(layout: layout, metadata: metadata)
        recovery.usage = log.usage
        return (log, recovery)
    }

    private init(layout: Layout, metadata: Metadata) {
        self.layout = layout
        self.metadata = Mutex(metadata)
    }

    deinit {
        writer.withLock { if $0.descriptor >= 0 { close($0.descriptor) } }
        reader.withLock { if $0.descriptor >= 0 { close($0.descriptor) } }
    }

    /// Where reading starts after `open`: the first unacknowledged byte.
    public var acknowledged: RecordPosition { metadata.withLock { $0.acknowledged } }

    public var usage: Usage {
        metadata.withLock { state in
            Usage(
                records: state.pending.count - state.head, points: state.pendingPoints, bytes: state.totalBytes,
                oldestWrittenAt: state.head < state.pending.count ? state.pending[state.head].writtenAt : nil)
        }
    }

    // MARK: Writing

    /// Appends one record (header and payload in one `write`). On a failed write (disk full) the
    /// segment is cut back to where the record began, so a reader never sees half of it.
    public func append(payload: [UInt8], pointCount: Int, uncompressedLength: Int, writtenAt: Int64) throws(IOError) -> AppendOutcome {
        let header = RecordHeader(payload: payload, pointCount: pointCount, uncompressedLength: uncompressedLength, writtenAt: writtenAt)
        let length = header.recordLength
        let fits = metadata.withLock { $0.totalBytes == 0 || $0.totalBytes + length <= layout.maxSize }
        guard fits else { return .full }
        let bytes = header.record(with: payload)
        return try writer.withLock { file throws(IOError) -> AppendOutcome in
            if file.descriptor < 0 || (file.size > 0 && file.size + length > layout.segmentSize) {
                try rotate(&file)
            }
            try writeAll(file.descriptor, bytes, at: file.size, path: Self.segmentPath(layout.directory, file.segment))
            file.size += length
            let end = RecordPosition(segment: file.segment, offset: file.size)
            let segment = file.segment
            metadata.withLock { state in
                if state.segments.last?.number == segment { state.segments[state.segments.count - 1].size = end.offset }
                state.totalBytes += length
                state.pending.append(Pending(end: end, points: pointCount, writtenAt: writtenAt))
                state.pendingPoints += pointCount
            }
            return .written(end)
        }
    }

    /// When the writer's segment holds only acknowledged records, closes it so
    /// `removeAcknowledgedSegments` can delete it: what a writer does when it finds the buffer
    /// full, since a segment in use is never deleted. The next append starts a new one. Blocks.
    public func releaseWriterSegmentIfAcknowledged() throws(IOError) {
        try writer.withLock { file throws(IOError) in
            guard file.descriptor >= 0, file.size > 0 else { return }
            let segment = file.segment, size = file.size
            let done = metadata.withLock { $0.acknowledged >= RecordPosition(segment: segment, offset: size) }
            guard done else { return }
            guard fsync(file.descriptor) == 0 else { throw IOError(errno, "fsync", path: Self.segmentPath(layout.directory, segment)) }
            close(file.descriptor)
            file.descriptor = -1
            metadata.withLock { state in
                if state.writerSegment == segment { state.writerSegment += 1 }
            }
        }
    }

    /// Makes every appended record durable: fsync of the segment (and of the directory once a
    /// segment was created).
    public func sync() throws(IOError) {
        try writer.withLock { file throws(IOError) in
            guard file.descriptor >= 0 else { return }
            guard fsync(file.descriptor) == 0 else { throw IOError(errno, "fsync", path: Self.segmentPath(layout.directory, file.segment)) }
            if file.directoryNeedsSync {
                try DurableFile.syncDirectory(of: layout.directory + "/.")
                file.directoryNeedsSync = false
            }
        }
    }

    /// Closes the current segment durably and starts the next one.
    private func rotate(_ file: inout WriterFile) throws(IOError) {
        if file.descriptor >= 0 {
            let path = Self.segmentPath(layout.directory, file.segment)
            guard fsync(file.descriptor) == 0 else { throw IOError(errno, "fsync", path: path) }
            close(file.descriptor)
            file.descriptor = -1
        }
        let number = metadata.withLock { state -> UInt64 in
            if let last = state.segments.last?.number, last >= state.writerSegment { state.writerSegment = last + 1 }
            return state.writerSegment
        }
        let path = Self.segmentPath(layout.directory, number)
        let descriptor = Glibc.open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw IOError(errno, "open", path: path) }
        file = WriterFile(descriptor: descriptor, segment: number, size: 0, directoryNeedsSync: true)
        metadata.withLock { $0.segments.append(Segment(number: number, size: 0)) }
    }

    // MARK: Reading

    /// The record at `position`, or what stands there instead. Blocks.
    public func read(at position: RecordPosition) throws(IOError) -> ReadOutcome {
        var position = position
        let written: Int64
        (position, written) = metadata.withLock { state -> (RecordPosition, Int64) in
            var position = position
            for segment in state.segments where segment.number >= position.segment {
                if segment.number > position.segment { position = RecordPosition(segment: segment.number, offset: 0) }
                if position.offset < segment.size || segment.number == state.segments.last?.number { return (position, segment.size) }
            }
            return (position, position.offset)
        }
        guard position.offset < written else { return .caughtUp }
        return try reader.withLock { file throws(IOError) -> ReadOutcome in
            let path = Self.segmentPath(layout.directory, position.segment)
            if file.segment != position.segment || file.descriptor < 0 {
                if file.descriptor >= 0 { close(file.descriptor) }
                file.descriptor = Glibc.open(path, O_RDONLY | O_CLOEXEC)
                file.segment = position.segment
                guard file.descriptor >= 0 else { throw IOError(errno, "open", path: path) }
            }
            var headerBytes = [UInt8](repeating: 0, count: RecordHeader.size)
            let available = written - position.offset
            let problem: String
            if available < Int64(RecordHeader.size) {
                problem = "a record header is cut short"
            } else if try readExactly(file.descriptor, into: &headerBytes, at: position.offset, path: path),
                let header = headerBytes.withUnsafeBytes({ RecordHeader($0) })
            {
                if header.recordLength > available {
                    problem = "a record is longer than its segment"
                } else {
                    var payload = [UInt8](repeating: 0, count: header.payloadLength)
                    _ = try readExactly(file.descriptor, into: &payload, at: position.offset + Int64(RecordHeader.size), path: path)
                    if header.computeChecksum(payload: payload) == header.checksum {
                        let end = RecordPosition(segment: position.segment, offset: position.offset + header.recordLength)
                        return .record(StoredRecord(
                            payload: payload, pointCount: header.pointCount, uncompressedLength: header.uncompressedLength,
                            writtenAt: header.writtenAt, start: position, end: end))
                    }
                    problem = "a record's checksum does not match"
                }
            } else {
                problem = "no record header where one should start"
            }
            let next = try nextValidRecord(file.descriptor, after: position.offset, before: written, path: path)
            return .corrupt(from: position, resumeAt: RecordPosition(segment: position.segment, offset: next), reason: problem)
        }
    }

    /// The offset of the next whole, checksummed record after `offset`, or `end` when there is none.
    private func nextValidRecord(_ descriptor: Int32, after offset: Int64, before end: Int64, path: String) throws(IOError) -> Int64 {
        let magic = withUnsafeBytes(of: RecordHeader.magic.littleEndian) { Array($0) }
        var candidate = offset + 1
        var window = [UInt8](repeating: 0, count: 1 << 16)
        while candidate + Int64(RecordHeader.size) <= end {
            let count = Int(min(Int64(window.count), end - candidate))
            window.removeAll(keepingCapacity: true)
            window.append(contentsOf: repeatElement(0, count: count))
            _ = try readExactly(descriptor, into: &window, at: candidate, path: path)
            var index = 0
            while index + 4 <= count {
                if window[index] == magic[0], window[index + 1] == magic[1], window[index + 2] == magic[2], window[index + 3] == magic[3],
                    try isValidRecord(descriptor, at: candidate + Int64(index), before: end, path: path)
                {
                    return candidate + Int64(index)
                }
                index += 1
            }
            candidate += Int64(max(1, count - 3))
        }
        return end
    }

    private func isValidRecord(_ descriptor: Int32, at offset: Int64, before end: Int64, path: String) throws(IOError) -> Bool {
        guard offset + Int64(RecordHeader.size) <= end else { return false }
        var headerBytes = [UInt8](repeating: 0, count: RecordHeader.size)
        _ = try readExactly(descriptor, into: &headerBytes, at: offset, path: path)
        guard let header = headerBytes.withUnsafeBytes({ RecordHeader($0) }), offset + header.recordLength <= end else { return false }
        var payload = [UInt8](repeating: 0, count: header.payloadLength)
        _ = try readExactly(descriptor, into: &payload, at: offset + Int64(RecordHeader.size), path: path)
        return header.computeChecksum(payload: payload) == header.checksum
    }

    // MARK: Acknowledging

    /// Everything before `position` is done with. Takes a lock only: any thread may call it.
    public func acknowledge(through position: RecordPosition) {
        metadata.withLock { state in
            guard position > state.acknowledged else { return }
            state.acknowledged = position
            while state.head < state.pending.count, state.pending[state.head].end <= position {
                state.pendingPoints -= state.pending[state.head].points
                state.head += 1
            }
            if state.head > 1024, state.head * 2 > state.pending.count {
                state.pending.removeFirst(state.head)
                state.head = 0
            }
        }
    }

    /// No more appends: the writer's segment is synced and closed, and may be deleted once
    /// acknowledged like the others. Blocks.
    public func closeWriter() throws(IOError) {
        try sync()
        writer.withLock { file in
            if file.descriptor >= 0 { close(file.descriptor) }
            file.descriptor = -1
        }
        metadata.withLock { $0.writerClosed = true }
    }

    /// Deletes the segments whose records are all acknowledged (not the writer's while it is open); returns
    /// how many bytes that freed. Blocks.
    @discardableResult
    public func removeAcknowledgedSegments() -> Int64 {
        let done = metadata.withLock { state -> [Segment] in
            let done = state.segments.filter { segment in
                (state.writerClosed || segment.number != state.writerSegment)
                    && (segment.number < state.acknowledged.segment
                        || (segment.number == state.acknowledged.segment && state.acknowledged.offset >= segment.size))
            }
            let numbers = Set(done.map(\.number))
            state.segments.removeAll { numbers.contains($0.number) }
            state.totalBytes -= done.reduce(0) { $0 + $1.size }
            return done
        }
        for segment in done { unlink(Self.segmentPath(layout.directory, segment.number)) }
        return done.reduce(0) { $0 + $1.size }
    }
}
