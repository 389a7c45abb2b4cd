import Foundation
import LineProtocol
import PipelineConfig
import Components
import EventModel
import PipelineRuntime
import SmokeflowTesting
import Testing

/// The `classify` transform: rules, built-in SmokePing defaults, errors with positions.
@Suite struct ClassifyTests {
    @Test func firstMatchWinsAndSourceAndDefaultsApply() async throws {
        let points = try LineProtocolParser.parse("""
            latency,path=DNS/ns1,probe_type=fping,target=ns1 median=3,pings=5i 1
            latency,path=Lab/x,probe_type=fping,target=x median=1,ping_1=1,pings=20i 2
            latency,path=IPv6/y,probe_type=fping,target=y median=1,pings=20i 3
            latency,path=Core/z,probe_type=fping,target=z median=1,pings=20i 4
            latency,path=Edge/w,probe_type=fping,target=w median=1,pings=20i 5
            """)
        let fromLab = TestData.register(Array(points[1...1]))
        let fromTree = TestData.register(points.enumerated().filter { $0.offset != 1 }.map(\.element))
        let (key, probe) = Observer.make()
        let report = try await runPipeline("""
            sources:
              lab: { type: memory, key: \(fromLab) }
              tree: { type: memory, key: \(fromTree) }
            transforms:
              classified:
                type: classify
                inputs: [lab, tree]
                rules:
                  - name: lab source
                    match: { source: lab, fields: [ping_1] }
                    measurement: lab_latency
                    rename_fields: { ping_1: first }
                    drop_tags: [probe_type]
                  - match: { tags: { path: { regex: "^Core/" } } }
                    add_tags: { tier: core }
                    drop_fields: [pings]
                default:
                  add_tags: { tier: other }
            sinks:
              out: { type: collect, inputs: [classified], probe: \(key) }
            """)
        #expect(report.succeeded)
        let received = probe.received.withLock { $0 }
        let byTarget = Dictionary(received.compactMap { point in point.tag("target").map { ($0, point) } }) { first, _ in first }
        #expect(byTarget.count == received.count, "one point per target")
        #expect(byTarget["x"]?.measurement == "lab_latency" && byTarget["x"]?.field("first") == .float(1) && byTarget["x"]?.tag("probe_type") == nil)
        #expect(byTarget["z"]?.tag("tier") == "core" && byTarget["z"]?.field("pings") == nil)
        // The built-in rules come after the file's own rules, the file's default last.
        #expect(byTarget["w"]?.tag("tier") == "other" && byTarget["ns1"]?.tag("tier") == nil)
        #expect(byTarget["ns1"]?.measurement == "dns_latency" && byTarget["ns1"]?.tag("probe_type") == "dns")
        #expect(byTarget["ns1"]?.tag("resolver") == "ns1" && byTarget["ns1"]?.field("resolution_time") == .float(3))
        #expect(byTarget["y"]?.tag("probe_type") == "fping6")
    }

    @Test func badRulesAreReportedWithTheirPosition() throws {
        let text = """
            sources:
              in: { type: fixture, path: x.lp.zst }
            transforms:
              c:
                type: classify
                inputs: [in]
                rules:
                  - match: { tags: { path: { regex: "([" } }, colour: red }
                    measurment: x
            sinks:
              out: { type: stdout, inputs: [c] }
            """
        let definition = try PipelineLoader(environment: [:]).load(text: text, file: "c.yaml")
        #expect(throws: ConfigErrors.self) { try ComponentRegistry.builtin.plan(definition) }
        do {
            _ = try ComponentRegistry.builtin.plan(definition)
        } catch {
            let lines = error.errors.map(\.description)
            #expect(lines.contains("c.yaml:8:41: invalid regular expression"), "\(lines)")
            #expect(lines.contains { $0.hasPrefix("c.yaml:8:51: unknown key 'colour' in 'match'") }, "\(lines)")
            #expect(lines.contains { $0.hasPrefix("c.yaml:9:9: unknown rule key 'measurment'") }, "\(lines)")
        }
    }
}
