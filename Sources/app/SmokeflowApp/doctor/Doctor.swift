import AsyncHTTPClient
public import Foundation
import NIOPosix

/// `smokeflow doctor`: what an operator runs first. Each check prints one line (ok, problem and
/// how to fix it, or skip when nothing here configures it); only problems fail.
public struct Doctor: Sendable {
    public struct Options: Sendable {
        /// Checked for its mode; its values count as the environment (which wins) for the rest.
        public var envFile: String?
        public var pipeline: String?
        public var stateDirectory: String?
        public var smokePingConfig: String?
        public var smokePingDataDirectory: String?
        /// Check names (`clock`, `icmp`, …) not to run.
        public var skipped: Set<String> = []
        public var minimumFreeBytes: Int64 = 100 << 20
        public var environment: [String: String] = ProcessInfo.processInfo.environment

        public init() {}
    }

    /// Every check's name, in the order they print.
    public static let checks = ["icmp", "env-file", "pipeline", "state-dir", "postgresql", "influxdb", "smokeping-config", "smokeping-datadir", "clock"]

    /// SmokePing's config where Debian puts it: read when present and no other is named.
    static let debianSmokePingConfig = "/etc/smokeping/config"

    public var options: Options

    public init(_ options: Options) { self.options = options }

    public func run() async -> [DoctorFinding] {
        var findings: [DoctorFinding] = []
        let pool = NIOThreadPool.singleton
        let skipped = options.skipped
        func wanted(_ check: String) -> Bool { !skipped.contains(check) }

        if wanted("icmp") { findings.append(await blocking(pool) { HostFacts.icmp() }) }

        var environment = options.environment
        if wanted("env-file") {
            if let envFile = options.envFile {
                let (finding, values) = await blocking(pool) { ServiceChecks.environmentFile(envFile) }
                findings.append(finding)
                environment = values.merging(environment) { _, process in process }
            } else {
                findings.append(.skip("env-file", "no --env-file"))
            }
        }

        var pipeline: LoadedPipeline?
        if wanted("pipeline") {
            if let file = options.pipeline {
                let (envFile, known) = (options.envFile, environment)
                let (finding, loaded) = await blocking(pool) { ServiceChecks.pipeline(file, envFile: envFile, environment: known) }
                findings.append(finding)
                pipeline = loaded
            } else {
                findings.append(.skip("pipeline", "no pipeline file given"))
            }
        }

        if wanted("state-dir") {
            if let directory = options.stateDirectory ?? pipeline?.settings.stateDirectory {
                let minimum = options.minimumFreeBytes
                findings.append(await blocking(pool) { HostFacts.stateDirectory(directory, minimumFree: minimum) })
            } else {
                findings.append(.skip("state-dir", "no --state-dir, and no pipeline that keeps its state in a folder"))
            }
        }

        if wanted("postgresql") {
            let databases = ServiceChecks.databases(environment: environment, pipeline: pipeline)
            if databases.isEmpty { findings.append(.skip("postgresql", "no DATABASE_URL, and the pipeline names no database_url")) }
            for database in databases { findings.append(await ServiceChecks.postgres(use: database.use, url: database.url)) }
        }

        if wanted("influxdb") {
            let servers = pipeline.map { ServiceChecks.influxServers($0.definition) } ?? []
            if servers.isEmpty { findings.append(.skip("influxdb", "no pipeline with an influx sink or influx_query source")) }
            if !servers.isEmpty {
                let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: .init(redirectConfiguration: .disallow))
                for server in servers { findings.append(await ServiceChecks.influx(server, client: client)) }
                try? await client.shutdown()
            }
        }

        var dataDirectory = options.smokePingDataDirectory
        if wanted("smokeping-config") {
            let named = options.smokePingConfig
            if let path = named ?? (FileManager.default.fileExists(atPath: Self.debianSmokePingConfig) ? Self.debianSmokePingConfig : nil) {
                let (finding, config) = await blocking(pool) { ServiceChecks.smokePingConfig(path) }
                findings.append(finding)
                dataDirectory = dataDirectory ?? config?.general["datadir"]
            } else {
                findings.append(.skip("smokeping-config", "no --smokeping-config and no \(Self.debianSmokePingConfig)"))
            }
        }
        if wanted("smokeping-datadir") {
            if let directory = dataDirectory {
                findings.append(await blocking(pool) { ServiceChecks.smokePingData(directory) })
            } else {
                findings.append(.skip("smokeping-datadir", "no --smokeping-datadir, and no SmokePing config naming one"))
            }
        }

        if wanted("clock") { findings.append(await blocking(pool) { HostFacts.clock() }) }
        for name in skipped.sorted() where Self.checks.contains(name) { findings.append(.skip(name, "--skip \(name)")) }
        return findings
    }

    /// A check that blocks (sockets, files, a child process), off the cooperative pool.
    private func blocking<Result: Sendable>(_ pool: NIOThreadPool, _ body: @escaping @Sendable () -> Result) async -> Result {
        do { return try await pool.runIfActive(body) } catch { return body() }  // the singleton pool never shuts down
    }
}
