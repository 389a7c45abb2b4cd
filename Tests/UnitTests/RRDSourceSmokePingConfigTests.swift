import Foundation
import EventModel
import SmokeflowTesting
import Testing

/// `smokeping_config:` on the rrd source: a file's probe type, probe, title and host come from
/// its target in SmokePing's configuration, the tree from its `datadir`.
@Suite(.timeLimit(.minutes(2)))
struct RRDSourceSmokePingConfigTests {
    @Test func eachFileIsDescribedByItsTargetInTheConfig() async throws {
        let tree = SmokePingTree()
        for file in ["net/web1.rrd", "services/DNS/ns1.rrd", "net/web1~boomer.rrd", "gone/old.rrd"] {
            try await tree.update(try await tree.create(file, pings: 5), rounds: 0..<3, pings: 5)
        }
        let directory = temporaryDirectory()
        try """
            *** General ***
            datadir = \(tree.root)
            *** Probes ***
            + FPing
            binary = /usr/bin/fping
            + DNS
            binary = /usr/bin/dig
            *** Targets ***
            probe = FPing
            menu = Top
            title = T
            + net
            ++ web1
            title = The web server
            host = web1.example
            + services
            ++ DNS
            probe = DNS
            +++ ns1
            host = 192.0.2.53
            lookup = example.org
            """.write(toFile: directory + "/config", atomically: true, encoding: .utf8)
        let (key, observer) = Observer.make()
        let report = try await runPipeline("""
            state_dir: \(directory)/state
            sources:
              smokeping:
                type: rrd
                mode: backfill
                smokeping_config: \(directory)/config
            sinks:
              collect: { type: collect, inputs: [smokeping], probe: \(key) }
            """)
        #expect(report.failures.isEmpty, "\(report.failures)")
        let points = observer.received.withLock { $0 }
        func tags(of path: String) -> [String: String]? {
            points.first { $0.tag("path") == path }.map { Dictionary($0.tags.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a }) }
        }
        let web = try #require(tags(of: "net/web1"))
        #expect(web["probe_type"] == "fping" && web["probe"] == "FPing" && web["title"] == "The web server" && web["host"] == "web1.example")
        let dns = try #require(points.first { $0.tag("path") == "services/DNS/ns1" })
        #expect(dns.measurement == "dns_latency")
        #expect(dns.tag("probe_type") == "dns" && dns.tag("resolver") == "192.0.2.53" && dns.tag("probe") == "DNS" && dns.tag("host") == nil)
        // A slave's file is its target's; a file the config does not name keeps the glob rules.
        #expect(tags(of: "net/web1~boomer")?["host"] == "web1.example")
        #expect(tags(of: "net/web1~boomer")?["slave"] == "boomer")
        let old = try #require(tags(of: "gone/old"))
        #expect(old["probe_type"] == "fping" && old["probe"] == nil)
    }

    @Test func aBadConfigStopsTheSourceWithItsFileAndLine() async throws {
        let directory = temporaryDirectory()
        try "*** Targets ***\nmenu = Top\n".write(toFile: directory + "/config", atomically: true, encoding: .utf8)
        let (key, _) = Observer.make()
        let report = try await runPipeline("""
            state_dir: \(directory)/state
            sources:
              smokeping: { type: rrd, mode: backfill, smokeping_config: \(directory)/config }
            sinks:
              collect: { type: collect, inputs: [smokeping], probe: \(key) }
            """)
        #expect(report.failures.map { "\($0)" }.joined().contains("\(directory)/config:1:1: Targets: probe is not set"), "\(report.failures)")
    }
}
