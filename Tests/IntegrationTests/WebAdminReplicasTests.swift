import Foundation
import SmokeflowTesting
import Testing

/// Several `smokeflow serve` replicas on one PostgreSQL with one `SECRET_KEY` (docs/deploy.md's
/// load-balanced recipe): a browser signed in on one is signed in on every other, its forms'
/// CSRF token holds on any of them, and a restarted replica still knows it. A replica with
/// another key knows nobody.
@Suite(.serialized, .timeLimit(.minutes(3)), .enabled(if: PostgresServers.runIntegration))
struct WebAdminReplicasTests: CommandLineRunning {
    struct Replica {
        let web: String
        let ports: (api: Int, web: Int)
        let pid: pid_t
        let output: String
    }

    /// A restarted replica keeps its ports (`ports`), as behind a load balancer.
    static func startReplica(_ directory: String, name: String, envFile: String, ports: (api: Int, web: Int)? = nil) async throws -> Replica {
        let (apiPort, webPort) = ports ?? (Servers.freePort(), Servers.freePort())
        try "bind: 127.0.0.1:\(apiPort)\nweb_bind: 127.0.0.1:\(webPort)\nstate_dir: \(directory)/\(name)\n"
            .write(toFile: "\(directory)/\(name).yaml", atomically: true, encoding: .utf8)
        let output = "\(directory)/\(name).log"
        let pid = try ProbeLab.start(smokeflowExecutable, ["serve", "--config", "\(directory)/\(name).yaml", "--env-file", envFile, "--log-level", "warning"], output: output)
        let replica = Replica(web: "http://127.0.0.1:\(webPort)", ports: (apiPort, webPort), pid: pid, output: output)
        let up = await eventually(within: .seconds(60), every: .milliseconds(100)) { (try? await Servers.get(replica.web + "/health"))?.status == 200 }
        #expect(up, "\(name): \((try? String(contentsOfFile: output, encoding: .utf8)) ?? "")")
        return replica
    }

    static func writeEnv(_ path: String, database: String, secretKey: String) throws {
        try "DATABASE_URL=\(database)\nAPI_TOKEN=replica-token-0123456789abcdef\nWEB_ADMIN_PASSWORD=\(RunningWebAdmin.password)\nSECRET_KEY=\(secretKey)\n"
            .write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o600)
    }

    @Test func aBrowserSignedInOnOneReplicaIsSignedInOnAnother() async throws {
        let database = try await PostgresServers.freshDatabase()
        let directory = temporaryDirectory()
        try Self.writeEnv(directory + "/.env", database: database, secretKey: WebSessionsKey.random())
        try Self.writeEnv(directory + "/other.env", database: database, secretKey: WebSessionsKey.random())
        var first = try await Self.startReplica(directory, name: "first", envFile: directory + "/.env")
        let second = try await Self.startReplica(directory, name: "second", envFile: directory + "/.env")
        let stranger = try await Self.startReplica(directory, name: "stranger", envFile: directory + "/other.env")
        defer { for pid in [first.pid, second.pid, stranger.pid] { kill(pid, SIGTERM) } }

        let onFirst = WebBrowser(base: first.web)
        let signedIn = try await onFirst.signIn()
        #expect(signedIn.status == 303, "\(signedIn)")
        try await onFirst.get("/targets/new")
        let firstToken = try #require(onFirst.csrfToken)

        // The same cookie on the second replica: signed in, the same CSRF token, and a form
        // posted there with the token of the first replica's page is taken.
        let onSecond = WebBrowser(base: second.web)
        onSecond.cookie = onFirst.cookie
        #expect(try await onSecond.get("/targets").status == 200)
        #expect(onSecond.csrfToken == firstToken)
        let saved = try await onSecond.post("/targets/new", [("kind", "icmp"), ("host", "127.0.0.1"), ("name", "replicated"), ("category", "default"), ("step", "save"), ("active", "1")], csrf: firstToken)
        #expect(saved.status == 303, "\(saved)")
        let listed = try await onFirst.get("/targets")
        #expect(listed.body.contains("replicated"), "the first replica lists what the second saved")

        // A replica with another SECRET_KEY knows nobody.
        let onStranger = WebBrowser(base: stranger.web)
        onStranger.cookie = onFirst.cookie
        #expect(try await onStranger.get("/targets").status == 303)

        // A restart signs nobody out.
        _ = await ProbeLab.finish(first.pid)
        first = try await Self.startReplica(directory, name: "first", envFile: directory + "/.env", ports: first.ports)
        #expect(try await onFirst.get("/targets").status == 200, "\((try? String(contentsOfFile: first.output, encoding: .utf8)) ?? "")")

        // Signing out ends the session where it was signed out.
        #expect(try await onSecond.post("/logout", []).status == 303)
        onSecond.cookie = onFirst.cookie
        #expect(try await onSecond.get("/targets").status == 303)
        for pid in [first.pid, second.pid, stranger.pid] { _ = await ProbeLab.finish(pid) }
    }

    @Test func aShortSecretKeyStopsServeWithAnErrorThatDoesNotShowIt() async throws {
        let directory = temporaryDirectory()
        try "API_TOKEN=replica-token-0123456789abcdef\nWEB_ADMIN_PASSWORD=x\nSECRET_KEY=tooshort-7f3a\n".write(toFile: directory + "/.env", atomically: true, encoding: .utf8)
        chmod(directory + "/.env", 0o600)
        try "bind: 127.0.0.1:0\nweb_bind: 127.0.0.1:0\nstate_dir: \(directory)/state\ntargets_file: \(directory)/targets.yaml\n"
            .write(toFile: directory + "/serve.yaml", atomically: true, encoding: .utf8)
        let result = try await smokeflow(["serve", "--config", directory + "/serve.yaml", "--env-file", directory + "/.env"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("SECRET_KEY is shorter than 32"), "\(result.stderr)")
        #expect(!(result.stdout + result.stderr).contains("tooshort-7f3a"))
    }
}

/// A SECRET_KEY as `smokeflow init` writes one: 64 hex digits.
enum WebSessionsKey {
    static func random() -> String { (0..<4).map { _ in String(format: "%016llx", UInt64.random(in: 0...UInt64.max)) }.joined() }
}
