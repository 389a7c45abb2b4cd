public import PipelineConfig

/// A sink's input buffer (`buffer:` in any sink's options), as in Vector: how many batches wait
/// for the sink, and what a full buffer does to the stages in front of it.
///
/// `when_full: block` (the default) suspends the producer, so a slow sink slows its sources and
/// nothing is lost; `drop_newest` drops the batch for this sink only, acknowledges that copy
/// `rejected` (so positions may move on: the operator chose losing this sink's copy over
/// stalling the others) and counts the points as the sink's drops.
public struct SinkBuffer: Sendable, Equatable {
    public enum Kind: String, CaseIterable, Sendable { case memory }
    public enum WhenFull: String, CaseIterable, Sendable {
        case block
        case dropNewest = "drop_newest"
    }

    /// Batches the buffer holds; nil: the pipeline's `channel_capacity`.
    public var maxBatches: Int?
    public var whenFull = WhenFull.block

    public init(maxBatches: Int? = nil, whenFull: WhenFull = .block) {
        self.maxBatches = maxBatches
        self.whenFull = whenFull
    }

    /// Reads and consumes `buffer:` from a sink's options (`{ type: memory, max_batches: 64,
    /// when_full: drop_newest }`); problems go into `options`' errors, at their line and column.
    public static func read(_ options: inout OptionsReader) -> SinkBuffer {
        guard let node = options.node("buffer") else { return SinkBuffer() }
        guard let pairs = node.mapping else {
            options.fail(node.location, "option 'buffer' of '\(options.componentID)' must be a mapping such as { type: memory, max_batches: 64 }")
            return SinkBuffer()
        }
        var reader = OptionsReader(componentID: options.componentID + ".buffer", location: node.location, pairs: pairs)
        if let type = reader.node("type"), type.scalar != Kind.memory.rawValue {
            reader.fail(
                type.location,
                "buffer type '\(type.scalar ?? type.kindName)' of '\(options.componentID)' is not available (known: memory; disk buffers are not built yet)")
        }
        var buffer = SinkBuffer()
        if reader.has("max_batches") { buffer.maxBatches = reader.int("max_batches", default: 64, range: 1...1_000_000) }
        buffer.whenFull = reader.oneOf("when_full", default: .block)
        do { try reader.finish() } catch { for problem in error.errors { options.fail(problem.location, problem.message) } }
        return buffer
    }
}
