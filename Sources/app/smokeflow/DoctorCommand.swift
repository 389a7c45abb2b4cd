import ArgumentParser
import Foundation
import SmokeflowApp

/// `smokeflow doctor`: one line per check; exit 0 only when none is a problem.
struct Doctor: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Checks what smokeflow needs here (ICMP permission, the env file, the state folder, InfluxDB, PostgreSQL, SmokePing's files, the clock, the pipeline) and says how to fix each problem.",
        discussion: "Checks: \(SmokeflowApp.Doctor.checks.joined(separator: ", ")). A check nothing here configures is skipped; the exit code is 1 when any check finds a problem.")

    @Argument(help: "A pipeline file: validated; its InfluxDB servers, databases and state folder are checked.")
    var pipeline: String?

    @Option(name: .customLong("env-file"), help: "The credentials file (smokeflow init): its mode is checked, its values used.")
    var envFile: String?

    @Option(name: .customLong("state-dir"), help: "The state folder to check (default: the pipeline's).")
    var stateDirectory: String?

    @Option(name: .customLong("smokeping-config"), help: "SmokePing's config (default: /etc/smokeping/config when present).")
    var smokePingConfig: String?

    @Option(name: .customLong("smokeping-datadir"), help: "SmokePing's RRD folder (default: the config's datadir).")
    var smokePingDataDirectory: String?

    @Option(name: .customLong("min-free-mib"), help: "Free space the state folder needs, in MiB.")
    var minimumFreeMiB: Int64 = 100

    @Option(help: "A check not to run (repeatable): \(SmokeflowApp.Doctor.checks.joined(separator: ", ")).")
    var skip: [String] = []

    func validate() throws {
        if let unknown = skip.first(where: { !SmokeflowApp.Doctor.checks.contains($0) }) {
            throw ValidationError("--skip takes one of \(SmokeflowApp.Doctor.checks.joined(separator: ", ")), not '\(unknown)'")
        }
        guard minimumFreeMiB >= 0 else { throw ValidationError("--min-free-mib must be 0 or more") }
    }

    func run() async throws {
        var options = SmokeflowApp.Doctor.Options()
        options.envFile = envFile
        options.pipeline = pipeline
        options.stateDirectory = stateDirectory
        options.smokePingConfig = smokePingConfig
        options.smokePingDataDirectory = smokePingDataDirectory
        options.skipped = Set(skip)
        options.minimumFreeBytes = minimumFreeMiB << 20
        let findings = await SmokeflowApp.Doctor(options).run()
        for finding in findings { print(finding.line) }
        print(findings.summary)
        if !findings.passed { throw ExitCode(1) }
    }
}
