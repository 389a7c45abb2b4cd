import Foundation
import SmokeflowTesting
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A daemon of the scale-out topology: started through `env` (inside a network namespace with
/// `ip netns exec`, which like `env` execs, so the pid is the daemon's), stopped with SIGTERM
/// or killed with SIGKILL as a crash would.
final class TopologyProcess: @unchecked Sendable {
    let name: String
    let logFile: String
    private let argv: [String]
    private(set) var pid: pid_t?
    /// Its exit status once it ended by itself (seen by `isRunning`).
    private(set) var exitStatus: Int32?

    init(name: String, directory: String, command: [String], environment: [String: String], namespace: String? = nil) {
        self.name = name
        logFile = directory + "/\(name).log"
        let assignments = environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        argv = (namespace.map { ["/usr/sbin/ip", "netns", "exec", $0] } ?? []) + ["/usr/bin/env"] + assignments + command
    }

    /// Reaps it when it has ended (a zombie still answers `kill(pid, 0)`).
    var isRunning: Bool {
        guard let pid else { return false }
        var status: Int32 = 0
        guard waitpid(pid, &status, WNOHANG) == pid else { return true }
        self.pid = nil
        exitStatus = status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return false
    }

    /// Starts it; a restart after `kill9` appends to the same log.
    func start() throws {
        exitStatus = nil
        let before = (try? String(contentsOfFile: logFile + ".before", encoding: .utf8)) ?? ""
        if let previous = try? String(contentsOfFile: logFile + ".current", encoding: .utf8) {
            try (before + previous + "-- restarted\n").write(toFile: logFile + ".before", atomically: true, encoding: .utf8)
        }
        pid = try ProbeLab.start(argv[0], Array(argv.dropFirst()), output: logFile + ".current")
    }

    var log: String {
        ((try? String(contentsOfFile: logFile + ".before", encoding: .utf8)) ?? "") + ((try? String(contentsOfFile: logFile + ".current", encoding: .utf8)) ?? "")
    }

    /// SIGTERM and the exit status.
    @discardableResult
    func stop() async -> Int32? {
        guard let pid else { return exitStatus }
        self.pid = nil
        return await ProbeLab.finish(pid)
    }

    func kill9() async {
        guard let pid else { return }
        self.pid = nil
        kill(pid, SIGKILL)
        _ = await ProbeLab.finish(pid)
    }

    deinit {
        if let pid { kill(pid, SIGKILL) }
    }
}

/// `pipelines/scale-out/` on one machine: a 3-node central JetStream cluster on loopback
/// (`nats/central.conf`), edge sites each in a network namespace of its own with a leaf
/// nats-server (`nats/site.conf`) and an agent (`edge-site.yaml`) probing the namespace's own
/// address, and central writers (`central-writer.yaml`) into InfluxDB. A site reaches the
/// centre and PostgreSQL only through proxies on the host side of its veth, so taking the veth
/// down cuts the site off, as a lost uplink does.
final class ScaleOutLab: @unchecked Sendable {
    static let siteNames = ["site-a", "site-b", "site-c"]
    static let folder = packageRoot() + "/pipelines/scale-out"

    struct CentralPorts {
        let client = Servers.freePort()
        let monitor = Servers.freePort()
        let cluster = Servers.freePort()
        let leaf = Servers.freePort()
    }

    let directory = temporaryDirectory()
    let databaseURL: String
    let influxURL: String
    let influxDatabase: String
    let step: Duration
    let ports = (0..<3).map { _ in CentralPorts() }
    private(set) var central: [TopologyProcess] = []
    private(set) var sites: [EdgeSite] = []
    private(set) var writers: [TopologyProcess] = []

    init(databaseURL: String, influxURL: String, influxDatabase: String, step: Duration) {
        self.databaseURL = databaseURL
        self.influxURL = influxURL
        self.influxDatabase = influxDatabase
        self.step = step
    }

    var centralURLs: [String] { ports.map { "nats://127.0.0.1:\($0.client)" } }

    /// Starts the three central nodes and waits until each answers `/healthz` (JetStream with
    /// a meta leader).
    func startCentral() async throws {
        let routes = "[" + ports.map { "nats-route://127.0.0.1:\($0.cluster)" }.joined(separator: ", ") + "]"
        for (index, port) in ports.enumerated() {
            let node = TopologyProcess(
                name: "n\(index + 1)", directory: directory, command: [NatsServer.executable ?? "nats-server", "-c", Self.folder + "/nats/central.conf"],
                environment: [
                    "NATS_NAME": "n\(index + 1)", "NATS_LISTEN": "127.0.0.1:\(port.client)", "NATS_HTTP": "127.0.0.1:\(port.monitor)",
                    "NATS_STORE": directory + "/n\(index + 1)", "NATS_CLUSTER_LISTEN": "127.0.0.1:\(port.cluster)", "NATS_ROUTES": routes,
                    "NATS_LEAF_LISTEN": "127.0.0.1:\(port.leaf)",
                ])
            try node.start()
            central.append(node)
        }
        for index in central.indices { try await waitUntilHealthy(index) }
    }

    func waitUntilHealthy(_ index: Int) async throws {
        let healthy = await eventually(within: .seconds(60), every: .milliseconds(200)) {
            (try? await Servers.get("http://127.0.0.1:\(self.ports[index].monitor)/healthz"))?.status == 200
        }
        if !healthy { throw ProbeLab.CommandFailed(description: "central n\(index + 1) not healthy: \(central[index].log.suffix(2000))") }
    }

    func restartCentral(_ index: Int) async throws {
        try central[index].start()
        try await waitUntilHealthy(index)
    }

    func startSite(_ name: String) async throws -> EdgeSite {
        let site = try await EdgeSite(name: name, lab: self)
        sites.append(site)
        return site
    }

    /// A writer on the durable consumer `writers`; `ackWait` short so a killed writer's
    /// messages come back within the test.
    func startWriter(_ name: String, ackWait: Duration = .seconds(10)) throws -> TopologyProcess {
        var environment = [
            "SMOKEFLOW_AGENT": name, "INFLUX_URL": influxURL, "INFLUX_DATABASE": influxDatabase, "NATS_ACK_WAIT": "\(ackWait.components.seconds)s",
            "STATE_DIRECTORY": directory + "/\(name)-state",
        ]
        for (index, url) in centralURLs.enumerated() { environment["NATS_URL_\(index + 1)"] = url }
        let writer = TopologyProcess(
            name: name, directory: directory, command: [smokeflowExecutable, "run", Self.folder + "/central-writer.yaml"], environment: environment)
        try writer.start()
        writers.append(writer)
        return writer
    }

    var logs: String {
        (central + writers + sites.flatMap { [$0.leaf, $0.agent] }).map { "== \($0.name)\n\($0.log.suffix(3000))" }.joined(separator: "\n")
    }

    func down() async {
        for site in sites { await site.down() }
        for process in writers + central { await process.stop() }
    }
}

/// One edge site: a namespace (probe-lab.sh, whose own address the agent probes), a leaf
/// nats-server in it with the site's JetStream domain, the agent, and on the host side of the
/// veth one proxy per central node's leaf port and one to PostgreSQL.
final class EdgeSite: @unchecked Sendable {
    let name: String
    let lab: ProbeLab
    let directory: String
    let uplinks: [TCPFaultProxy]
    let database: TCPFaultProxy
    let leaf: TopologyProcess
    let agent: TopologyProcess
    /// Every round the agent produced, as its `record` file sink wrote it.
    let record: String

    init(name: String, lab scaleOut: ScaleOutLab) async throws {
        self.name = name
        lab = try await ProbeLab()
        directory = scaleOut.directory + "/" + name
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let host = lab.value("LAB_HOST_V4")
        uplinks = try scaleOut.ports.map { try TCPFaultProxy(upstreamHost: "127.0.0.1", upstreamPort: $0.leaf, listenHost: host) }
        let postgres = try #require(URLComponents(string: scaleOut.databaseURL))
        database = try TCPFaultProxy(upstreamHost: "127.0.0.1", upstreamPort: postgres.port ?? 5432, listenHost: host)
        var throughProxy = postgres
        throughProxy.host = host
        throughProxy.port = database.port
        leaf = TopologyProcess(
            name: name + "-leaf", directory: directory, command: [NatsServer.executable ?? "nats-server", "-c", ScaleOutLab.folder + "/nats/site.conf"],
            environment: [
                "NATS_SITE": name, "NATS_STORE": directory + "/jetstream",
                "NATS_HUB": "[" + uplinks.map { "nats-leaf://\(host):\($0.port)" }.joined(separator: ", ") + "]",
            ], namespace: lab.namespace)
        // The shipped agent pipeline, plus a file sink recording what it produced.
        record = directory + "/record.lp"
        let pipeline = try String(contentsOfFile: ScaleOutLab.folder + "/edge-site.yaml", encoding: .utf8)
            + "  record:\n    type: file\n    inputs: [probes]\n    path: \(record)\n    flush_interval: 100ms\n"
        try pipeline.write(toFile: directory + "/edge-site.yaml", atomically: true, encoding: .utf8)
        let step = scaleOut.step.components.seconds
        agent = TopologyProcess(
            name: name + "-agent", directory: directory, command: [smokeflowExecutable, "run", directory + "/edge-site.yaml"],
            environment: [
                "SMOKEFLOW_SITE": name, "SMOKEFLOW_STATE_DIR": directory + "/state", "SMOKEFLOW_RRD_DIR": directory + "/rrd",
                "SMOKEFLOW_RRD_STEP": "\(step)", "SMOKEFLOW_STEP": "\(step)s", "SMOKEFLOW_PINGS": "3", "SMOKEFLOW_INTERVAL": "100ms",
                "DATABASE_URL": try #require(throughProxy.string),
            ], namespace: lab.namespace)
    }

    func start() throws {
        try leaf.start()
        try agent.start()
    }

    var targets: [String] { ["\(name)-self", "\(name)-lo"] }
    var veth: String { "sfh" + lab.namespace.dropFirst("sfp-".count) }

    /// The uplink down (the host side of the veth): the site keeps probing, storing and
    /// publishing to its own JetStream.
    func cut() throws { try ProbeLab.run("/usr/sbin/ip", ["link", "set", veth, "down"]) }
    func restore() throws { try ProbeLab.run("/usr/sbin/ip", ["link", "set", veth, "up"]) }

    func down() async {
        await agent.stop()
        await leaf.stop()
        for proxy in uplinks + [database] { proxy.stop() }
        lab.down()
    }
}
