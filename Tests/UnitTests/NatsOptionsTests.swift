import Components
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
}
