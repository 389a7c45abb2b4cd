public import PipelineConfig

/// A sink's input buffer (`buffer:` in any sink's options), as in Vector: where batches wait
/// for the sink, how many, and what a full buffer does to the stages in front of it.
///
/// - `memory` (the default): a bounded channel of `max_batches` batches.
/// - `disk`: append-only segment files under the state directory (`DiskBufferedSink` in the
///   components); a batch is acknowledged to its source once it is durably there, and replayed
///   after a crash until the sink acknowledges it. Bounded by `max_size`.
///
/// `when_full: block` (the default) suspends the producer, so a slow sink slows its sources and
/// nothing is lost; `drop_newest` drops the batch for this sink only, acknowledges that copy
/// `rejected` (so positions may move on: the operator chose losing this sink's copy over
/// stalling the others) and counts the points as the sink's drops.
public struct SinkBuffer: Sendable, Equatable {
    public enum Kind: String, CaseIterable, Sendable { case memory, disk }
    public enum WhenFull: String, CaseIterable, Sendable {
        case block
        case dropNewest = "drop_newest"
    }

    public var kind = Kind.memory
    /// Batches a memory buffer holds; nil: the pipeline's `channel_capacity`.
    public var maxBatches: Int?
    public var whenFull = WhenFull.block
    /// Bytes a disk buffer's segments may take.
    public var maxSize = SinkBuffer.defaultMaxSize
    /// How long a disk buffer may hold written records before an fsync makes them durable and
    /// their batches are acknowledged upstream.
    public var fsyncInterval = Duration.milliseconds(500)

    public static let defaultMaxSize: Int64 = 1 << 30
    /// Smaller than a few segments would turn every write into a rotation.
    public static let minimumMaxSize: Int64 = 1 << 20

    public init(kind: Kind = .memory, maxBatches: Int? = nil, whenFull: WhenFull = .block) {
        self.kind = kind
        self.maxBatches = maxBatches
        self.whenFull = whenFull
    }

    /// Reads and consumes `buffer:` from a sink's options (`{ type: memory, max_batches: 64,
    /// when_full: drop_newest }`, `{ type: disk, max_size: 2GiB }`); problems go into
    /// `options`' errors, at their line and column.
    public static func read(_ options: inout OptionsReader) -> SinkBuffer {
        guard let node = options.node("buffer") else { return SinkBuffer() }
        guard let pairs = node.mapping else {
            options.fail(node.location, "option 'buffer' of '\(options.componentID)' must be a mapping such as { type: memory, max_batches: 64 }")
            return SinkBuffer()
        }
        var reader = OptionsReader(componentID: options.componentID + ".buffer", location: node.location, pairs: pairs)
        var buffer = SinkBuffer()
        buffer.kind = reader.oneOf("type", default: .memory)
        switch buffer.kind {
        case .memory:
            if reader.has("max_batches") { buffer.maxBatches = reader.int("max_batches", default: 64, range: 1...1_000_000) }
        case .disk:
            buffer.maxSize = reader.byteSize("max_size", default: defaultMaxSize, range: minimumMaxSize...(1 << 50))
            buffer.fsyncInterval = reader.duration("fsync_interval", default: buffer.fsyncInterval)
            if buffer.fsyncInterval > .seconds(60), let node = reader.node("fsync_interval") {
                reader.fail(node.location, "option 'fsync_interval' must be at most 60s")
            }
        }
        buffer.whenFull = reader.oneOf("when_full", default: .block)
        do { try reader.finish() } catch { for problem in error.errors { options.fail(problem.location, problem.message) } }
        return buffer
    }
}

/// What a sink buffer holds and has dropped, the same for both kinds, so a reader of either
/// (the log lines now, a metrics endpoint later) sees one shape.
public struct SinkBufferCounters: Sendable, Equatable {
    /// Points waiting for the sink.
    public var points = 0
    /// What holds them: batches in memory, records on disk.
    public var records = 0
    /// Bytes they take. A disk buffer: its segments on disk (acknowledged records of the segment
    /// in use too). A memory buffer: an estimate of their line protocol
    /// (`Point.estimatedLineProtocolBytes`), not the heap they take.
    public var bytes: Int64 = 0
    /// How long the oldest waiting point has been in the buffer; nil when it is empty.
    public var oldestAge: Duration?
    /// Points dropped since the start (`when_full: drop_newest`).
    public var droppedPoints = 0

    public init(points: Int = 0, records: Int = 0, bytes: Int64 = 0, oldestAge: Duration? = nil, droppedPoints: Int = 0) {
        self.points = points
        self.records = records
        self.bytes = bytes
        self.oldestAge = oldestAge
        self.droppedPoints = droppedPoints
    }

    /// "12 points in 3 batches (0.1 MiB of line protocol; oldest waiting 75 s)": `unit` names
    /// the records, `bytesNote` says what the bytes are.
    public func describeDepth(unit: String, bytesNote: String, oldest: String) -> String {
        let age = oldestAge.map { "; oldest \(oldest) \(max(0, $0.components.seconds)) s ago" } ?? ""
        return "\(points) points in \(records) \(unit) (\(Self.megabytes(bytes)) \(bytesNote)\(age))"
    }

    /// Tenths of a MiB, rounded down.
    public static func megabytes(_ bytes: Int64) -> String {
        "\(Double(bytes * 10 / (1 << 20)) / 10) MiB"
    }
}
