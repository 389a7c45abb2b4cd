import Telemetry
import Alerting
import EventModel
public import PipelineConfig
public import PipelineRuntime

/// `type: alert` — SmokePing's alert detectors on the stream (`Smokeping.pm`'s
/// `check_alerts`): each round of a target with rules pushes its loss and median onto the
/// target's history, every rule's pattern is matched against it, and edges (or, without
/// `edgetrigger`, matching rounds) become notifications for the `notify` list. Points pass
/// through unchanged. State and undelivered notifications are one checkpoint document.
public struct AlertConfiguration: TransformConfiguration {
    public static let typeName = "alert"

    /// Rules by name, in file order.
    var rules: [AlertRule]
    /// Path or category glob → rule names, in file order.
    var targets: [(glob: Glob, rules: [String])]
    /// The tag naming a round's rules, comma-separated (what `postgres_join` adds from the
    /// store's `alerts` column with `tags: { alerts: alerts }`); taken off the point.
    var alertsTag: String
    var notifiers: [NotifierConfiguration]
    /// Per notifier: undelivered notifications kept; beyond that new ones are dropped and counted.
    var queueSize: Int
    var retry: RetryPolicy
    /// On shutdown, how long delivery may go on once the input has ended.
    var drainTimeout: Duration

    public init(options: inout OptionsReader) {
        let componentID = options.componentID
        // SmokePing's top-level `edgetrigger`, inherited by rules that set none.
        let edgeTrigger = options.bool("edgetrigger", default: false)
        var rules: [AlertRule] = []
        if let rulesFile = options.string("rules_file") {
            // What `smokeflow targets import --alert-rules` wrote from SmokePing's Alerts section.
            rules = AlertOptionsReader.rulesFile(rulesFile, at: options.node("rules_file")?.location ?? options.location, componentID: componentID, into: &options)
        }
        let inline = AlertOptionsReader.rules(options.node("rules"), edgeTrigger: edgeTrigger, componentID: componentID, into: &options)
        for rule in inline where rules.contains(where: { $0.name == rule.name }) {
            options.fail(options.node("rules")?.location ?? options.location, "'\(componentID)': rule '\(rule.name)' is in rules_file and in rules; name it once")
        }
        rules += inline
        self.rules = rules
        targets = AlertOptionsReader.targets(options.node("targets"), rules: rules, componentID: componentID, into: &options)
        alertsTag = options.string("alerts_tag") ?? "alerts"
        notifiers = AlertOptionsReader.notifiers(options.node("notify"), componentID: componentID, into: &options)
        queueSize = options.int("queue_size", default: 1000, range: 1...1_000_000)
        retry = RetryPolicy(
            attempts: options.int("retry_attempts", default: 8, range: 1...1000),
            initialBackoff: options.duration("retry_backoff", default: .seconds(1)),
            maximumBackoff: options.duration("retry_max_backoff", default: .seconds(300)))
        drainTimeout = options.duration("drain_timeout", default: .seconds(10))
        if rules.isEmpty { options.fail(options.location, "'\(componentID)' needs 'rules' (name: { type, pattern, … }) or a 'rules_file'") }
    }

    public func build(_ context: BuildContext) throws -> AlertTransform {
        let counters = AlertCounters()
        Self.expose(counters, context.metrics)
        let notifiers = notifiers.map { $0.build() }
        let book = AlertBook(
            rules: rules, targets: targets, alertsTag: alertsTag, notifiers: notifiers.map(\.name), queueSize: queueSize,
            storage: context.checkpoints, documentName: "alert-\(context.id)", counters: counters, logger: context.logger)
        return AlertTransform(book: book, notifiers: notifiers, retry: retry, drainTimeout: drainTimeout, counters: counters)
    }
}

extension AlertConfiguration {
    /// The counters as `smokeflow_alert_*`, read when scraped.
    static func expose(_ counters: AlertCounters, _ metrics: ComponentMetrics) {
        metrics.mirror(.alertEdges, "raised") { counters.raised.load(ordering: .relaxed) }
        metrics.mirror(.alertEdges, "cleared") { counters.cleared.load(ordering: .relaxed) }
        metrics.mirror(.alertNotifications, "queued") { counters.queued.load(ordering: .relaxed) }
        metrics.mirror(.alertNotifications, "sent") { counters.sent.load(ordering: .relaxed) }
        metrics.mirror(.alertNotifications, "failed") { counters.failed.load(ordering: .relaxed) }
        metrics.mirror(.alertNotifications, "overflow") { counters.overflow.load(ordering: .relaxed) }
        metrics.mirror(.alertNotifications, "duplicate") { counters.duplicates.load(ordering: .relaxed) }
        metrics.mirror(.alertRetries) { counters.retries.load(ordering: .relaxed) }
    }
}

/// Retries of one notification: `attempts` in all, waiting `initialBackoff`, then twice as long
/// each time, at most `maximumBackoff`.
struct RetryPolicy: Sendable {
    var attempts: Int
    var initialBackoff: Duration
    var maximumBackoff: Duration

    /// The wait after failed attempt `attempt` (1-based).
    func backoff(after attempt: Int) -> Duration {
        var wait = initialBackoff
        for _ in 1..<max(attempt, 1) where wait < maximumBackoff { wait *= 2 }
        return min(wait, maximumBackoff)
    }
}
