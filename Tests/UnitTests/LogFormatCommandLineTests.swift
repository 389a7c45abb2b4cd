import Foundation
import SmokeflowTesting
import Testing

/// `--log-format` on the executable: each format's lines, the default off a terminal, bad values.
@Suite(.timeLimit(.minutes(2)))
struct LogFormatCommandLineTests: CommandLineRunning {
    @Test func jsonLinesAreObjectsWithTheComponentID() async throws {
        let result = try await smokeflow(["replay", "fixtures/day.lp.zst", "--log-level", "info", "--log-format", "json"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stderr.split(separator: "\n")
        #expect(!lines.isEmpty)
        for line in lines {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object?["component_id"] is String && object?["level"] as? String == "info" && object?["message"] is String, "\(line)")
        }
    }

    @Test func standardErrorThatIsNoTerminalGetsLogfmt() async throws {
        let result = try await smokeflow(["replay", "fixtures/day.lp.zst", "--log-level", "info"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stderr.split(separator: "\n")
        #expect(!lines.isEmpty && lines.allSatisfy { $0.hasPrefix("time=") && $0.contains(" level=info component_id=") }, "\(result.stderr)")
        // The process's own lines (the run's summary per stage) are `smokeflow`'s.
        #expect(lines.contains { $0.contains(" component_id=smokeflow message=") }, "\(result.stderr)")
    }

    @Test func anUnknownFormatOrLevelIsRefusedNamingTheOption() async throws {
        let format = try await smokeflow(["replay", "fixtures/day.lp.zst", "--log-format", "yaml"])
        #expect(format.status != 0 && format.stderr.contains("--log-format must be text, logfmt or json, not 'yaml'"), "\(format.stderr)")
        let level = try await smokeflow(["serve", "--log-level", "loud"])
        #expect(level.status != 0 && level.stderr.contains("--log-level must be trace, debug, info, notice, warning, error or critical, not 'loud'"), "\(level.stderr)")
    }
}
