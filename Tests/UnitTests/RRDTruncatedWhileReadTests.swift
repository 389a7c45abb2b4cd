import Foundation
import LibRRD
import SmokePingFiles
import SmokeflowTesting
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Review S3: librrd maps RRD files, so one truncated in place while it is read (cp over it,
/// rrdtool restore, rsync --inplace) faulted with SIGBUS and ended the process. The reading
/// calls are now guarded (CRRDGuard): the read fails with an error naming the file, the
/// process lives. In a child process, which a SIGBUS would end.
@Suite(.timeLimit(.minutes(2)))
struct RRDTruncatedWhileReadTests {
    @Test func aFileTruncatedInPlaceDuringReadsFailsTheReadNotTheProcess() async throws {
        let problems = try await TestSubprocess.run("rrd-sigbus", filter: "RRDTruncatedWhileReadTests/readsBesideTruncationsChild", timeout: .seconds(100))
        #expect(problems.filter { !$0.hasPrefix("note:") }.isEmpty, "\(problems)")
    }

    @Test(.enabled(if: TestSubprocess.isChild("rrd-sigbus")))
    func readsBesideTruncationsChild() async throws {
        let client = RRDClient()
        let layout = SmokePingLayout()
        let directory = temporaryDirectory()
        let path = directory + "/live.rrd", backup = directory + "/backup.rrd"
        try await client.create(path, step: 300, start: 1_764_374_399, sources: layout.dataSourceDefinitions, archives: layout.archiveDefinitions)
        let original = try Data(contentsOf: URL(fileURLWithPath: path))
        try original.write(to: URL(fileURLWithPath: backup))
        // Another process's `truncate -s 4096 f; cp backup f`, over and over, in place.
        let stop = Atomic<Bool>(false)
        let rewrites = Atomic<Int>(0)
        let rewriter = Thread {
            while !stop.load(ordering: .relaxed) {
                _ = truncate(path, 4096)
                let descriptor = open(path, O_WRONLY)
                if descriptor >= 0 {
                    _ = original.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
                    close(descriptor)
                }
                rewrites.add(1, ordering: .relaxed)
            }
        }
        rewriter.start()
        var faults = 0, otherErrors = 0, reads = 0
        let deadline = ContinuousClock.now + .seconds(20)
        // Until a read met a truncation (the guard fired) or the time is up.
        while faults == 0 && ContinuousClock.now < deadline {
            do {
                _ = try await client.info(path)
                _ = try await client.fetch(path, consolidation: "AVERAGE", start: 1_764_374_400 - 300 * 100_000, end: 1_764_374_400, resolution: 300)
                reads += 1
            } catch let error as RRDError {
                if error.message.contains("SIGBUS") { faults += 1 } else { otherErrors += 1 }
            }
        }
        stop.store(true, ordering: .relaxed)
        while !rewriter.isFinished { try await Task.sleep(for: .milliseconds(10)) }
        // Surviving is the check; how often the race was met is a note (it depends on timing).
        try TestSubprocess.report(["note: \(reads) reads, \(faults) cut short by SIGBUS, \(otherErrors) other errors, \(rewrites.load(ordering: .relaxed)) rewrites"])
    }
}
