import Components
import EventModel
import Foundation
import PipelineRuntime
import ProbeEngine
import SmokeflowTesting
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Errors carry a cause callers can match (errno as `IOError`, what failed), and still read as
/// one line naming the file or stage.
@Suite struct ErrorCauseTests {
    @Test func aStageFailureKeepsWhatTheComponentThrew() async throws {
        let missing = temporaryDirectory() + "/missing.lp.zst"
        let report = try await runPipeline("""
            sources:
              recorded: { type: fixture, path: "\(missing)" }
            sinks:
              out: { type: stdout, inputs: [recorded] }
            """)
        let failure = try #require(report.failures.first)
        #expect(failure.description == "source 'recorded': \(missing): open failed: No such file or directory")
        guard case .unreadable(let error)? = failure.cause as? FixtureSource.ReplayError else {
            Issue.record("cause: \(String(describing: failure.cause))")
            return
        }
        #expect(error == IOError(ENOENT, "open", path: missing))
    }

    @Test func anUnreadableTargetsFileKeepsErrno() throws {
        let missing = temporaryDirectory() + "/targets.yaml"
        let file = TargetsFile(path: missing, reader: TargetListReader(kind: .icmp, lookup: nil, record: nil))
        #expect {
            try file.load()
        } throws: { error in
            guard case .unreadable(let io) = error as? TargetsFile.ReadError else { return false }
            return io.code == ENOENT && "\(error)" == "\(missing): cannot read the targets file: No such file or directory"
        }
    }

    @Test func probeSetupErrorsSayWhatToGrantOrKeepErrno() {
        let denied = ProbeSetupError("open an ICMPv6 socket", .icmpNotPermitted)
        #expect("\(denied)".hasPrefix("cannot open an ICMPv6 socket: not permitted; run as root or grant CAP_NET_RAW"))
        let failed = ProbeSetupError("create a pipe", .system(IOError(EMFILE, "pipe", path: nil)))
        #expect("\(failed)" == "cannot create a pipe: Too many open files")
        #expect(failed.reason == .system(IOError(EMFILE, "pipe", path: nil)))
        #expect("\(IOError(EMFILE, "pipe", path: nil))" == "pipe failed: Too many open files")
    }
}
