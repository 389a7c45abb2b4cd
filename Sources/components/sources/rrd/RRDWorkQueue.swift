import Nats
public import PipelineConfig

/// `work_queue:` of a `mode: backfill` rrd source: the files of the tree become work items on a
/// JetStream work-queue stream, and every worker on that stream (any number, on any machines
/// that see the same tree) takes items until none are left. Each worker publishes the items of
/// its own scan; JetStream drops the ones already published (`Nats-Msg-Id` = run and path,
/// remembered for `duplicate_window`), so starting one more worker never redoes a file.
public struct RRDWorkQueue: Sendable {
    public var server: NatsServerOptions
    /// The work-queue stream; its subject is `smokeflow.backfill.<stream>`.
    public var stream: String
    /// The durable consumer every worker shares.
    public var durable: String
    /// Names this backfill among others on the stream: a later one with another name does
    /// every file again.
    public var run: String
    /// A file not acknowledged (its worker died) goes to another worker after this; a worker
    /// still reading a file says so every third of it.
    public var ackWait: Duration
    public var duplicateWindow: Duration
    public var replicas: Int

    var subject: String { "smokeflow.backfill.\(stream)" }

    init(_ node: ConfigNode, options: inout OptionsReader) {
        var reader = OptionsReader(componentID: options.componentID, location: node.location, pairs: node.mapping ?? [])
        if node.mapping == nil { reader.fail(node.location, "'\(options.componentID)': work_queue must be a mapping (url or urls, stream, durable, run)") }
        server = NatsServerOptions(options: &reader)
        stream = server.streamName ?? "BACKFILL"
        server.streamName = nil
        durable = reader.string("durable") ?? "backfill"
        run = reader.string("run") ?? "backfill"
        ackWait = reader.duration("ack_wait", default: .seconds(300))
        duplicateWindow = reader.duration("duplicate_window", default: .seconds(7 * 86_400))
        replicas = reader.int("replicas", default: 1, range: 1...5)
        for (key, value) in [("stream", stream), ("durable", durable)] where value.isEmpty || value.contains(where: { " .*>".contains($0) }) {
            reader.fail(node.location, "'\(options.componentID)': work_queue \(key) '\(value)' may not be empty or contain spaces, '.', '*' or '>'")
        }
        if server.stream != nil { reader.fail(node.location, "'\(options.componentID)': work_queue stream is a name (the source declares it)") }
        if ackWait < .seconds(3) { reader.fail(node.location, "'\(options.componentID)': work_queue ack_wait must be at least 3s") }
        do throws(ConfigErrors) {
            try reader.finish(keysAre: "work_queue key")
        } catch {
            for problem in error.errors { options.fail(problem.location, problem.message) }
        }
    }

    var streamSettings: NatsStreamSettings {
        var settings = NatsStreamSettings(name: stream, subjects: [subject])
        settings.retention = .workQueue
        settings.replicas = replicas
        settings.duplicateWindow = duplicateWindow
        return settings
    }
}
