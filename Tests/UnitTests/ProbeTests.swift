import Foundation
import PipelineConfig
@testable import ProbeEngine
import Components
import EventModel
import PipelineRuntime
import SmokeflowTesting
import Testing

/// The probe's codecs, round arithmetic and option checks: no network, no root.
struct ProbeTests {
    @Test func echoRequestsCarryAValidChecksumAndRepliesAreMatchedByTheirFields() throws {
        var packet: [UInt8] = []
        ICMPCodec.echoRequest(v6: false, identifier: 0xBEEF, sequence: 513, token: 0xDEAD_BEEF, payloadSize: 56, into: &packet)
        try #require(packet.count == 64)
        #expect(packet[0] == 8 && ICMPCodec.checksum(packet) == 0)
        var reply = packet
        reply[0] = 0
        let parsed = try #require(reply.withUnsafeBytes { ICMPCodec.parseReply($0, v6: false, hasIPHeader: false) })
        #expect(parsed.identifier == 0xBEEF && parsed.sequence == 513 && parsed.token == 0xDEAD_BEEF)
        // A raw IPv4 socket delivers the IP header first (IHL 5 = 20 bytes).
        let withHeader = [0x45] + [UInt8](repeating: 0, count: 19) + reply
        #expect(withHeader.withUnsafeBytes { ICMPCodec.parseReply($0, v6: false, hasIPHeader: true) }?.sequence == 513)
        // Our own request, or an ICMPv6 reply on the IPv4 socket, is not an answer.
        #expect(packet.withUnsafeBytes { ICMPCodec.parseReply($0, v6: false, hasIPHeader: false) } == nil)
        ICMPCodec.echoRequest(v6: true, identifier: 1, sequence: 2, token: 3, payloadSize: 56, into: &packet)
        #expect(packet.first == 128)
    }

    @Test func dnsQuestionsAndResponses() throws {
        let question = try #require(DNSCodec.question(name: "a.example.test.", type: 28))
        #expect(question == [1, 97, 7] + Array("example".utf8) + [4] + Array("test".utf8) + [0, 0, 28, 0, 1])
        #expect(DNSCodec.question(name: "a..b", type: 1) == nil)
        #expect(DNSCodec.question(name: String(repeating: "x", count: 64) + ".test", type: 1) == nil)
        var query: [UInt8] = []
        DNSCodec.query(id: 0x1234, question: question, into: &query)
        #expect(query.withUnsafeBytes { DNSCodec.parseResponse($0, question: question) } == nil)  // not a response
        var response = query
        response[2] |= 0x80
        response[3] = 0x83  // RA + NXDOMAIN
        let parsed = try #require(response.withUnsafeBytes { DNSCodec.parseResponse($0, question: question) })
        #expect(parsed.id == 0x1234 && DNSCodec.rcodeName(parsed.rcode) == "NXDOMAIN")
        let other = try #require(DNSCodec.question(name: "b.example.test", type: 28))
        #expect(response.withUnsafeBytes { DNSCodec.parseResponse($0, question: other) } == nil)
    }

    @Test func roundsBecomePointsAsSmokePingStoresThem() throws {
        let target = ProbeTarget(name: "edge", host: "192.0.2.1", path: "Net/edge", category: "Net")
        let startedAt: Int64 = 1_764_374_400_123_456_789
        let round = RoundResult(target: target, startedAt: startedAt, sent: 7, times: [1.5, 2.5, 3.5, 4.5])
        let point = RoundPoints(kind: .icmp).point(round)
        #expect(point.measurement == "latency" && point.timestamp == 1_764_374_400_123_000_000)
        #expect(point.tags.map(\.key) == ["category", "path", "probe_type", "target"] && point.tag("path") == "Net/edge")
        // 3 lost: int(3/2) = 1 absent before the sorted times, the other 2 after.
        #expect(point.field("ping_1") == nil && point.field("ping_2") == .float(1.5) && point.field("ping_5") == .float(4.5))
        #expect(point.field("ping_6") == nil && point.field("ping_7") == nil)
        #expect(point.field("median") == .float(3.5))  // the upper median of four
        #expect(point.field("loss") == .float(300.0 / 7) && point.field("lost") == .float(3) && point.field("pings") == .int(7))
        let dns = RoundResult(target: target, startedAt: startedAt, sent: 3, times: [1, 2, 3], rcodes: [3: 2, 0: 1])
        let dnsPoint = RoundPoints(kind: .dns).point(dns)
        #expect(dnsPoint.measurement == "dns_latency" && dnsPoint.tag("resolver") == "192.0.2.1" && dnsPoint.tag("probe_type") == "dns")
        #expect(dnsPoint.field("resolution_time") == .float(2) && dnsPoint.field("rcode") == .string("NXDOMAIN"))
        let allLost = RoundPoints(kind: .icmp6).point(RoundResult(target: target, startedAt: startedAt, sent: 5, times: []))
        #expect(allLost.field("loss") == .float(100) && allLost.field("median") == nil && allLost.tag("probe_type") == "fping6")
    }

    func problems(_ source: String, file: String = "probe.yaml") -> String {
        do {
            let definition = try PipelineLoader(environment: [:]).load(text: """
                sources:
                  ping: \(source)
                sinks:
                  out: { type: stdout, inputs: [ping] }
                """, file: file)
            _ = try ComponentRegistry.builtin.plan(definition)
            return ""
        } catch {
            return "\(error)"
        }
    }

    @Test func validateRejectsBadTargetsWithTheirPositions() throws {
        #expect(problems("{ type: probe, targets: [{ name: a, host: 127.0.0.1 }] }") == "")
        #expect(problems("{ type: probe, targets: [{ name: a, host: 300.1.2.3 }] }").contains("probe.yaml:2:51: 'ping': target 'a': host is not a valid IPv4 address"))
        #expect(problems("{ type: probe, targets: [{ name: a, host: \"::1\" }] }").contains("use kind: icmp6"))
        #expect(problems("{ type: probe, kind: icmp6, targets: [{ name: a, host: 127.0.0.1 }] }").contains("use kind: icmp"))
        #expect(problems("{ type: probe, targets: [{ name: a, host: \"fe80::zz\" }] }").contains("not a valid IPv6 address"))
        #expect(problems("{ type: probe, targets: [{ name: a, host: bad_host!.example }] }").contains("not a valid address or host name"))
        #expect(problems("{ type: probe, targets: [{ name: a, host: h.example }, { name: a, host: h.example }] }").contains("listed twice"))
        #expect(problems("{ type: probe }").contains("needs option 'targets', 'targets_file' or 'targets_from: postgres'"))
        #expect(problems("{ type: probe, pings: 20, interval: 20s, targets: [{ name: a, host: h.example }] }").contains("shorter than the step"))
        #expect(problems("{ type: probe, kind: dns, targets: [{ name: a, host: 127.0.0.1 }] }").contains("needs 'lookup'"))
        #expect(problems("{ type: probe, kind: dns, lookup: a.test, record: BOGUS, targets: [{ name: a, host: 127.0.0.1 }] }").contains("record must be one of"))
        #expect(problems("{ type: probe, lookup: a.test, targets: [{ name: a, host: 127.0.0.1 }] }").contains("option 'lookup' is for kind: dns"))
        #expect(problems("{ type: probe, site: site-a, targets: [{ name: a, host: 127.0.0.1 }] }").contains("probe.yaml:2:30: option 'site' is for targets_from: postgres"))
    }

    @Test func targetsFileErrorsNameTheFileAndAChangedFileIsReadAgain() async throws {
        let directory = temporaryDirectory()
        let path = directory + "/targets.yaml"
        try "- { name: a, host: 10.0.0.1 }\n- { name: b, host: 999.0.0.1 }\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(problems("{ type: probe, targets_file: \(path) }").contains("\(path):2:20: target 'b': host is not a valid IPv4 address"))
        try "targets:\n  - { name: a, host: 10.0.0.1 }\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(problems("{ type: probe, targets_file: \(path) }") == "")
        let file = TargetsFile(path: path, reader: TargetListReader(kind: .icmp, lookup: nil, record: nil))
        #expect(try await file.targets().map(\.name) == ["a"])
        try "- { name: a, host: 10.0.0.1 }\n- { name: c, host: c.example }\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try await file.targets().map(\.name) == ["a", "c"])
        try "- { name: a, host: [oops] }\n".write(toFile: path, atomically: true, encoding: .utf8)
        await #expect(throws: TargetsFile.ReadError.self) { try await file.targets() }
    }
}
