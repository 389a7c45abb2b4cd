import Foundation
import SmokeflowTesting
import Testing

/// `smokeflow db …` and `smokeflow targets …` against the real PostgreSQL.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct CommandLineDatabaseTests: CommandLineRunning {
    @Test(.enabled(if: PostgresServers.runIntegration))
    func databaseCommandsMigrateImportAndExport() async throws {
        let url = try await PostgresServers.freshDatabase()
        let environment = ["DATABASE_URL": url]
        let status = try await smokeflow(["db", "status"], environment: environment)
        #expect(status.status == 0)
        #expect(status.stdout.split(separator: "\n").allSatisfy { $0.contains("\tpending\t") })
        #expect(try await smokeflow(["db", "migrate"], environment: environment).stdout.hasSuffix("now at version 3\n"))
        #expect(try await smokeflow(["db", "migrate"], environment: environment).stdout == "up to date at version 3\n")

        let directory = temporaryDirectory()
        try "name,host,category\nr1,192.0.2.1,default\nr2,192.0.2.999,default\nr3,192.0.2.3,nosuch\n"
            .write(toFile: directory + "/bad.csv", atomically: true, encoding: .utf8)
        let bad = try await smokeflow(["targets", "import", directory + "/bad.csv"], environment: environment)
        #expect(bad.status == 1)
        #expect(bad.stderr.split(separator: "\n") == [
            "\(directory)/bad.csv:3:1: target 'r2': host '192.0.2.999' is neither an IP address nor a valid host name",
            "\(directory)/bad.csv:4:1: target 'r3': unknown category 'nosuch'",
        ])
        #expect(try await smokeflow(["targets", "export", "--format", "csv"], environment: environment).stdout
            == "name,host,title,active,category,probe,site,cachegroup\n")

        try "targets:\n  - { name: r1, host: 192.0.2.1, category: default, site: \"ams, \\\"1\\\"\" }\n"
            .write(toFile: directory + "/good.yaml", atomically: true, encoding: .utf8)
        let good = try await smokeflow(["targets", "import", directory + "/good.yaml"], environment: environment)
        #expect(good.status == 0, "\(good.stderr)")
        let exported = try await smokeflow(["targets", "export", "--format", "csv"], environment: environment)
        #expect(exported.stdout == "name,host,title,active,category,probe,site,cachegroup\nr1,192.0.2.1,,true,default,FPing,\"ams, \"\"1\"\"\",\n")
    }

    @Test func databaseErrorsAreOneLineWithoutThePassword() async throws {
        let secret = "pw-" + UUID().uuidString
        let result = try await smokeflow(["db", "status", "--database-url", "postgresql://u:\(secret)@127.0.0.1:1/x"])
        #expect(result.status == 1)
        #expect(result.stderr.split(separator: "\n").count == 1)
        #expect(result.stderr.hasPrefix("smokeflow: postgres: connection to server at \"127.0.0.1\", port 1 failed"))
        #expect(!result.stderr.contains(secret))
    }
}
