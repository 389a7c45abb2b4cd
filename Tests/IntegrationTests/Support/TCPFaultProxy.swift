import Foundation
import SmokeflowTesting
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// `scripts/lib/tcp-fault-proxy.py` in front of a TCP server on loopback: forwards, or
/// black-holes (reads and drops every byte, keeps every socket open: no FIN, no RST), or resets
/// every connection. The fault of a network partition or a stuck middlebox that TCP does not
/// report, around a real server.
final class TCPFaultProxy: @unchecked Sendable {
    let process = Process()
    let port: Int
    let modeFile: String

    /// `listenHost`: where it listens (loopback; or the host side of a test namespace's veth, so
    /// a server on loopback is reachable from inside the namespace).
    init(upstreamHost: String, upstreamPort: Int, listenHost: String = "127.0.0.1") throws {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../../scripts/lib/tcp-fault-proxy.py").standardized.path
        let directory = temporaryDirectory()
        let portFile = directory + "/port"
        modeFile = directory + "/mode"
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script, upstreamHost, String(upstreamPort), "--listen-host", listenHost, "--port-file", portFile, "--mode-file", modeFile]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(30)
        var port: Int?
        while port == nil && Date() < deadline && process.isRunning {
            port = (try? String(contentsOfFile: portFile, encoding: .utf8)).flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            if port == nil { usleep(20_000) }
        }
        guard let port else {
            process.terminate()
            throw Failed(description: "tcp-fault-proxy.py did not start")
        }
        self.port = port
    }

    struct Failed: Error, CustomStringConvertible { let description: String }

    /// Each switch returns once the proxy says it is in force (at most 10 s).
    func blackhole() { switchMode(SIGUSR1, to: "blackhole") }
    func forward() { switchMode(SIGUSR2, to: "forward") }

    private func switchMode(_ signal: Int32, to mode: String) {
        try? FileManager.default.removeItem(atPath: modeFile)
        kill(process.processIdentifier, signal)
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline, process.isRunning {
            if (try? String(contentsOfFile: modeFile, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) == mode { return }
            usleep(10_000)
        }
    }

    /// Ends the proxy: every socket closes, so a call still waiting on one returns.
    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        for _ in 0..<250 where process.isRunning { usleep(20_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    deinit { stop() }
}

/// Runs `body` in a task of its own and waits for it at most `limit`: the outcome, or nil when
/// it had not finished (the task is left running; whatever it blocks on must be released by
/// the caller, e.g. by stopping a proxy). For calls that hang before a fix, so the test
/// fails instead of waiting with them.
final class FinishedFlag: Sendable { let value = Mutex(false) }

func finishing<T: Sendable>(
    within limit: Duration, _ body: @escaping @Sendable () async throws -> T
) async -> Result<T, any Error>? {
    let finished = FinishedFlag()
    let task = Task {
        defer { finished.value.withLock { $0 = true } }
        return try await body()
    }
    let deadline = ContinuousClock.now + limit
    while ContinuousClock.now < deadline {
        if finished.value.withLock({ $0 }) { return await task.result }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return nil
}
