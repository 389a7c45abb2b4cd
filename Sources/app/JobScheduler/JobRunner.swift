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
        /// Where the last long catch-up (more than `clockSlack` of windows in one pass, which is
        /// what a forward jump of the wall clock looks like) began: when the progress is later
        /// found far ahead of the clock, the windows run again from here (absent in documents
        /// written before it existed).
        var resumeFrom: Int64?
    }

    /// How far the progress may be ahead of the clock before it counts as saved under a clock
    /// that was ahead (a day, or two windows when they are longer); a pass longer than this is a
    /// long catch-up.
    var clockSlack: Int64 { max(86_400_000_000_000, window.multipliedReportingOverflow(by: 2).partialValue) }

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

    /// One window through the job's pipeline; throws when any stage failed, or when the task was
    /// cancelled meanwhile (a cancelled pipeline can end "successfully" with part of its input).
    /// A source that read everything but some files (`PartialSourceFailure`) gets one more try;
    /// if the same kind of failure remains, the window counts as done for the rest and every
    /// failed file is logged as an error with the window and how to run it again.
    public func run(from: Int64, to: Int64) async throws {
        let plan = try registry.plan(pipeline(from: from, to: to))
        var settings = RuntimeSettings()
        settings.once = true
        settings.signals = []
        var attempt = 1
        while true {
            settings.checkpointStorage = MemoryCheckpointStorage()
            let report = await (try Pipeline(plan: plan, settings: settings, logger: logger)).run()
            try Task.checkCancellation()
            if report.succeeded { return }
            let window = "window \(Self.iso(from))–\(Self.iso(to))"
            guard let failed = Self.partialSourceFailures(report) else {
                throw JobError(description: "job '\(job.name)' \(window): " + report.failures.map(\.description).joined(separator: "; "))
            }
            if attempt < 2 {
                attempt += 1
                continue
            }
            let again = "smokeflow job run \(job.name) --pipeline \(file) --from \(from / 1_000_000_000) --to \(to / 1_000_000_000)"
            for (item, message) in failed {
                logger.error("job '\(job.name)' \(window): \(item): \(message); its rollups for this window are missing, the window counts as done for the others (`\(again)` runs it again)")
            }
            return
        }
    }

    /// The failed items when every failure of `report` is a source's `PartialSourceFailure`.
    static func partialSourceFailures(_ report: RunReport) -> [(item: String, message: String)]? {
        var items: [(item: String, message: String)] = []
        for failure in report.failures {
            guard failure.kind == .source, let partial = failure.cause as? any PartialSourceFailure else { return nil }
            items += partial.failedItems
        }
        return items.isEmpty ? nil : items
    }

    /// The windows that are due at `now` and not yet done, oldest first.
    public func dueWindows(now: Date) async throws -> [(from: Int64, to: Int64)] {
        try await pass(now: now).windows
    }

    /// The windows of a catch-up at `now`, and the `resumeFrom` its progress saves carry.
    /// Progress more than `clockSlack` ahead of the clock was saved while the clock was ahead:
    /// the windows run again from where that long catch-up began (and with no such mark, nothing
    /// runs until the clock passes the progress, as before; a warning says so).
    func pass(now: Date) async throws -> (windows: [(from: Int64, to: Int64)], resumeFrom: Int64?) {
        let nowNanoseconds = Int64(now.timeIntervalSince1970.rounded(.down)).multipliedReportingOverflow(by: 1_000_000_000).partialValue
        let due = (nowNanoseconds - job.lag.nanoseconds).roundedDown(toMultipleOf: window)
        let stored = try await loadProgress()
        var resumeFrom = stored?.resumeFrom
        let start: Int64
        if let stored {
            start = stored.doneUntil
            if stored.doneUntil > due + clockSlack {
                let progress = "job '\(job.name)': its progress (\(Self.iso(stored.doneUntil))) is ahead of the clock (windows due until \(Self.iso(due)))"
                if let back = stored.resumeFrom, back <= due {
                    logger.warning("\(progress): it was saved while the clock was ahead; the windows from \(Self.iso(back)) run again")
                    return (windows(from: back, to: due), back)
                }
                logger.warning("\(progress): nothing runs until the clock passes it (remove the document \(document) to start again from the job's start)")
                return ([], resumeFrom)
            }
        } else if let text = job.start, let time = OptionsReader.parseTime(text, as: .nanoseconds, integersIn: .seconds) {
            start = time.roundedDown(toMultipleOf: window)
        } else {
            start = due - window
        }
        let windows = windows(from: start, to: due)
        if let first = windows.first, due - first.from > clockSlack { resumeFrom = first.from }
        return (windows, resumeFrom)
    }

    /// Runs every due window, saving progress after each; returns how many ran.
    @discardableResult
    public func catchUp(now: Date, onWindow: @Sendable (Int, Int) -> Void = { _, _ in }) async throws -> Int {
        let (due, resumeFrom) = try await pass(now: now)
        if due.count > 1 { logger.info("catching up \(due.count) windows from \(Self.iso(due[0].from))") }
        for (index, range) in due.enumerated() {
            try Task.checkCancellation()
            try await run(from: range.from, to: range.to)
            try Task.checkCancellation()
            try await saveProgress(Progress(doneUntil: range.to, resumeFrom: resumeFrom))
            onWindow(index + 1, due.count)
        }
        return due.count
    }

    func loadProgress() async throws -> Progress? {
        guard let checkpoints, let data = try await checkpoints.load(document) else { return nil }
        let afresh = "the job starts again from its start"
        guard let progress = try? JSONDecoder().decode(Progress.self, from: data) else {
            throw CheckpointStorageError.unusable(document, in: checkpoints, "not a smokeflow job progress document", afresh: afresh)
        }
        guard progress.version == 1 else {
            throw CheckpointStorageError.unusable(
                document, in: checkpoints, "job progress version \(progress.version), this smokeflow reads version 1", afresh: afresh)
        }
        return progress
    }

    func saveProgress(_ progress: Progress) async throws {
        guard let checkpoints else { return }
        try await checkpoints.save(document, try JSONEncoder().encode(progress))
    }

    public static func iso(_ nanoseconds: Int64) -> String {
        ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double(nanoseconds / 1_000_000_000)))
    }
}
