public import Foundation
import EventModel
public import Logging
public import PipelineConfig
public import PipelineRuntime

/// Runs one job's windows: each window `[from, to)` is its own small pipeline (source with
/// the range, downsample, sink); `catchUp` runs every window due since the stored progress
/// (the document `job-<name>`), saving progress after each, so after downtime every missed
/// window runs once. Rerunning a window rewrites the same points (same series and stamps).
public struct JobRunner: Sendable {
    public let job: JobDefinition
    public let file: String
    public let registry: ComponentRegistry
    public let checkpoints: (any CheckpointStorage)?
    public let logger: Logger
    public let schedule: CronSchedule
    let window: Int64

    public struct JobError: Error, CustomStringConvertible {
        public let description: String
    }

    struct Progress: Codable {
        var version = 1
        /// Every window ending at or before this (ns) is done.
        var doneUntil: Int64
    }

    public init(job: JobDefinition, file: String, registry: ComponentRegistry, checkpoints: (any CheckpointStorage)?, logger: Logger) throws(ConfigErrors) {
        self.job = job
        self.file = file
        self.registry = registry
        self.checkpoints = checkpoints
        var logger = logger
        logger[metadataKey: "job"] = "\(job.name)"
        self.logger = logger
        window = job.window.nanoseconds
        // Every problem at once: the time zone, the schedule, the window and the stages' options.
        var errors: [ConfigError] = []
        let zone = TimeZone(identifier: job.timezone ?? "UTC")
        if zone == nil { errors.append(ConfigError(job.location, "job '\(job.name)': unknown timezone '\(job.timezone ?? "")'")) }
        var parsed: CronSchedule?
        do {
            parsed = try CronSchedule(job.schedule, timeZone: zone ?? TimeZone(identifier: "UTC")!)
        } catch {
            errors.append(ConfigError(job.scheduleLocation, "job '\(job.name)': \(error)"))
        }
        if window < 1_000_000_000 { errors.append(ConfigError(job.location, "job '\(job.name)': 'window' must be at least one second")) }
        do throws(ConfigErrors) {
            _ = try registry.plan(Self.pipeline(job, file: file, registry: registry, from: 0, to: max(window, 1)))
        } catch {
            errors += error.errors
        }
        guard let parsed, errors.isEmpty else { throw ConfigErrors(errors) }
        schedule = parsed
    }

    var document: String { "job-\(job.name)" }

    /// Window-aligned `[from, to)` ranges covering `from..<to`.
    public func windows(from: Int64, to: Int64) -> [(from: Int64, to: Int64)] {
        var start = from.roundedDown(toMultipleOf: window)
        var ranges: [(Int64, Int64)] = []
        while start < to {
            ranges.append((start, start + window))
            start += window
        }
        return ranges
    }

    /// The job's stages as one pipeline over `[from, to)`: the source reads just that range and
    /// the transform (the registry's default when the job names none) emits everything when its
    /// input ends, with the options their types declare for that.
    public func pipeline(from: Int64, to: Int64) throws(ConfigErrors) -> PipelineDefinition {
        try Self.pipeline(job, file: file, registry: registry, from: from, to: to)
    }

    static func pipeline(
        _ job: JobDefinition, file: String, registry: ComponentRegistry, from: Int64, to: Int64
    ) throws(ConfigErrors) -> PipelineDefinition {
        var errors: [ConfigError] = []
        let source = job.source
        let sourceOptions = registry.rangeOptions(source: source.type, from: from, to: to)
        if sourceOptions == nil, registry.typeNames(.source).contains(source.type) {
            errors.append(ConfigError(source.typeLocation, "job '\(job.name)': source type '\(source.type)' cannot read a time range "
                + "(a job's source is one of: \(registry.rangedSourceTypes.joined(separator: ", ")))"))
        }
        var transform = job.transform
        if transform == nil, let fallback = registry.defaultJobTransform {
            let key = ConfigNode(.scalar(fallback.windowOption), at: job.location)
            transform = job.defaultTransform(type: fallback.type, options: [(key, job.windowNode)])
        }
        guard let transform else {
            throw ConfigErrors(errors + [ConfigError(job.location, "job '\(job.name)' needs a 'transform' (this registry has no default)")])
        }
        let transformOptions = registry.endOfInputOptions(transform: transform.type)
        if transformOptions == nil, registry.typeNames(.transform).contains(transform.type) {
            errors.append(ConfigError(transform.typeLocation, "job '\(job.name)': transform type '\(transform.type)' cannot run over a window "
                + "(a job's transform is one of: \(registry.windowTransformTypes.joined(separator: ", ")))"))
        }
        if !errors.isEmpty { throw ConfigErrors(errors) }
        func nodes(_ options: [WindowOption]?, at location: SourceLocation) -> [(key: String, value: ConfigNode)] {
            (options ?? []).map { ($0.key, ConfigNode(.scalar($0.value), at: location, isQuoted: $0.isQuoted)) }
        }
        return job.pipeline(
            file: file, transform: transform, sourceOptions: nodes(sourceOptions, at: source.location),
            transformOptions: nodes(transformOptions, at: transform.location)
        )
    }

    /// One window through the job's pipeline; throws when any stage failed.
    public func run(from: Int64, to: Int64) async throws {
        let plan = try registry.plan(pipeline(from: from, to: to))
        var settings = RuntimeSettings()
        settings.once = true
        settings.signals = []
        settings.checkpointStorage = MemoryCheckpointStorage()
        let report = await (try Pipeline(plan: plan, settings: settings, logger: logger)).run()
        if !report.succeeded {
            throw JobError(description: "job '\(job.name)' window \(Self.iso(from))–\(Self.iso(to)): " + report.failures.map(\.description).joined(separator: "; "))
        }
    }

    /// The windows that are due at `now` and not yet done, oldest first.
    public func dueWindows(now: Date) async throws -> [(from: Int64, to: Int64)] {
        let due = (Int64(now.timeIntervalSince1970) * 1_000_000_000 - job.lag.nanoseconds).roundedDown(toMultipleOf: window)
        let start: Int64
        if let done = try await loadProgress() {
            start = done
        } else if let text = job.start, let time = OptionsReader.parseTime(text, as: .nanoseconds, integersIn: .seconds) {
            start = time.roundedDown(toMultipleOf: window)
        } else {
            start = due - window
        }
        return windows(from: start, to: due)
    }

    /// Runs every due window, saving progress after each; returns how many ran.
    @discardableResult
    public func catchUp(now: Date, onWindow: @Sendable (Int, Int) -> Void = { _, _ in }) async throws -> Int {
        let due = try await dueWindows(now: now)
        if due.count > 1 { logger.info("catching up \(due.count) windows from \(Self.iso(due[0].from))") }
        for (index, range) in due.enumerated() {
            try Task.checkCancellation()
            try await run(from: range.from, to: range.to)
            try await saveProgress(range.to)
            onWindow(index + 1, due.count)
        }
        return due.count
    }

    func loadProgress() async throws -> Int64? {
        guard let checkpoints, let data = try await checkpoints.load(document) else { return nil }
        let afresh = "the job starts again from its start"
        guard let progress = try? JSONDecoder().decode(Progress.self, from: data) else {
            throw CheckpointStorageError.unusable(document, in: checkpoints, "not a smokeflow job progress document", afresh: afresh)
        }
        guard progress.version == 1 else {
            throw CheckpointStorageError.unusable(
                document, in: checkpoints, "job progress version \(progress.version), this smokeflow reads version 1", afresh: afresh)
        }
        return progress.doneUntil
    }

    func saveProgress(_ doneUntil: Int64) async throws {
        guard let checkpoints else { return }
        try await checkpoints.save(document, try JSONEncoder().encode(Progress(doneUntil: doneUntil)))
    }

    public static func iso(_ nanoseconds: Int64) -> String {
        ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double(nanoseconds / 1_000_000_000)))
    }
}
