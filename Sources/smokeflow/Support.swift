import ArgumentParser
import Foundation
import Logging
import PipelineConfig
import SmokeflowComponents
import SmokeflowRuntime

func loadPlan(_ file: String, envFile: String?, databaseURL: String? = nil) throws -> (PipelineDefinition, [PlannedComponent], RuntimeSettings) {
    let (read, structural) = try PipelineLoader(envFile: envFile).read(path: file)
    guard let definition = read else { throw ConfigErrors(structural) }
    var errors = structural
    var plan: [PlannedComponent] = []
    var settings = RuntimeSettings()
    do { plan = try ComponentRegistry.builtin.plan(definition) } catch { errors += error.errors }
    do {
        settings = try RuntimeSettings(definition)
        if let databaseURL { settings.databaseURL = Secret(databaseURL) }
        try ComponentRegistry.builtin.resolveCheckpoints(&settings, file: definition.file)
    } catch { errors += error.errors }
    errors += jobAndTestErrors(definition)
    if !errors.isEmpty { throw ConfigErrors(errors) }
    return (definition, plan, settings)
}

func report(_ error: any Error) {
    let text = (error as? ConfigErrors)?.description ?? "smokeflow: \(error)"
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

func bootstrapLogging(_ level: String) -> Logger {
    let parsed = Logger.Level(rawValue: level.lowercased()) ?? .info
    LoggingSystem.bootstrap { label in
        var handler = StreamLogHandler.standardError(label: label)
        handler.logLevel = parsed
        return handler
    }
    return Logger(label: "smokeflow")
}

func runPipeline(_ plan: [PlannedComponent], settings: RuntimeSettings, logger: Logger) async throws {
    let pipeline: Pipeline
    do {
        pipeline = try Pipeline(plan: plan, settings: settings, logger: logger)
    } catch {
        report(error)
        throw ExitCode(1)
    }
    let report = await pipeline.run()
    for (kind, id, received, sent, dropped) in report.counts where kind == .sink {
        logger.info("\(kind) '\(id)': \(received) points in, \(sent) written, \(dropped) dropped")
    }
    for failure in report.failures {
        FileHandle.standardError.write(Data("smokeflow: \(failure)\n".utf8))
    }
    if !report.succeeded { throw ExitCode(1) }
}
