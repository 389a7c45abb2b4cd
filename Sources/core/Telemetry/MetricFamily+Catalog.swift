/// Every metric smokeflow exposes. Names follow Prometheus' conventions: the `smokeflow_`
/// prefix (the standard `process_` names for the process), base units in the name (seconds,
/// bytes), `_total` on counters. Labels of per-component series: `component_id` (the stage's
/// id), `component_kind` (source, transform, sink), `component_type` (its `type:`).
extension MetricFamily {
    // MARK: Every component

    public static let receivedEvents = MetricFamily(
        "smokeflow_component_received_events_total", .counter, help: "Points a transform or sink received from its inputs.")
    public static let sentEvents = MetricFamily(
        "smokeflow_component_sent_events_total", .counter, help: "Points a component passed on (a source: produced; a sink: wrote).")
    public static let receivedBytes = MetricFamily(
        "smokeflow_component_received_bytes_total", .counter, help: "Bytes a source read from a server (influx_query's responses).")
    public static let sentBytes = MetricFamily(
        "smokeflow_component_sent_bytes_total", .counter, help: "Bytes a sink wrote out (line protocol, before compression).")
    public static let discardedEvents = MetricFamily(
        "smokeflow_component_discarded_events_total", .counter, labels: ["reason"],
        help: "Points a component dropped, by reason (buffer_full, rejected, late, future, filtered, lost).")
    public static let errors = MetricFamily(
        "smokeflow_component_errors_total", .counter, labels: ["error_type"],
        help: "Errors a component met, by type (request_failed, write_failed, stage_failed, probe_failed).")

    // MARK: Sinks and their buffers

    public static let requestDuration = MetricFamily(
        "smokeflow_sink_request_duration_seconds", .histogram(buckets: durationBuckets),
        help: "How long a sink's write requests took, failed ones included.")
    public static let retries = MetricFamily(
        "smokeflow_sink_retries_total", .counter, labels: ["cause"],
        help: "Write requests a sink retried, by cause (timeout, connection, status_5xx, status_429).")
    public static let requestsInFlight = MetricFamily(
        "smokeflow_sink_requests_in_flight", .gauge, help: "Write requests a sink has sent and not yet had answered.")
    public static let lastSuccess = MetricFamily(
        "smokeflow_sink_last_success_timestamp_seconds", .gauge, help: "When a sink's last write succeeded (Unix time).")
    public static let bufferEvents = MetricFamily(
        "smokeflow_buffer_events", .gauge, labels: ["buffer_type"], help: "Points waiting in a sink's buffer.")
    public static let bufferBytes = MetricFamily(
        "smokeflow_buffer_bytes", .gauge, labels: ["buffer_type"],
        help: "Bytes a sink's buffer takes (disk: its segments; memory: the points' line protocol, estimated).")
    public static let bufferUsage = MetricFamily(
        "smokeflow_buffer_usage_ratio", .gauge, labels: ["buffer_type"],
        help: "How full a sink's buffer is, 0 to 1 (disk: bytes of max_size; memory: batches of max_batches).")
    public static let bufferOldestAge = MetricFamily(
        "smokeflow_buffer_oldest_event_age_seconds", .gauge, labels: ["buffer_type"],
        help: "How long the oldest point in a sink's buffer has waited; 0 when it is empty.")

    // MARK: Sources

    public static let rrdFilesScanned = MetricFamily(
        "smokeflow_rrd_files_scanned_total", .counter, help: "RRD files an rrd source read.")
    public static let sourceLag = MetricFamily(
        "smokeflow_source_lag_seconds", .gauge, labels: ["tree"],
        help: "How far a tailing source is behind the newest row of its tree.")
    public static let checkpointAge = MetricFamily(
        "smokeflow_checkpoint_age_seconds", .gauge, help: "Time since a source last saved its positions.")
    public static let probeRoundsStarted = MetricFamily(
        "smokeflow_probe_rounds_started_total", .counter, help: "Probe rounds begun (one per target and step).")
    public static let probeRoundsFinished = MetricFamily(
        "smokeflow_probe_rounds_finished_total", .counter, help: "Probe rounds completed and emitted.")
    public static let probeRoundsLate = MetricFamily(
        "smokeflow_probe_rounds_late_total", .counter, help: "Probe rounds that began after their step's start plus the allowed slack.")
    public static let probeSendJitter = MetricFamily(
        "smokeflow_probe_send_jitter_seconds", .histogram(buckets: jitterBuckets),
        help: "How much later than scheduled each ping was sent.")
    public static let probeTargets = MetricFamily(
        "smokeflow_probe_targets", .gauge, labels: ["state"],
        help: "Targets a probe source measures, by the state of their last round (up, loss, down, unresolved, pending).")
    public static let probeSockets = MetricFamily(
        "smokeflow_probe_sockets", .gauge, help: "Sockets a probe source holds open.")
    public static let influxQueryRows = MetricFamily(
        "smokeflow_influx_query_rows_total", .counter, help: "Rows an influx_query source read.")

    // MARK: Transforms

    public static let snapshotAge = MetricFamily(
        "smokeflow_join_snapshot_age_seconds", .gauge, help: "Age of the target metadata a postgres_join works from.")
    public static let snapshotStale = MetricFamily(
        "smokeflow_join_snapshot_stale", .gauge, help: "1 while a postgres_join's metadata is older than its max_staleness, else 0.")
    public static let unknownTargets = MetricFamily(
        "smokeflow_join_unknown_targets_total", .counter, help: "Points a postgres_join found no target for.")
    public static let openWindows = MetricFamily(
        "smokeflow_downsample_open_windows", .gauge, help: "Windows a downsample transform holds open.")
    public static let downsampledSeries = MetricFamily(
        "smokeflow_downsample_series", .gauge, help: "Series with an open window in a downsample transform.")

    public static let alertEdges = MetricFamily(
        "smokeflow_alert_edges_total", .counter, labels: ["state"],
        help: "Alert edges an alert transform found, by state (raised, cleared).")
    public static let alertNotifications = MetricFamily(
        "smokeflow_alert_notifications_total", .counter, labels: ["result"],
        help: "Alert notifications by what became of them (queued, sent, failed, overflow, duplicate).")
    public static let alertRetries = MetricFamily(
        "smokeflow_alert_notification_retries_total", .counter, help: "Alert notification attempts retried.")

    // MARK: Jobs (labels: job)

    public static let jobLastSuccess = MetricFamily(
        "smokeflow_job_last_success_timestamp_seconds", .gauge, labels: ["job"], help: "When a job's last window succeeded (Unix time).")
    public static let jobWindows = MetricFamily(
        "smokeflow_job_windows_total", .counter, labels: ["job"], help: "Windows a job ran to completion.")
    public static let jobFailures = MetricFamily(
        "smokeflow_job_failures_total", .counter, labels: ["job"], help: "Job windows that failed.")

    // MARK: The process

    public static let buildInfo = MetricFamily(
        "smokeflow_build_info", .gauge, labels: ["version"], help: "Always 1; the labels say which smokeflow this is.")
    public static let startTime = MetricFamily(
        "process_start_time_seconds", .gauge, help: "When the process started (Unix time).")
    public static let residentMemory = MetricFamily(
        "process_resident_memory_bytes", .gauge, help: "Resident memory of the process.")
    public static let openFileDescriptors = MetricFamily(
        "process_open_fds", .gauge, help: "File descriptors the process holds open.")
    public static let cpuSeconds = MetricFamily(
        "process_cpu_seconds_total", .counter, help: "CPU time the process used, user and system.")

    // MARK: `smokeflow serve` (labels: listener api|web, …)

    public static let httpRequests = MetricFamily(
        "smokeflow_http_requests_total", .counter, labels: ["listener", "status"],
        help: "HTTP requests smokeflow serve answered, by listener (api, web) and status class (2xx, 3xx, 4xx, 5xx).")
    public static let httpRequestDuration = MetricFamily(
        "smokeflow_http_request_duration_seconds", .histogram(buckets: durationBuckets), labels: ["listener"],
        help: "How long smokeflow serve took to answer.")

    /// Every family, for the documentation test and the scrape check.
    public static let catalog: [MetricFamily] = [
        receivedEvents, sentEvents, receivedBytes, sentBytes, discardedEvents, errors,
        requestDuration, retries, requestsInFlight, lastSuccess, bufferEvents, bufferBytes, bufferUsage, bufferOldestAge,
        rrdFilesScanned, sourceLag, checkpointAge, probeRoundsStarted, probeRoundsFinished, probeRoundsLate, probeSendJitter,
        probeTargets, probeSockets, influxQueryRows,
        snapshotAge, snapshotStale, unknownTargets, openWindows, downsampledSeries, alertEdges, alertNotifications, alertRetries,
        jobLastSuccess, jobWindows, jobFailures,
        buildInfo, startTime, residentMemory, openFileDescriptors, cpuSeconds,
        httpRequests, httpRequestDuration,
    ]

    /// Request durations: 5 ms to 10 s.
    public static let durationBuckets: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
    /// Send-time jitter: 0.1 ms to 1 s.
    public static let jitterBuckets: [Double] = [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1]
}
