import Foundation
import NIOHTTP1
import SmokeflowTesting
import Testing

/// No log line of a run that used every credential holds one, in any format, at trace level:
/// a PostgreSQL password that works (the serve store) and one that does not (the join), InfluxDB
/// 1.x user and password (as options and in the URL) and a 2.x token against a server that is not
/// there, the env file's API_TOKEN, WEB_ADMIN_PASSWORD and SECRET_KEY, and requests that send the
/// token and sign in with the password, right and wrong.
@Suite(.serialized, .timeLimit(.minutes(4)), .enabled(if: PostgresServers.runIntegration))
struct LogSecretsTests {
    static func secret(_ name: String) -> String { name + "-" + UUID().uuidString.replacingOccurrences(of: "-", with: "") }

    let influxPassword = Self.secret("influxpw")
    let influxToken = Self.secret("influxtoken")
    let wrongPostgresPassword = Self.secret("pgpw")
    let apiToken = Self.secret("apitoken")
    let webPassword = Self.secret("webpw")
    let secretKey = Self.secret("secretkey")

    @Test(arguments: ["text", "logfmt", "json", nil])
    func noSecretReachesTheLogs(format: String?) async throws {
        let storeURL = try await PostgresServers.freshDatabase()
        let store = try #require(URLComponents(string: storeURL))
        let realPostgresPassword = try #require(store.password)
        let secrets = [
            influxPassword, influxToken, wrongPostgresPassword, realPostgresPassword, apiToken, webPassword, secretKey,
            Data("smokeflow:\(influxPassword)".utf8).base64EncodedString(),
        ]
        let directory = temporaryDirectory()
        let closed = Servers.freePort()
        let (apiPort, webPort) = (Servers.freePort(), Servers.freePort())
        try """
            DATABASE_URL=\(storeURL)
            POSTGRES_PASSWORD=\(wrongPostgresPassword)
            INFLUX_PASSWORD=\(influxPassword)
            INFLUX_TOKEN=\(influxToken)
            API_TOKEN=\(apiToken)
            WEB_ADMIN_PASSWORD=\(webPassword)
            SECRET_KEY=\(secretKey)

            """.write(toFile: directory + "/.env", atomically: true, encoding: .utf8)
        chmod(directory + "/.env", 0o600)
        try """
            state_dir: \(directory)/state
            database_url: "postgresql://postgres:${POSTGRES_PASSWORD}@\(store.host ?? "127.0.0.1"):\(store.port ?? 5432)/postgres"
            sources:
              recorded: { type: fixture, path: \(packageRoot())/fixtures/day.lp.zst }
            transforms:
              joined: { type: postgres_join, inputs: [recorded], unknown: tag }
            sinks:
              joined_out: { type: file, inputs: [joined], path: \(directory)/joined.lp }
              v1: { type: influx, inputs: [recorded], url: "http://127.0.0.1:\(closed)", api: v1, database: s, username: smokeflow, password: "${INFLUX_PASSWORD}" }
              in_url: { type: influx, inputs: [recorded], url: "http://smokeflow:${INFLUX_PASSWORD}@127.0.0.1:\(closed)", api: v1, database: s }
              v2: { type: influx, inputs: [recorded], url: "http://127.0.0.1:\(closed)", api: v2, org: o, bucket: b, token: "${INFLUX_TOKEN}" }
            """.write(toFile: directory + "/pipeline.yaml", atomically: true, encoding: .utf8)
        try """
            bind: 127.0.0.1:\(apiPort)
            web_bind: 127.0.0.1:\(webPort)
            state_dir: \(directory)/serve
            influx_url: "http://smokeflow:\(influxPassword)@127.0.0.1:\(closed)"

            """.write(toFile: directory + "/serve.yaml", atomically: true, encoding: .utf8)

        let output = directory + "/output"
        let arguments = ["run", directory + "/pipeline.yaml", "--serve", directory + "/serve.yaml", "--env-file", directory + "/.env",
            "--log-level", "trace", "--shutdown-timeout", "1"] + (format.map { ["--log-format", $0] } ?? [])
        let pid = try ProbeLab.start(smokeflowExecutable, arguments, output: output)
        func printed() -> String { (try? String(contentsOfFile: output, encoding: .utf8)) ?? "" }
        let api = "http://127.0.0.1:\(apiPort)"
        let answered = await eventually(within: .seconds(60), every: .milliseconds(100)) {
            (try? await Servers.request(api + "/targets", method: .GET, headers: [("Authorization", "Bearer \(apiToken)")]))?.status == 200
        }
        #expect(answered, "\(printed())")
        #expect(try await Servers.request(api + "/targets", method: .GET, headers: [("Authorization", "Bearer wrong-\(apiToken)")]).status == 401)
        let browser = WebBrowser(base: "http://127.0.0.1:\(webPort)")
        #expect(try await browser.signIn("wrong-" + webPassword).status == 401)
        let signedIn = try await browser.signIn(webPassword)
        #expect((300..<400).contains(signedIn.status), "\(signedIn)")
        let expected = ["is failing", "metadata database unreachable", "password authentication failed", "web admin sign-in failed", "web admin sign-in"]
        let seen = await eventually(within: .seconds(60), every: .milliseconds(100)) {
            let text = printed()
            return expected.allSatisfy { text.contains($0) } && text.components(separatedBy: "is failing").count > 3
        }
        _ = await ProbeLab.finish(pid)
        let text = printed()
        // What a failure prints has every secret masked, so it leaks none either.
        func masked(_ text: Substring) -> String {
            secrets.enumerated().reduce(String(text)) { $0.replacingOccurrences(of: $1.element, with: "<secret \($1.offset)>") }
        }
        #expect(seen, "\(masked(text[...]))")
        let leaks = text.split(separator: "\n").filter { line in secrets.contains { line.contains($0) } }.map(masked)
        #expect(leaks.isEmpty, "\(format ?? "default"): \(leaks.joined(separator: "\n"))")
        let lines = text.split(separator: "\n").filter { !$0.hasPrefix("smokeflow: ") }
        #expect(lines.count > 10)
        for line in lines { #expect(Self.isLine(line, format ?? "logfmt"), "\(masked(line))") }
    }

    /// Whether `line` is a log line of `format` with a component id.
    static func isLine(_ line: Substring, _ format: String) -> Bool {
        switch format {
        case "json":
            let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
            return object?["component_id"] is String && object?["time"] is String
        case "logfmt": return line.hasPrefix("time=") && line.contains(" component_id=")
        default: return line.count > 26 && line.dropFirst(23).hasPrefix("Z ") && line.contains(": ")
        }
    }
}
