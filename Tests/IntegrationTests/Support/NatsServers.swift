import Foundation
import SmokeflowTesting
#if canImport(Glibc)
import Glibc
#endif

/// A nats-server of the test's own: JetStream on, its store in a temporary folder, on loopback
/// ports; optionally one node of a cluster or a leaf node with its own JetStream domain.
final class NatsServer: @unchecked Sendable {
    static let executable = ["/usr/sbin/nats-server", "/usr/bin/nats-server"].first { FileManager.default.isExecutableFile(atPath: $0) }
    static var available: Bool { executable != nil }

    let name: String
    let port: Int
    let monitorPort: Int
    let directory: String
    /// Extra configuration (cluster, leafnodes blocks, a jetstream domain).
    let extra: String
    let jetStreamDomain: String?
    private let process: TopologyProcess

    init(name: String = "n1", port: Int = Servers.freePort(), domain: String? = nil, extra: String = "") {
        self.name = name
        self.port = port
        monitorPort = Servers.freePort()
        directory = temporaryDirectory()
        jetStreamDomain = domain
        self.extra = extra
        process = TopologyProcess(
            name: "server", directory: directory, command: [Self.executable ?? "nats-server", "-c", directory + "/server.conf"], environment: [:])
    }

    var url: String { "nats://127.0.0.1:\(port)" }

    /// Starts it and waits until JetStream answers `/healthz`.
    func start(waitForJetStream: Bool = true) async throws {
        let domain = jetStreamDomain.map { "\n  domain: \($0)" } ?? ""
        try """
            server_name: \(name)
            listen: 127.0.0.1:\(port)
            http: 127.0.0.1:\(monitorPort)
            jetstream {
              store_dir: "\(directory)/store"\(domain)
            }
            \(extra)

            """.write(toFile: directory + "/server.conf", atomically: true, encoding: .utf8)
        guard Self.executable != nil else { throw ProbeLab.CommandFailed(description: "no nats-server installed") }
        try process.start()
        guard waitForJetStream else { return }
        let healthy = await eventually(within: .seconds(30), every: .milliseconds(100)) {
            (try? await Servers.get("http://127.0.0.1:\(self.monitorPort)/healthz?js-enabled-only=true"))?.status == 200
        }
        if !healthy { throw ProbeLab.CommandFailed(description: "nats-server \(name) did not start: \(log)") }
    }

    var log: String { process.log }

    func stop() async { await process.stop() }

    /// SIGKILL: no goodbye, as a crash or a power cut.
    func kill9() async { await process.kill9() }
}
