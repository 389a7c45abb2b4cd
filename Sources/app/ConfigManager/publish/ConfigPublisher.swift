import Foundation
public import Logging
public import ServiceLifecycle

/// Regenerates SmokePing's files after changes and reloads the daemon, debounced: changes
/// arriving within `quietPeriod` of each other are one generation (a burst of 100 API writes
/// is one reload), held back at most `maximumDelay` from the first. Also runs every
/// `refreshInterval`, so changes made beside the API (an import, another server) arrive too.
public actor ConfigPublisher: Service {
    let gateway: StoreGateway
    public nonisolated let publishing: (any SmokePingPublishing)?
    let logger: Logger
    let quietPeriod: Duration
    let maximumDelay: Duration
    let refreshInterval: Duration
    private var pendingSince: ContinuousClock.Instant?
    private var lastChange: ContinuousClock.Instant?
    private var wake: AsyncStream<Void>.Continuation?
    /// Files written since the daemon was last signalled (`POST /generate` writes without
    /// reloading): the next generation that may reload does, even if it finds them unchanged.
    private var writtenSinceReload = false
    public private(set) var lastGeneration: (at: String, report: GenerationReport?, error: String?)?
    public private(set) var lastReload: (at: String, report: ReloadReport)?
    public private(set) var generations = 0
    public private(set) var reloads = 0

    public init(
        gateway: StoreGateway, publishing: (any SmokePingPublishing)?, logger: Logger,
        quietPeriod: Duration = .seconds(1), maximumDelay: Duration = .seconds(5), refreshInterval: Duration = .seconds(60)
    ) {
        self.gateway = gateway
        self.publishing = publishing
        self.logger = logger
        self.quietPeriod = quietPeriod
        self.maximumDelay = maximumDelay
        self.refreshInterval = refreshInterval
    }

    /// A change happened: generate once the changes pause.
    public func changed() {
        let now = ContinuousClock.now
        if pendingSince == nil { pendingSince = now }
        lastChange = now
        wake?.yield()
    }

    public func run() async throws {
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        wake = continuation
        await gateway.loadSavedSnapshot()
        // The first generation at start: the files follow the store even if it changed while down.
        await publish(reason: "start")
        let changes = gateway.changes
        let listener = Task { [weak self] in
            for await _ in changes { await self?.changed() }
        }
        defer { listener.cancel() }
        var nextRefresh = ContinuousClock.now + refreshInterval
        try await withGracefulShutdownHandler {
            var iterator = stream.makeAsyncIterator()
            while !Task.isCancelled {
                let deadline = dueTime() ?? nextRefresh
                let timer = Task { try await Task.sleep(until: deadline); continuation.yield() }
                let woken = await iterator.next()
                timer.cancel()
                // nil: the stream finished (graceful shutdown).
                if woken == nil || Task.isCancelled { break }
                let now = ContinuousClock.now
                if let due = dueTime(), due <= now {
                    pendingSince = nil
                    lastChange = nil
                    await publish(reason: "change")
                    nextRefresh = now + refreshInterval
                } else if dueTime() == nil, now >= nextRefresh {
                    await publish(reason: "refresh")
                    nextRefresh = now + refreshInterval
                }
            }
        } onGracefulShutdown: {
            continuation.finish()
        }
    }

    private func dueTime() -> ContinuousClock.Instant? {
        guard let pendingSince, let lastChange else { return nil }
        return min(lastChange + quietPeriod, pendingSince + maximumDelay)
    }

    /// Generates now (`POST /generate` and the debounced path); reloads when a file changed.
    @discardableResult
    public func publish(reason: String, reloadWhenChanged: Bool = true) async -> (GenerationReport?, ReloadReport?, String?) {
        let snapshot: StoreSnapshot
        do {
            let read = try await gateway.snapshot()
            // A stale snapshot is what SmokePing has already been given; nothing to regenerate.
            if read.stale, reason != "manual" { return (nil, nil, "the store is unreachable") }
            snapshot = read.snapshot
        } catch {
            lastGeneration = (StoreClock.now(), nil, "\(error)")
            return (nil, nil, "cannot read the store")
        }
        guard let publishing else { return (nil, nil, nil) }
        generations += 1
        do {
            let report = try await publishing.generate(snapshot)
            lastGeneration = (StoreClock.now(), report, nil)
            if !report.changed.isEmpty {
                logger.info("SmokePing configuration written", metadata: [
                    "reason": "\(reason)", "changed": "\(report.changed.joined(separator: ","))", "targets": "\(report.targets)",
                ])
            }
            if !report.changed.isEmpty { writtenSinceReload = true }
            guard reloadWhenChanged, writtenSinceReload else { return (report, nil, nil) }
            let reload = await reloadNow()
            return (report, reload, nil)
        } catch {
            logger.error("SmokePing configuration not written", metadata: ["reason": "\(reason)", "error": "\(error)"])
            lastGeneration = (StoreClock.now(), nil, "\(error)")
            return (nil, nil, "\(error)")
        }
    }

    public func reloadNow() async -> ReloadReport {
        guard let publishing else {
            return ReloadReport(success: false, action: "none", verified: false, message: "no SmokePing directory configured")
        }
        reloads += 1
        // SmokePing reads the files when signalled: what is written after this needs another reload.
        writtenSinceReload = false
        let report = await publishing.reload()
        lastReload = (StoreClock.now(), report)
        let level: Logger.Level = report.success ? .info : .warning
        logger.log(level: level, "SmokePing reload", metadata: ["action": "\(report.action)", "verified": "\(report.verified)", "message": "\(report.message)"])
        return report
    }
}
