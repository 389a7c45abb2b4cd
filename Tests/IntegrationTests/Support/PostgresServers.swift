import SmokeflowTesting
import Foundation
import Postgres
import Testing

/// The PostgreSQL 15 that `scripts/test` starts (SMOKEFLOW_PG_URL), and servers a test starts
/// and stops itself (SMOKEFLOW_PG_BIN). Each test gets a database of its own.
enum PostgresServers {
    static let url = Servers.environment["SMOKEFLOW_PG_URL"]
    static let bin = Servers.environment["SMOKEFLOW_PG_BIN"] ?? "/usr/lib/postgresql/15/bin"
    static var runIntegration: Bool { Servers.required || url != nil }

    /// A new, empty database on the shared server; returns its connection string.
    static func freshDatabase() async throws -> String {
        let admin = try #require(url, "SMOKEFLOW_PG_URL is not set (scripts/test starts PostgreSQL)")
        let name = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let connection = try await PostgresConnection.connect(admin)
        // A generated identifier of hex digits: CREATE DATABASE takes no parameters.
        try await connection.query(PostgresQuery(stringLiteral: "CREATE DATABASE \(name)"))
        await connection.close()
        return try database(name, in: admin)
    }

    /// The same server and credentials with another database name.
    static func database(_ name: String, in url: String) throws -> String {
        var components = try #require(URLComponents(string: url), "\(url) is not a URL")
        components.path = "/" + name
        return try #require(components.string)
    }
}

/// A PostgreSQL server of a test's own (trust authentication, loopback, temporary folder),
/// which the test can stop and start again: the outage tests need a real server going away.
final class OwnPostgres: @unchecked Sendable {
    let directory = temporaryDirectory()
    let port = Servers.freePort()
    var url: String { "postgresql://postgres@127.0.0.1:\(port)/postgres" }

    init() async throws {
        if getuid() == 0 { try await shellOnOwnThread("chown postgres: \(directory)", asPostgres: false) }
        try await shellOnOwnThread("\(PostgresServers.bin)/initdb -D \(directory)/data -U postgres -A trust > \(directory)/initdb.log 2>&1")
    }

    func start() async throws {
        try await shellOnOwnThread(
            "\(PostgresServers.bin)/pg_ctl -D \(directory)/data -l \(directory)/server.log -w "
                + "-o '-k \(directory) -p \(port) -c listen_addresses=127.0.0.1 -c fsync=off' start > /dev/null"
        )
    }

    func stop() async throws {
        try await shellOnOwnThread("\(PostgresServers.bin)/pg_ctl -D \(directory)/data -m fast -w stop > /dev/null")
    }

    /// `shell` on a thread of its own: initdb and `pg_ctl -w` take seconds.
    func shellOnOwnThread(_ command: String, asPostgres: Bool = true) async throws {
        try await onOwnThread { [self] in try shell(command, asPostgres: asPostgres) }
    }

    /// posix_spawn + waitpid: Foundation's `Process.waitUntilExit` never returns once a
    /// daemon (the postmaster) has inherited the descriptor it watches.
    func shell(_ command: String, asPostgres: Bool = true) throws {
        let arguments = asPostgres && getuid() == 0
            ? ["/bin/su", "postgres", "-s", "/bin/sh", "-c", command]
            : ["/bin/sh", "-c", command]
        var pid: pid_t = 0
        let argv = arguments.map { strdup($0) } + [nil]
        defer { for argument in argv { free(argument) } }
        guard posix_spawn(&pid, arguments[0], nil, nil, argv, environ) == 0 else { throw ShellFailed(command: command) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}
        guard status == 0 else { throw ShellFailed(command: command) }
    }

    struct ShellFailed: Error { let command: String }

    deinit {
        try? shell("\(PostgresServers.bin)/pg_ctl -D \(directory)/data -m immediate stop > /dev/null 2>&1")
        try? FileManager.default.removeItem(atPath: directory)
    }
}
