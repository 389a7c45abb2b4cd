import ArgumentParser
import Foundation
import Logging
import PipelineConfig
import SmokeflowApp
import StructuredLogs

func report(_ error: any Error) {
    let text: String
    switch error {
    case let errors as ConfigErrors: text = errors.description
    case let failed as RunFailed: text = failed.failures.map { "smokeflow: " + $0 }.joined(separator: "\n")
    default: text = "smokeflow: \(error)"
    }
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// `--database-url` puts its password in `ps` and `/proc/PID/cmdline` for every local user: one
/// warning line pointing at the environment, never the value.
func warnAboutCommandLineDatabaseURL(_ value: String?) {
    guard let value, !value.isEmpty else { return }
    FileHandle.standardError.write(Data((
        "smokeflow: warning: --database-url is visible to every local user (ps, /proc/PID/cmdline); "
        + "set DATABASE_URL in the environment or an --env-file instead\n").utf8))
}

/// Every line of the process through one `LogOutput`; the command's own lines (not a stage's)
/// carry `component_id=smokeflow`.
func bootstrapLogging(_ options: LoggingOptions) -> Logger {
    LogOutput.bootstrap(format: options.logFormat ?? .standardErrorDefault, level: options.logLevel)
    return Logger(label: "smokeflow")
}

/// Runs a command's body: any error is printed as one line per problem, then exit 1.
func failing(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let error as ExitCode {
        throw error
    } catch {
        report(error)
        throw ExitCode(1)
    }
}
