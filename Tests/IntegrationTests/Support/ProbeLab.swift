import Components
import SmokeflowTesting
import Foundation
import Testing

/// Test hosts in a network namespace of their own (scripts/lib/probe-lab.sh): a userspace echo
/// responder with a set delay and seeded loss, optionally a /16 it answers for as a whole and
/// dnsmasq + unbound with known answers. Needs root; every lab is deleted by `down()`.
final class ProbeLab: @unchecked Sendable {
    let directory = "/tmp/probes-lab-" + UUID().uuidString.prefix(8)
    private(set) var values: [String: String] = [:]

    /// Root and iproute2 are there; with SMOKEFLOW_REQUIRE_SERVERS=1 a missing lab is a failure.
    static var available: Bool { getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip") }
    static var enabled: Bool { available || Servers.required }

    /// `lossSchedule`: loss switched on and off by request count, `"N:F,N:F,…"` (probe-lab.sh).
    init(
        delayMilliseconds: Double = 0, loss: Double = 0, seed: Int = 1, lossSchedule: String? = nil, duplicate: Bool = false, range16: Bool = false,
        dns: Bool = false
    ) async throws {
        var arguments = ["up", directory, "--delay-ms", "\(delayMilliseconds)", "--loss", "\(loss)", "--seed", "\(seed)"]
        if let lossSchedule { arguments += ["--loss-schedule", lossSchedule] }
        if duplicate { arguments.append("--duplicate") }
        if range16 { arguments.append("--range16") }
        if dns { arguments.append("--dns") }
        do {
            let up = arguments
            let output = try await onOwnThread { try Self.script(up) }
            for line in output.split(separator: "\n") {
                let parts = line.split(separator: "=", maxSplits: 1)
                if parts.count == 2 { values[String(parts[0])] = String(parts[1]) }
            }
        } catch {
            down()
            throw error
        }
    }

    var v4: String { value("LAB_V4") }
    var v6: String { value("LAB_V6") }
    var namespace: String { value("LAB_NS") }
    var dns: String { value("LAB_DNS_V4") }
    /// An address in the /16 the responder answers for, e.g. `10.Z.1.2`.
    func range(_ third: Int, _ fourth: Int) -> String { "\(value("LAB_RANGE16")).\(third).\(fourth)" }

    /// What probe-lab.sh printed for `key`; a missing one fails the test (no trap) and gives an
    /// address nothing answers.
    func value(_ key: String) -> String {
        guard let value = values[key] else {
            Issue.record("probe-lab.sh up printed no \(key) (\(values.keys.sorted()))")
            return "missing-\(key).invalid"
        }
        return value
    }

    /// The responder's own counts.
    func stats() throws -> (received: Int, dropped: Int, answered: Int) {
        var counts: [String: Int] = [:]
        for line in try Self.script(["stats", directory]).split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 2 { counts[String(parts[0])] = Int(parts[1]) }
        }
        return (counts["received"] ?? -1, counts["dropped"] ?? -1, counts["answered"] ?? -1)
    }

    func down() { _ = try? Self.script(["down", directory]) }

    static func script(_ arguments: [String]) throws -> String {
        try run("/bin/bash", [packageRoot() + "/scripts/lib/probe-lab.sh"] + arguments)
    }

    struct CommandFailed: Error, CustomStringConvertible {
        let description: String
    }

    /// Runs a command; stdout and stderr together, throwing on a non-zero exit. posix_spawn and
    /// waitpid rather than Foundation's Process, whose wait never returned here once the lab
    /// script had left a daemon running.
    @discardableResult
    static func run(_ executable: String, _ arguments: [String], allowFailure: Bool = false) throws -> String {
        let output = "/tmp/probes-run-" + UUID().uuidString
        defer { unlink(output) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // The lab's daemons outlive the call: they must not keep this process's descriptors
        // (another test's connection or listening socket) open.
        _ = closeFrom?(&actions, 3)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        // Children start with no signal blocked (the test process blocks some, and daemons the
        // lab starts must still stop on SIGTERM).
        var pid: pid_t = 0
        let spawned = CleanSpawn.spawn(&pid, executable, &actions, argv)
        guard spawned == 0 else { throw CommandFailed(description: "\(executable): \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        let exitCode = (status >> 8) & 0xff
        guard allowFailure || status & 0x7f == 0 && exitCode == 0 else {
            throw CommandFailed(description: "\(executable) \(arguments.joined(separator: " ")): \(text)")
        }
        return text
    }

    /// `run` on a thread of its own (it blocks in waitpid), for commands that run beside a test.
    static func runOnThread(_ executable: String, _ arguments: [String], allowFailure: Bool = true) async throws -> String {
        try await onOwnThread { try run(executable, arguments, allowFailure: allowFailure) }
    }

    /// Starts a command with stdout and stderr into `output`; stop it with `finish`.
    static func start(_ executable: String, _ arguments: [String], output: String) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        _ = closeFrom?(&actions, 3)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        // With no signal blocked, as `run` starts them: a daemon must stop on SIGTERM.
        var pid: pid_t = 0
        let spawned = CleanSpawn.spawn(&pid, executable, &actions, argv)
        guard spawned == 0 else { throw CommandFailed(description: "\(executable): \(String(cString: strerror(spawned)))") }
        return pid
    }

    /// SIGTERM, then the exit status (waited for on a thread of its own).
    static func finish(_ pid: pid_t) async -> Int32 {
        kill(pid, SIGTERM)
        return await withCheckedContinuation { continuation in
            Thread {
                var status: Int32 = 0
                while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
                continuation.resume(returning: status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f))
            }.start()
        }
    }
}

/// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34 and later), which Swift's Glibc
/// module does not declare: the child closes every descriptor from the given one on.
nonisolated(unsafe) private let closeFrom: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32)? = {
    guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else { return nil }
    return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
}()
