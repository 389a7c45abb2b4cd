import LineProtocol
public import PipelineConfig
import SmokeflowModel
public import SmokeflowRuntime
import Synchronization
import Zstd
#if canImport(Glibc)
import Glibc
#endif

/// `type: fixture` — replays a zstd-compressed line-protocol file in virtual time.
///
/// Streams the file through libzstd (memory independent of the file's size), parses each line
/// exactly, and sends whole batches: a corrupt or truncated file stops the source with an error
/// naming the file and the line or compressed byte offset, and the batch in progress is dropped.
public struct FixtureSourceConfiguration: SourceConfiguration {
    public static let typeName = "fixture"
    public var path: String
    public var batchSize: Int
    /// Real-time factor: nil replays as fast as possible; 1 is real time, 60 a minute per second.
    public var speed: Double?

    public init(path: String, batchSize: Int = 1000, speed: Double? = nil) {
        self.path = path
        self.batchSize = batchSize
        self.speed = speed
    }

    public init(options: inout OptionsReader) {
        path = options.requiredString("path")
        batchSize = options.int("batch_size", default: 1000, range: 1...1_000_000)
        speed = options.double("speed")
        if let speed, speed <= 0, let node = options.node("speed") {
            options.fail(node.location, "option 'speed' must be greater than 0")
        }
    }

    public func build(_ context: BuildContext) throws -> FixtureSource { FixtureSource(configuration: self) }
}

public struct FixtureSource: Source {
    let configuration: FixtureSourceConfiguration

    public struct ReplayError: Error, CustomStringConvertible {
        public let description: String
    }

    public func run(context: StageContext, output: StageOutput) async throws {
        let path = configuration.path
        let file: BlockingFile
        do {
            file = try await BlockingFile.open(path, flags: O_RDONLY)
        } catch {
            throw ReplayError(description: "\(error)")
        }
        let decompressor = try ZstdDecompressor()
        var parser = LineProtocolParser()
        var pending: [UInt8] = []  // a line split between two chunks
        var points: [Point] = []
        points.reserveCapacity(configuration.batchSize)
        let pacer = configuration.speed.map { Pacer(speed: $0) }

        // Whole batches only; in real-time replay a batch also ends where the timestamp changes,
        // so each instant is sent at its own time.
        func emit(_ parsed: inout [Point]) async throws {
            var start = 0
            while start < parsed.count {
                var end = min(start + configuration.batchSize, parsed.count)
                if pacer != nil, let cut = parsed[start..<end].firstIndex(where: { $0.timestamp != parsed[start].timestamp }) {
                    end = cut
                } else if end - start < configuration.batchSize {
                    break
                }
                try await send(Array(parsed[start..<end]))
                start = end
            }
            parsed.removeFirst(start)
        }

        func send(_ batch: [Point]) async throws {
            if let pacer { try await pacer.wait(for: batch) }
            try await output.send(Batch(points: batch))
        }

        while true {
            let chunk = try await file.read(upTo: 1 << 18)
            if chunk.isEmpty { break }
            do {
                try chunk.withUnsafeBytes { raw in
                    try decompressor.decompress(raw) { decompressed in
                        pending.append(contentsOf: decompressed)
                        let consumed = try pending.withUnsafeBufferPointer { bytes in
                            try parser.parse(bytes, isFinal: false, into: &points)
                        }
                        pending.removeFirst(consumed)
                    }
                }
            } catch let error as ZstdError {
                throw ReplayError(description: "\(path): corrupt zstd data: \(error)")
            } catch let error as LineProtocolParseError {
                throw ReplayError(description: "\(path):\(error.line):\(error.column): \(error.message)")
            }
            try await emit(&points)
        }
        do {
            try decompressor.finish()
            _ = try pending.withUnsafeBufferPointer { bytes in try parser.parse(bytes, isFinal: true, into: &points) }
        } catch let error as ZstdError {
            throw ReplayError(description: "\(path): \(error)")
        } catch let error as LineProtocolParseError {
            throw ReplayError(description: "\(path):\(error.line):\(error.column): \(error.message)")
        }
        try await emit(&points)
        if !points.isEmpty { try await send(points) }
    }
}

/// Sleeps so that point timestamps are replayed at `speed` times real time.
final class Pacer: Sendable {
    let speed: Double
    private let origin = Mutex<(wall: ContinuousClock.Instant, data: Int64)?>(nil)

    init(speed: Double) { self.speed = speed }

    func wait(for batch: [Point]) async throws {
        guard let first = batch.first else { return }
        let now = ContinuousClock.now
        let (wall, data) = origin.withLock { origin in
            if origin == nil { origin = (now, first.timestamp) }
            return origin!
        }
        let offset = Double(first.timestamp - data) / 1e9 / speed
        try await Task.sleep(until: wall + .nanoseconds(Int64(offset * 1e9)), clock: .continuous)
    }
}
