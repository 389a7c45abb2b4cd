import LineProtocol
import NIOCore
public import PipelineConfig
import SmokeflowModel
public import SmokeflowRuntime
import Zstd
#if canImport(Glibc)
import Glibc
#endif

/// `type: fixture` — records line protocol into a zstd file (`*.lp.zst`), nanosecond timestamps.
///
/// Writes `PATH.partial` and renames it to PATH once the frame is closed and synced, so a
/// fixture file is always complete; batches are acknowledged then.
public struct FixtureSinkConfiguration: SinkConfiguration {
    public static let typeName = "fixture"
    public var path: String
    public var level: Int

    public init(path: String, level: Int = 19) {
        self.path = path
        self.level = level
    }

    public init(options: inout OptionsReader) {
        path = options.requiredString("path")
        level = options.int("level", default: 19, range: 1...22)
    }

    public func build(_ context: BuildContext) throws -> FixtureSink { FixtureSink(configuration: self) }
}

public struct FixtureSink: Sink {
    let configuration: FixtureSinkConfiguration

    public func run(context: StageContext, input: StageInput) async throws {
        let partial = configuration.path + ".partial"
        let file = try await BlockingFile.open(partial, flags: O_WRONLY | O_CREAT | O_TRUNC)
        let compressor = try ZstdCompressor(level: Int32(configuration.level))
        var encoder = BatchEncoder(precision: .nanoseconds, context: context)
        var buffer = ByteBuffer()
        var held: [(batch: Batch, written: Int)] = []
        do {
            for await batch in input {
                let written = encoder.encode(batch, into: &buffer, context: context)
                try await write(buffer, end: false, compressor: compressor, file: file)
                held.append((batch.receipt, written))
            }
            buffer.clear()
            try await write(buffer, end: true, compressor: compressor, file: file)
            try await file.sync()
            try await BlockingFile.rename(partial, to: configuration.path)
        } catch {
            BlockingFile.remove(partial)
            for (batch, _) in held { batch.acknowledge(.failed) }
            throw error
        }
        for (batch, written) in held {
            context.counters.add(sent: written)
            batch.acknowledge(.delivered)
        }
    }

    private func write(_ buffer: ByteBuffer, end: Bool, compressor: ZstdCompressor, file: BlockingFile) async throws {
        var compressed = ByteBuffer()
        try buffer.withUnsafeReadableBytes { raw in
            try compressor.compress(raw, end: end) { compressed.writeBytes($0) }
        }
        if compressed.readableBytes > 0 { try await file.write(compressed) }
    }
}
