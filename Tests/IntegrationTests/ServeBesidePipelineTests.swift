import AsyncHTTPClient
import Foundation
import NIOCore
import SmokeflowTesting
import Testing

/// `smokeflow run PIPELINE --serve FILE`: one process probes and serves. A target added
/// through the API (file mode: the store file is the probe source's `targets_file`) is probed
/// from the next round on, and the targets already there keep their rounds, none missed.
@Suite(.serialized, .timeLimit(.minutes(3)), .enabled(if: ProbeLab.enabled))
struct ServeBesidePipelineTests {
    @Test func aTargetAddedThroughTheAPIIsProbedAtTheNextRoundWithoutAGapForTheOthers() async throws {
        let directory = temporaryDirectory()
        let targets = directory + "/targets.yaml"
        try "targets:\n  - { name: keep, host: 127.0.0.1 }\n".write(toFile: targets, atomically: true, encoding: .utf8)
        let port = Servers.freePort()
        try "bind: 127.0.0.1:\(port)\nno_auth: true\ntargets_file: \(targets)\nstate_dir: \(directory)/serve\n"
            .write(toFile: directory + "/serve.yaml", atomically: true, encoding: .utf8)
        let pipeline = directory + "/probe.yaml"
        try """
            sources:
              ping: { type: probe, pings: 2, interval: 100ms, timeout: 500ms, step: 2s, targets_file: \(targets) }
            sinks:
              out: { type: stdout, inputs: [ping] }
            """.write(toFile: pipeline, atomically: true, encoding: .utf8)
        let output = directory + "/out"
        let pid = try ProbeLab.start(
            packageRoot() + "/.build/debug/smokeflow", ["run", pipeline, "--serve", directory + "/serve.yaml", "--log-level", "error"],
            output: output
        )
        func seen() -> [Substring] { ((try? String(contentsOfFile: output, encoding: .utf8)) ?? "").split(separator: "\n") }
        func rounds(of target: String) -> [Int64] {
            seen().filter { $0.hasPrefix("latency,") && $0.contains("target=\(target)") }.compactMap { $0.split(separator: " ").last.flatMap { Int64($0) } }
        }
        #expect(await eventually(within: .seconds(60), every: .milliseconds(50)) { !rounds(of: "keep").isEmpty })

        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/targets")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: #"{"name":"added","host":"127.0.0.2","category":"default"}"#))
        let response = try await Servers.client.execute(request, timeout: .seconds(30))
        #expect(response.status.code == 201)

        #expect(await eventually(within: .seconds(60), every: .milliseconds(50)) { rounds(of: "added").count >= 2 })
        let status = await ProbeLab.finish(pid)
        #expect(status == 0, "\(seen())")
        let keep = rounds(of: "keep")
        let gaps = zip(keep, keep.dropFirst()).map { $1 - $0 }
        // One round per 2 s step, before, during and after the change (a missed round is a 4 s gap).
        #expect(!gaps.isEmpty && gaps.allSatisfy { (1_500_000_000...2_500_000_000).contains($0) }, "\(gaps)")
        let firstAdded = try #require(rounds(of: "added").first)
        #expect(keep.contains { $0 > firstAdded }, "the old target went on after the change")
    }
}
