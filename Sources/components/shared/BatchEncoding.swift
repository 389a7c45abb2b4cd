import LineProtocol
import NIOCore
import EventModel
import PipelineRuntime

/// One batch as line protocol. A point that cannot be written is left out and reported.
struct EncodedBatch: Sendable {
    var bytes: ByteBuffer
    var written: Int
    var rejected: Int
    var firstError: LineProtocolEncodingError?

    init(_ batch: Batch, precision: Precision) {
        var encoder = LineProtocolEncoder(precision: precision)
        bytes = ByteBuffer()
        written = 0
        rejected = 0
        for point in batch.points {
            do {
                try encoder.encode(point, into: &bytes)
                written += 1
            } catch {
                rejected += 1
                if firstError == nil { firstError = error }
            }
        }
    }
}

/// Encodes batches for the line-protocol writing sinks; counts what it drops, logs it once,
/// and marks such batches rejected.
struct BatchEncoder {
    let precision: Precision
    var rejections: RejectionLog

    init(precision: Precision, context: StageContext) {
        self.precision = precision
        rejections = RejectionLog(logger: context.logger)
    }

    /// Encodes here, on the caller's task.
    mutating func encode(_ batch: Batch, into buffer: inout ByteBuffer, context: StageContext) -> Int {
        let encoded = EncodedBatch(batch, precision: precision)
        buffer = encoded.bytes
        return account(encoded, for: batch, context: context)
    }

    /// Counts and reports an encoded batch; returns how many points it holds.
    mutating func account(_ encoded: EncodedBatch, for batch: Batch, context: StageContext) -> Int {
        context.counters.add(received: batch.points.count)
        if encoded.rejected > 0 {
            context.counters.add(dropped: encoded.rejected, reason: .rejected)
            for _ in 0..<encoded.rejected { rejections.note(encoded.firstError!) }
            batch.markRejected()
        }
        return encoded.written
    }
}

/// Encodes up to `width` batches at once on the cooperative pool and hands them back in order:
/// encoding is the costly part of a line-protocol sink, writing must stay in sequence.
struct OrderedEncoder {
    let precision: Precision
    let width: Int
    private var inFlight: [(batch: Batch, task: Task<EncodedBatch, Never>)] = []

    init(precision: Precision, width: Int) {
        self.precision = precision
        self.width = max(1, width)
    }

    var isEmpty: Bool { inFlight.isEmpty }
    var isFull: Bool { inFlight.count >= width }

    mutating func start(_ batch: Batch) {
        let precision = self.precision
        inFlight.append((batch, Task { EncodedBatch(batch, precision: precision) }))
    }

    /// The oldest batch and its encoding.
    mutating func next() async -> (Batch, EncodedBatch)? {
        guard !inFlight.isEmpty else { return nil }
        let (batch, task) = inFlight.removeFirst()
        return (batch, await task.value)
    }
}
