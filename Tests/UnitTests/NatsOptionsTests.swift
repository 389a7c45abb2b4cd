import Components
import Foundation
import SmokeflowTesting
import PipelineConfig
import PipelineRuntime
import Testing

/// The `nats` sink's and source's options: what is refused, with the file, line and column.
struct NatsOptionsTests {
    func problems(sink options: String) -> String {
        do {
            let definition = try PipelineLoader(environment: [:]).load(text: """
                sources:
                  points: { type: fixture, path: fixtures/day.lp.zst }
                sinks:
                  uplink: { type: nats, inputs: [points], \(options) }
                """, file: "edge.yaml")
            _ = try ComponentRegistry.builtin.plan(definition)
            return ""
        } catch {
            return "\(error)"
        }
    }

    @Test func aValidAggregateIsAccepted() {
        #expect(problems(sink: "url: nats://127.0.0.1:4222, subject: a.b, stream: { name: SITE, subjects: [a.>] }") == "")
        #expect(problems(sink: "urls: [nats://127.0.0.1:4222, nats://127.0.0.1:4223], subject: a.b, stream: SITE") == "")
    }

    @Test func refusedOptionsNameWhereTheyAre() {
        #expect(problems(sink: "url: http://127.0.0.1:4222, subject: a.b, stream: SITE").contains("edge.yaml:4:48: 'uplink': 'http://127.0.0.1:4222' is not a nats://host:port URL"))
        #expect(problems(sink: "url: \"nats://user:secret@nowhere\", subject: a.b, stream: SITE, bogus: 1").contains("bogus"))
        #expect(!problems(sink: "url: \"tcp://user:secret@nowhere:4222\", subject: a.b, stream: SITE").contains("secret"), "a password in the URL is never shown")
        #expect(problems(sink: "url: nats://127.0.0.1:4222, subject: a.b, stream: { name: A.B, subjects: [a.>] }").contains("may not contain spaces, '.', '*' or '>'"))
        #expect(problems(sink: "url: nats://127.0.0.1:4222, subject: a.b, stream: { name: A }").contains("stream needs subjects (or source_domains, for an aggregate)"))
        #expect(problems(sink: "url: nats://127.0.0.1:4222, subject: a.b, stream: { name: A, subjects: [a.>], source_stream: SITE }").contains("source_stream needs source_domains"))
        #expect(problems(sink: "url: nats://127.0.0.1:4222, subject: a.b, stream: { name: A, subjects: [a.>], replicas: 7 }").contains("replicas"))
    }

    func problems(rrd options: String) -> String {
        do {
            let definition = try PipelineLoader(environment: [:]).load(text: """
                state_dir: /tmp
                sources:
                  history: { type: rrd, path: /var/lib/smokeping, \(options) }
                sinks:
                  out: { type: stdout, inputs: [history] }
                """, file: "backfill.yaml")
            _ = try ComponentRegistry.builtin.plan(definition)
            return ""
        } catch {
            return "\(error)"
        }
    }

    @Test func aWorkQueueIsForBackfillWithSaneSettings() {
        #expect(problems(rrd: "work_queue: { url: nats://127.0.0.1:4222 }") == "")
        #expect(problems(rrd: "mode: tail, work_queue: { url: nats://127.0.0.1:4222 }").contains("work_queue is for mode: backfill"))
        #expect(problems(rrd: "work_queue: { url: nats://127.0.0.1:4222, ack_wait: 1s }").contains("ack_wait must be at least 3s"))
        #expect(problems(rrd: "work_queue: { url: nats://127.0.0.1:4222, stream: A.B }").contains("work_queue stream 'A.B' may not"))
        #expect(problems(rrd: "work_queue: { url: nats://127.0.0.1:4222, stream: { name: A, subjects: [a] } }").contains("work_queue stream is a name"))
        #expect(problems(rrd: "work_queue: { url: nats://127.0.0.1:4222, shard: 3 }").contains("shard"))
        #expect(problems(rrd: "work_queue: nats://127.0.0.1:4222").contains("work_queue must be a mapping"))
    }

    /// The shipped scale-out pipelines plan with the variables their comments name.
    @Test func theScaleOutPipelinesAreValid() throws {
        let environment = ["SMOKEFLOW_SITE": "site-a", "DATABASE_URL": "postgresql://smokeflow@127.0.0.1/smokeflow", "SMOKEFLOW_STATE_DIR": "/tmp"]
        for name in ["edge-site", "central-writer", "backfill-worker"] {
            let path = packageRoot() + "/pipelines/scale-out/\(name).yaml"
            let definition = try PipelineLoader(environment: environment).load(text: try String(contentsOfFile: path, encoding: .utf8), file: path)
            #expect(throws: Never.self, "\(name)") { _ = try ComponentRegistry.builtin.plan(definition) }
        }
    }
}
