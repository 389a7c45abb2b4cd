import ArgumentParser
import Foundation
import Logging
import PipelineConfig
import PipelineTesting
import Components
import PipelineRuntime

struct TestPipelines: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Run the tests: blocks of pipeline files; print FILE:LINE:COL: message per failure."
    )

    @Argument(help: "Pipeline files.") var files: [String]
    @OptionGroup var common: PipelineOptions

    func run() async throws {
        let logger = bootstrapLogging(common.logging)
        let runner = PipelineTestRunner(registry: .builtin, logger: logger)
        var passed = 0
        var failed = 0
        for file in files {
            do {
                let definition = try PipelineLoader(envFile: common.envFile).load(path: file)
                let outcomes = try await runner.run(definition)
                if outcomes.isEmpty { print("\(file): no tests") }
                for outcome in outcomes {
                    if outcome.passed {
                        passed += 1
                        print("ok   \(outcome.test.location) \(outcome.test.name)")
                    } else {
                        failed += 1
                        print("FAIL \(outcome.test.location) \(outcome.test.name)")
                        for failure in outcome.failures { FileHandle.standardError.write(Data("\(failure)\n".utf8)) }
                    }
                }
            } catch {
                report(error)
                failed += 1
            }
        }
        print("\(passed) passed, \(failed) failed")
        if failed > 0 { throw ExitCode(1) }
    }
}
