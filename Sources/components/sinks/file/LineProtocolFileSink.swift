import Foundation
import Telemetry
import LineProtocol
import Logging
import NIOCore
import PipelineConfig
import EventModel
public import PipelineRuntime
#if canImport(Glibc)
import Glibc
#endif

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
            file = try await BlockingFile.open(path, flags: O_RDWR | O_CREAT | (append ? O_APPEND : O_TRUNC))
            if append, case let removed = try await file.removeTornLastLine(), removed > 0 {
                context.logger.warning("\(path): removed a torn last line (\(removed) bytes, from an interrupted write) before appending")
            }
        case .standardOutput:
            file = .standardOutput
        }
        var encoder = BatchEncoder(precision: precision, context: context)
        var encoding = OrderedEncoder(precision: precision, width: ProcessInfo.processInfo.activeProcessorCount)
        var unsynced: [Batch] = []
        var lastSync = ContinuousClock.now
        let sentBytes = context.metrics.counter(.sentBytes)

        func writeOldest() async throws {
            guard let (batch, encoded) = await encoding.next() else { return }
            let written = encoder.account(encoded, for: batch, context: context)
            if encoded.bytes.readableBytes > 0 {
                do {
                    try await file.write(encoded.bytes)
                    sentBytes.increment(by: Int64(encoded.bytes.readableBytes))
                } catch {
                    batch.acknowledge(.failed)
                    for pending in unsynced { pending.acknowledge(.failed) }
                    throw error
                }
            }
            context.counters.add(sent: written)
            if unsynced.isEmpty { lastSync = .now }
            unsynced.append(batch.receipt)
            if ContinuousClock.now - lastSync >= flushInterval {
                try await sync(file, &unsynced)
                lastSync = .now
            }
        }

        do {
            loop: while true {
                // Synced at most every flush_interval while batches keep coming, and at the latest
                // flush_interval after the last one when they stop.
                let deadline = unsynced.isEmpty && encoding.isEmpty ? nil : lastSync + flushInterval
                switch await input.next(before: encoding.isEmpty ? deadline : .now) {
                case .batch(let batch):
                    encoding.start(batch)
                    if encoding.isFull { try await writeOldest() }
                case .timeout:
                    // Nothing new right now: finish what is encoding, then sync if it is time.
                    if !encoding.isEmpty {
                        try await writeOldest()
                    } else {
                        try await sync(file, &unsynced)
                        lastSync = .now
                    }
                case .end:
                    break loop
                }
            }
            while !encoding.isEmpty { try await writeOldest() }
            try await sync(file, &unsynced)
        } catch {
            // The batches still encoding behind the one that failed are not written either.
            while let (batch, _) = await encoding.next() { batch.acknowledge(.failed) }
            throw error
        }
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

