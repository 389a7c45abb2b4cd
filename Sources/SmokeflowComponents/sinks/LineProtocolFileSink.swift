public import LineProtocol
import Logging
import NIOCore
public import PipelineConfig
import SmokeflowModel
public import SmokeflowRuntime
#if canImport(Glibc)
import Glibc
#endif

/// `type: file` — appends line protocol to a file; `type: stdout` — writes it to standard output.
///
/// Each batch is written whole with one write(2), so the file never ends in half a line.
/// Batches are acknowledged after fsync, which happens when the input goes idle or
/// `flush_interval` has passed since the last one.
public struct FileSinkConfiguration: SinkConfiguration {
    public static let typeName = "file"
    public var path: String
    public var append: Bool
    public var precision: Precision
    public var flushInterval: Duration

    public init(path: String, append: Bool = false, precision: Precision = .nanoseconds, flushInterval: Duration = .seconds(1)) {
        self.path = path
        self.append = append
        self.precision = precision
        self.flushInterval = flushInterval
    }

    public init(options: inout OptionsReader) {
        path = options.requiredString("path")
        append = options.bool("append", default: false)
        precision = options.oneOf("precision", default: .nanoseconds)
        flushInterval = options.duration("flush_interval", default: .seconds(1))
    }

    public func build(_ context: BuildContext) throws -> LineProtocolFileSink {
        LineProtocolFileSink(target: .path(path, append: append), precision: precision, flushInterval: flushInterval)
    }
}

public struct StdoutSinkConfiguration: SinkConfiguration {
    public static let typeName = "stdout"
    public var precision: Precision

    public init(precision: Precision = .nanoseconds) { self.precision = precision }

    public init(options: inout OptionsReader) {
        precision = options.oneOf("precision", default: .nanoseconds)
    }

    public func build(_ context: BuildContext) throws -> LineProtocolFileSink {
        LineProtocolFileSink(target: .standardOutput, precision: precision, flushInterval: .seconds(1))
    }
}

public struct LineProtocolFileSink: Sink {
    enum Target {
        case path(String, append: Bool)
        case standardOutput
    }

    let target: Target
    let precision: Precision
    let flushInterval: Duration

    public func run(context: StageContext, input: StageInput) async throws {
        let file: BlockingFile
        switch target {
        case .path(let path, let append):
            file = try await BlockingFile.open(path, flags: O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC))
        case .standardOutput:
            file = .standardOutput
        }
        var encoder = BatchEncoder(precision: precision, context: context)
        var buffer = ByteBuffer()
        var unsynced: [Batch] = []
        var lastSync = ContinuousClock.now

        for await batch in input {
            let written = encoder.encode(batch, into: &buffer, context: context)
            if buffer.readableBytes > 0 {
                do {
                    try await file.write(buffer)
                } catch {
                    batch.acknowledge(.failed)
                    for pending in unsynced { pending.acknowledge(.failed) }
                    throw error
                }
            }
            context.counters.add(sent: written)
            unsynced.append(batch)
            if input.isIdle || ContinuousClock.now - lastSync >= flushInterval {
                try await sync(file, &unsynced)
                lastSync = .now
            }
        }
        try await sync(file, &unsynced)
    }

    private func sync(_ file: BlockingFile, _ unsynced: inout [Batch]) async throws {
        guard !unsynced.isEmpty else { return }
        do {
            try await file.sync()
        } catch {
            for batch in unsynced { batch.acknowledge(.failed) }
            unsynced = []
            throw error
        }
        for batch in unsynced { batch.acknowledge(.delivered) }
        unsynced = []
    }
}

