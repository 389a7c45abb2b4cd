import Foundation
import PasswordHash
import PipelineConfig
import SmokeflowApp
import SmokeflowTesting
import Testing

/// `smokeflow init` (issue 12): every credential generated into a 0600 file, none overwritten,
/// one rotated on request with a backup, never printed; env files others can read are refused.
@Suite(.timeLimit(.minutes(2)))
struct CredentialsTests: CommandLineRunning {
    static func mode(_ path: String) throws -> Int {
        try #require(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
    }

    static func values(_ path: String) throws -> [String: String] {
        try EnvironmentFile.parse(try EnvironmentFile.readPrivate(path), file: path)
    }

    @Test func aNewFileIs0600AndHoldsEveryCredential() async throws {
        let path = temporaryDirectory() + "/.env"
        let report = try await onOwnThread { try Credentials.initialize(path: path, timeZone: "Europe/Berlin") }
        #expect(report.created && Set(report.added) == Set(Credentials.names))
        #expect(try Self.mode(path) == 0o600)
        let values = try Self.values(path)
        #expect(values["TZ"] == "Europe/Berlin" && values["WEB_ADMIN_USERNAME"] == "admin")
        let secrets = Credentials.secretNames.compactMap { values[$0] }
        #expect(secrets.count == Credentials.secretNames.count)
        #expect(Set(secrets).count == secrets.count, "every secret its own")
        for secret in secrets {
            #expect(secret.count >= 43, "256 bits in base64url: \(secret.count) characters")
            #expect(secret.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") })
        }
        let hash = try #require(values[Credentials.passwordHashName])
        let password = try #require(values["WEB_ADMIN_PASSWORD"])
        #expect(hash.hasPrefix("$2b$"))
        #expect(try await onOwnThread { PasswordHash.verify(password, against: hash) })
        #expect(try await onOwnThread { !PasswordHash.verify(password + "x", against: hash) })
    }

    @Test func anExistingValueIsNeverOverwrittenAndMissingOnesAreAdded() async throws {
        let path = temporaryDirectory() + "/.env"
        #expect(FileManager.default.createFile(atPath: path, contents: Data("# ours\nAPI_TOKEN=mine\n".utf8), attributes: [.posixPermissions: 0o600]))
        let first = try await onOwnThread { try Credentials.initialize(path: path, timeZone: "UTC") }
        #expect(first.kept == ["API_TOKEN"])
        #expect(!first.added.contains("API_TOKEN") && first.added.contains("INFLUX_TOKEN"))
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.hasPrefix("# ours\nAPI_TOKEN=mine\n"), "what was there stays as it was")
        #expect(try Self.values(path)["API_TOKEN"] == "mine")
        let again = try await onOwnThread { try Credentials.initialize(path: path, timeZone: "UTC") }
        #expect(again.added.isEmpty)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == text, "a second init changes nothing")
    }

    @Test func rotateReplacesOneSecretAndKeepsA0600Backup() async throws {
        let path = temporaryDirectory() + "/.env"
        _ = try await onOwnThread { try Credentials.initialize(path: path, timeZone: "UTC") }
        let before = try Self.values(path)
        let original = try String(contentsOfFile: path, encoding: .utf8)
        let report = try await onOwnThread { try Credentials.initialize(path: path, timeZone: "UTC", rotate: "WEB_ADMIN_PASSWORD") }
        let after = try Self.values(path)
        #expect(after["WEB_ADMIN_PASSWORD"] != before["WEB_ADMIN_PASSWORD"])
        #expect(after[Credentials.passwordHashName] != before[Credentials.passwordHashName], "the hash follows the password")
        for name in Credentials.names where name != "WEB_ADMIN_PASSWORD" && name != Credentials.passwordHashName {
            #expect(after[name] == before[name], "\(name) unchanged")
        }
        let backup = try #require(report.backup)
        #expect(try Self.mode(backup) == 0o600)
        #expect(try String(contentsOfFile: backup, encoding: .utf8) == original)
        let password = try #require(after["WEB_ADMIN_PASSWORD"]), hash = try #require(after[Credentials.passwordHashName])
        #expect(try await onOwnThread { PasswordHash.verify(password, against: hash) })
        #expect(throws: Credentials.Failure.self) { try Credentials.initialize(path: path, timeZone: "UTC", rotate: "TZ") }
    }

    @Test func anEnvFileGroupOrOthersCanReadIsRefusedInOneLine() async throws {
        let directory = temporaryDirectory()
        let path = directory + "/.env"
        #expect(FileManager.default.createFile(atPath: path, contents: Data("API_TOKEN=x\n".utf8), attributes: [.posixPermissions: 0o644]))
        #expect(throws: ConfigErrors.self) { try PipelineLoader(environment: [:], envFile: path) }
        #expect(throws: ConfigErrors.self) { try Credentials.initialize(path: path, timeZone: "UTC") }
        let result = try await smokeflow(["validate", "pipelines/default.yaml", "--env-file", path])
        #expect(result.status != 0)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(result.stderr)")
        #expect(result.stderr.contains("\(path):1:1: permissions 0644 are too open") && result.stderr.contains("chmod 600 \(path)"), "\(result.stderr)")
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
        #expect(try PipelineLoader(environment: [:], envFile: path).environment["API_TOKEN"] == "x")
    }

    @Test func initPrintsNamesNeverSecrets() async throws {
        let path = temporaryDirectory() + "/.env"
        let result = try await smokeflow(["init", "--env-file", path])
        #expect(result.status == 0, "\(result.stderr)")
        let values = try Self.values(path)
        #expect(result.stdout.contains("added ") && result.stdout.contains("API_TOKEN"))
        for name in Credentials.secretNames { #expect(!result.stdout.contains(try #require(values[name])), "\(name) printed") }
        let shown = try await smokeflow(["init", "--env-file", path, "--show", "API_TOKEN"])
        #expect(shown.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == values["API_TOKEN"])
    }

    @Test func theTimeZoneComesFromEtcTimezoneOrTheLocaltimeLink() throws {
        let root = temporaryDirectory()
        try FileManager.default.createDirectory(atPath: root + "/etc", withIntermediateDirectories: true)
        #expect(TimeZoneDetection.detect(root: root, timedatectl: nil) == "UTC")
        try FileManager.default.createSymbolicLink(atPath: root + "/etc/localtime", withDestinationPath: "/usr/share/zoneinfo/America/New_York")
        #expect(TimeZoneDetection.detect(root: root, timedatectl: nil) == "America/New_York")
        try "Europe/Berlin\n".write(toFile: root + "/etc/timezone", atomically: true, encoding: .utf8)
        #expect(TimeZoneDetection.detect(root: root, timedatectl: nil) == "Europe/Berlin")
        try "../../etc/passwd\n".write(toFile: root + "/etc/timezone", atomically: true, encoding: .utf8)
        #expect(TimeZoneDetection.detect(root: root, timedatectl: nil) == "America/New_York", "not a zone name: the next source")
    }
}
