import Logging
import PipelineRuntime
import Synchronization

/// Files, points, rate and ETA of a backfill: the runtime's `ProgressBar` (redrawn on a terminal,
/// a log line every 10 s otherwise), and a summary at the end.
final class BackfillProgress: Sendable {
    let totalFiles: Int
    let filesDone = Atomic<Int>(0)
    let points = Atomic<Int>(0)
    let failures = Mutex<[(file: String, message: String)]>([])
    let bar: ProgressBar

    init(totalFiles: Int, logger: Logger) {
        self.totalFiles = totalFiles
        bar = ProgressBar(total: totalFiles, label: "backfill", unit: "files", cadence: .every(.seconds(10))) { logger.info("\($0)") }
    }

    func details() -> String {
        let count = points.load(ordering: .relaxed)
        let seconds = max(bar.elapsedSeconds, 0.001)
        return "points \(count)  \(Int(Double(count) / seconds)) points/s  \(bar.eta(filesDone.load(ordering: .relaxed)))"
    }

    /// Runs until cancelled.
    func report() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(1))
            bar.update(filesDone.load(ordering: .relaxed), details: details())
        }
        bar.finish(filesDone.load(ordering: .relaxed), details: details())
    }

    func summary() -> String {
        let failed = failures.withLock { $0 }
        let seconds = bar.elapsedSeconds
        var text = "backfill finished: \(filesDone.load(ordering: .relaxed)) of \(totalFiles) files, "
            + "\(points.load(ordering: .relaxed)) points in \((seconds * 10).rounded() / 10) s"
        if !failed.isEmpty {
            text += "; \(failed.count) failed: " + failed.map { "\($0.file) (\($0.message))" }.joined(separator: "; ")
        }
        return text
    }
}
