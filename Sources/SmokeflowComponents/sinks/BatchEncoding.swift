import LineProtocol
import NIOCore
import SmokeflowModel
import SmokeflowRuntime

/// Encodes a whole batch for the line-protocol writing sinks. A point that cannot be written
/// is dropped, counted and logged once; the batch is then marked rejected.
/// Returns how many points were written.
struct BatchEncoder {
    var encoder: LineProtocolEncoder
    var rejections: RejectionLog

    init(precision: Precision, context: StageContext) {
        encoder = LineProtocolEncoder(precision: precision)
        rejections = RejectionLog(logger: context.logger)
    }

    mutating func encode(_ batch: Batch, into buffer: inout ByteBuffer, context: StageContext) -> Int {
        context.counters.add(received: batch.points.count)
        buffer.clear()
        var rejected = 0
        for point in batch.points {
            do {
                try encoder.encode(point, into: &buffer)
            } catch {
                rejected += 1
                rejections.note(error)
            }
        }
        if rejected > 0 {
            context.counters.add(dropped: rejected)
            batch.markRejected()
        }
        return batch.points.count - rejected
    }
}
