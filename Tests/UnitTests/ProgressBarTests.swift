import PipelineRuntime
import Synchronization
import Testing

/// The one progress bar of `job run` and the `rrd` backfill.
@Suite struct ProgressBarTests {
    final class Lines: Sendable {
        let lines = Mutex<[String]>([])
        func append(_ line: String) { lines.withLock { $0.append(line) } }
        var all: [String] { lines.withLock { $0 } }
    }

    @Test func theLineShowsTheBarTheCountAndTheDetails() {
        let bar = ProgressBar(total: 4, label: "hourly", unit: "windows", isTerminal: false) { _ in }
        #expect(bar.line(1) == "hourly [#######.......................] 1/4 windows")
        #expect(bar.line(4, details: "ETA 0m00s") == "hourly [##############################] 4/4 windows  ETA 0m00s")
        #expect(ProgressBar(total: 0, label: "x", unit: "files", isTerminal: false) { _ in }.line(0) == "x [##############################] 0/0 files")
        #expect(ProgressBar.clock(65) == "1m05s" && ProgressBar.clock(7260) == "2h1m")
    }

    @Test func offATerminalALineAtEachTenth() {
        let lines = Lines()
        let bar = ProgressBar(total: 48, label: "job", unit: "windows", isTerminal: false) { lines.append($0) }
        for done in 1...48 { bar.update(done) }
        bar.finish(48)
        #expect(lines.all.count == 11, "\(lines.all)")  // tenths 0 to 10
        #expect(lines.all.last == "job [##############################] 48/48 windows")
    }

    @Test func offATerminalAtMostALinePerInterval() {
        let lines = Lines()
        let bar = ProgressBar(total: 3, label: "backfill", unit: "files", cadence: .every(.seconds(3600)), isTerminal: false) { lines.append($0) }
        for done in 0...3 { bar.update(done) }
        #expect(lines.all.isEmpty)
        let often = ProgressBar(total: 3, label: "backfill", unit: "files", cadence: .every(.zero), isTerminal: false) { lines.append($0) }
        often.update(1, details: "points 10")
        #expect(lines.all == ["backfill [##########....................] 1/3 files  points 10"])
    }
}
