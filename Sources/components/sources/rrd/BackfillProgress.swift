public import LibRRD
public import SmokePingFiles
import Logging
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Files, points, rate and ETA of a backfill: a progress bar on a terminal, a log line every
/// 10 s otherwise, and a summary at the end.
final class BackfillProgress: Sendable {
    let totalFiles: Int
    let filesDone = Atomic<Int>(0)
    let points = Atomic<Int>(0)
    let started = ContinuousClock.now
    let failures = Mutex<[(file: String, message: String)]>([])
    let interactive = isatty(2) == 1

    init(totalFiles: Int) { self.totalFiles = totalFiles }

    var elapsedSeconds: Double {
        let elapsed = ContinuousClock.now - started
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    func line() -> String {
        let done = filesDone.load(ordering: .relaxed)
        let count = points.load(ordering: .relaxed)
        let elapsed = max(elapsedSeconds, 0.001)
        let rate = Double(count) / elapsed
        let fraction = totalFiles == 0 ? 1 : Double(done) / Double(totalFiles)
        let eta = fraction > 0 ? elapsed / fraction - elapsed : 0
        let width = 24
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        return "[\(bar)] files \(done)/\(totalFiles)  points \(count)  \(Int(rate)) points/s  ETA \(Self.clock(eta))"
    }

    static func clock(_ seconds: Double) -> String {
        let total = Int(seconds.rounded())
        return total >= 3600 ? "\(total / 3600)h\(total % 3600 / 60)m" : "\(total / 60)m\(String(format: "%02d", total % 60))s"
    }

    /// Runs until cancelled.
    func report(logger: Logger) async {
        var tick = 0
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(1))
            tick += 1
            if interactive {
                writeStandardError("\r" + line())
            } else if tick % 10 == 0 {
                logger.info("backfill: \(line())")
            }
        }
        if interactive { writeStandardError("\r" + line() + "\n") }
    }

    func summary() -> String {
        let failed = failures.withLock { $0 }
        var text = "backfill finished: \(filesDone.load(ordering: .relaxed)) of \(totalFiles) files, "
            + "\(points.load(ordering: .relaxed)) points in \(String(format: "%.1f", elapsedSeconds)) s"
        if !failed.isEmpty {
            text += "; \(failed.count) failed: " + failed.map { "\($0.file) (\($0.message))" }.joined(separator: "; ")
        }
        return text
    }
}

private func writeStandardError(_ text: String) {
    var text = text
    text.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
}
