import Foundation
import SmokeflowTesting
import Testing

/// `smokeflow doctor`, the real binary against the real InfluxDB and PostgreSQL: every check
/// right, then each check wrong, with the line it prints and never a credential.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct DoctorCommandTests: CommandLineRunning {
    /// A pipeline `fixture → influx` per sink in `sinks` (`id: options`), state in `directory`.
    func pipeline(in directory: String, sinks: [String: String]) throws -> String {
        let file = directory + "/pipeline.yaml"
        var text = "state_dir: \(directory)/state\nsources:\n  in: { type: fixture, path: fixtures/day.lp.zst }\nsinks:\n"
        for (id, options) in sinks.sorted(by: { $0.key < $1.key }) { text += "  \(id): { type: influx, inputs: [in], \(options) }\n" }
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }

    func envFile(in directory: String, _ text: String, mode: Int) throws -> String {
        let file = directory + "/.env"
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: file)
        return file
    }

    func smokePingConfig(in directory: String) throws -> String {
        try FileManager.default.createDirectory(atPath: directory + "/data/Core", withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: directory + "/data/Core/r1.rrd", contents: Data())
        let file = directory + "/smokeping.conf"
        try """
            *** General ***
            owner = Ops
            contact = ops@example.net
            datadir = \(directory)/data
            *** Database ***
            step = 300
            pings = 20
            *** Probes ***
            + FPing
            binary = /usr/bin/fping
            *** Targets ***
            probe = FPing
            menu = Top
            title = Top
            + Core
            menu = Core
            title = Core
            ++ r1
            menu = r1
            title = r1
            host = 192.0.2.1
            """.write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }

    @Test(.enabled(if: PostgresServers.runIntegration && Servers.runIntegration))
    func everyCheckPassesWhereEverythingIsRight() async throws {
        let influx = try #require(Servers.influxURL)
        let database = "doctor_" + UUID().uuidString.prefix(8).lowercased()
        _ = try await Servers.influxQuery(influx, "CREATE DATABASE \(database)")
        let url = try await PostgresServers.freshDatabase()
        #expect(try await smokeflow(["db", "migrate"], environment: ["DATABASE_URL": url]).status == 0)
        let directory = temporaryDirectory()
        let env = try envFile(in: directory, "DATABASE_URL=\(url)\nINFLUX_DATABASE=\(database)\n", mode: 0o600)
        let file = try pipeline(in: directory, sinks: ["out": "url: \"\(influx)\", database: \"${INFLUX_DATABASE}\""])
        let config = try smokePingConfig(in: directory)

        let result = try await smokeflow(["doctor", file, "--env-file", env, "--smokeping-config", config, "--skip", "clock"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains("ok      env-file: \(env) is private (0600 or stricter), 2 values"))
        #expect(lines.contains("ok      pipeline: \(file) is valid (2 stages)"))
        #expect(lines.contains { $0.hasPrefix("ok      state-dir: \(directory)/state is writable (created at the first run), ") })
        #expect(lines.contains { $0.hasPrefix("ok      postgresql (DATABASE_URL): database t_") && $0.hasSuffix(" as postgres answers; schema at version 8") })
        #expect(lines.contains("ok      influxdb (out): \(influx) accepts the credentials; database '\(database)' exists"))
        #expect(lines.contains("ok      smokeping-config: \(config) reads (1 target)"))
        #expect(lines.contains("ok      smokeping-datadir: \(directory)/data is readable (1 RRD files)"))
        #expect(lines.contains("skip    clock: --skip clock"))
        #expect(lines.last == "doctor: 8 ok, 0 problems, 1 skipped")
        let password = try #require(URLComponents(string: url)?.password)
        #expect(!result.stdout.contains(password) && !result.stderr.contains(password))
    }

    @Test(.enabled(if: PostgresServers.runIntegration && Servers.runIntegration))
    func eachProblemIsOneLineWithItsFixAndTheExitCodeIsOne() async throws {
        let influx = OwnInfluxd(httpSettings: "auth-enabled = true")
        try await influx.start()
        defer { influx.terminate() }
        let influxPassword = "influx-" + UUID().uuidString
        _ = try await Servers.post(influx.url + "/query?q=" + "CREATE USER admin WITH PASSWORD '\(influxPassword)' WITH ALL PRIVILEGES"
            .addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)
        let admin = try #require(PostgresServers.url)
        let wrongPassword = "wrong-" + UUID().uuidString
        var wrong = try #require(URLComponents(string: admin))
        wrong.password = wrongPassword
        let unmigrated = try await PostgresServers.freshDatabase()

        let directory = temporaryDirectory()
        let blocker = directory + "/a-file"
        FileManager.default.createFile(atPath: blocker, contents: Data())
        let env = try envFile(in: directory, "DATABASE_URL=\(try #require(wrong.string))\nINFLUX_PASSWORD=\(influxPassword)\n", mode: 0o600)
        let file = try pipeline(in: directory, sinks: [
            "closed": "url: \"http://127.0.0.1:\(Servers.freePort())\", database: smokeping",
            "refused": "url: \"\(influx.url)\", database: smokeping, username: admin, password: \"not-\(influxPassword)\"",
            "nodb": "url: \"\(influx.url)\", database: nosuch, username: admin, password: \"\(influxPassword)\"",
        ])
        try (try String(contentsOfFile: file, encoding: .utf8) + "database_url: \"\(unmigrated)\"\n").write(toFile: file, atomically: true, encoding: .utf8)

        let result = try await smokeflow([
            "doctor", file, "--env-file", env, "--state-dir", blocker + "/state", "--smokeping-config", directory + "/missing.conf",
            "--smokeping-datadir", directory + "/nodata", "--skip", "clock", "--skip", "icmp",
        ])
        #expect(result.status == 1)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains("problem state-dir: cannot write to the nearest existing folder above \(blocker)/state (Not a directory); fix: give the user that runs smokeflow a writable \(blocker)/state (systemd: StateDirectory=smokeflow), or set state_dir"))
        #expect(lines.contains { $0.hasPrefix("problem influxdb (closed): http://127.0.0.1:") && $0.contains(" does not answer: ") })
        #expect(lines.contains { $0.hasPrefix("problem influxdb (refused): \(influx.url) refused the credentials (HTTP 401)") })
        #expect(lines.contains("problem influxdb (nodb): \(influx.url) has no database 'nosuch' these credentials can see; fix: create it: influx -execute 'CREATE DATABASE nosuch'"))
        #expect(lines.contains { $0.hasPrefix("problem postgresql (database_url): database t_") && $0.hasSuffix(" migrations not applied; fix: smokeflow db migrate (with DATABASE_URL set)") })
        #expect(lines.contains("problem smokeping-config: \(directory)/missing.conf is not readable; fix: give the user read access to it (and its @includes), or pass --smokeping-config"))
        #expect(lines.contains { $0.hasPrefix("problem smokeping-datadir: \(directory)/nodata is not a folder") })
        #expect(lines.contains { $0.hasPrefix("problem postgresql (DATABASE_URL): postgres: connection to server at \"127.0.0.1\"") && $0.contains("password authentication failed") })
        for secret in [influxPassword, wrongPassword] { #expect(!result.stdout.contains(secret) && !result.stderr.contains(secret)) }

        // A credentials file others can read is refused, by doctor as by every command.
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: env)
        let open = try await smokeflow(["doctor", "--env-file", env, "--skip", "clock", "--skip", "icmp", "--skip", "smokeping-config", "--skip", "smokeping-datadir"])
        #expect(open.status == 1)
        #expect(open.stdout.contains("problem env-file: \(env):1:1: permissions 0644 are too open: group or others can read this credentials file; fix: chmod 600 \(env)\n"), "\(open.stdout)")
    }

    @Test func anInvalidPipelineIsNamedAtItsLineAndAnUnknownCheckIsRefused() async throws {
        let directory = temporaryDirectory()
        let file = directory + "/bad.yaml"
        try "sources:\n  in: { type: nosuch }\nsinks:\n  out: { type: stdout, inputs: [in] }\n".write(toFile: file, atomically: true, encoding: .utf8)
        let result = try await smokeflow(["doctor", file, "--skip", "clock", "--skip", "icmp", "--skip", "smokeping-config", "--skip", "smokeping-datadir"])
        #expect(result.status == 1)
        #expect(result.stdout.contains("problem pipeline: \(file):2:"), "\(result.stdout)")
        #expect(result.stdout.contains("; fix: smokeflow validate \(file) lists every problem"))
        let unknown = try await smokeflow(["doctor", "--skip", "nosuch"])
        #expect(unknown.status != 0 && unknown.stderr.contains("--skip takes one of icmp, env-file"))
    }

    /// An unprivileged user in a network namespace of its own (where ping_group_range is the
    /// kernel's default, "1 0"): no ICMP socket of either kind.
    @Test(.enabled(if: getuid() == 0))
    func aUserWithoutICMPPermissionIsTold() async throws {
        let result = try await runProgram("/usr/bin/unshare", [
            "--net", "/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all", "--bounding-set=-all",
            "--", smokeflowExecutable, "doctor", "--skip", "clock", "--skip", "smokeping-config", "--skip", "smokeping-datadir",
        ])
        #expect(result.status == 1, "\(result.output)")
        #expect(result.output.contains("problem icmp: this user (uid 65534) may not open ICMP sockets (Operation not permitted, ping_group_range 1 0); fix: run as root, or grant CAP_NET_RAW"), "\(result.output)")
    }
}
