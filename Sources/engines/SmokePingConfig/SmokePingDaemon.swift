import Foundation
#if canImport(Glibc)
import Glibc
#endif
import NIOPosix

/// A running SmokePing, found by its pidfile (`piddir/smokeping.pid`): reload it with SIGHUP,
/// as `smokeping --reload` does, and check that it took the new configuration by reading what
/// it logged after the signal (`--logfile`), or by waiting for the RRD files of new targets
/// (SmokePing creates them while it loads the configuration). Never through a container socket.
public struct SmokePingDaemon: Sendable {
    public var pidFile: String
    /// The file SmokePing logs to (`smokeping --logfile=FILE`); nil: no log check.
    public var logFile: String?

    public init(pidFile: String, logFile: String? = nil) {
        self.pidFile = pidFile
        self.logFile = logFile
    }

    public struct ReloadResult: Sendable, Equatable, CustomStringConvertible {
        /// The process the pidfile named, when it could be read.
        public var pid: Int32?
        /// Whether SIGHUP was sent.
        public var signalled: Bool
        /// Whether the reload was seen to succeed (log line or files) within the timeout.
        public var verified: Bool
        public var message: String
        public var description: String { message }
        /// What was done, in a few words: `SIGHUP to pid 1234`, or `nothing`.
        public var action: String { signalled ? "SIGHUP to pid \(pid ?? 0)" : "nothing" }
    }

    /// Sends SIGHUP and waits up to `timeout` for the proof: with `logFile`, SmokePing's own
    /// lines after the signal ("Reloading configuration." then a restart line; a "failed" line
    /// is a refusal); with `expectedFiles`, each of them existing. No proof asked for: verified
    /// means only that the signal was delivered.
    public func reload(expectedFiles: [String] = [], timeout: Duration = .seconds(60)) async -> ReloadResult {
        let pid: Int32
        switch await readPid() {
        case .failure(let problem): return ReloadResult(pid: nil, signalled: false, verified: false, message: problem.message)
        case .success(let value): pid = value
        }
        guard kill(pid, 0) == 0 else {
            let reason = errno == ESRCH ? "is not running" : "cannot be signalled (\(String(cString: strerror(errno))))"
            return ReloadResult(pid: pid, signalled: false, verified: false, message: "smokeping (pid \(pid) from \(pidFile)) \(reason)")
        }
        // A stale pidfile whose pid now names another process must not get the signal.
        if let command = await commandLine(of: pid), !command.contains("smokeping") {
            return ReloadResult(pid: pid, signalled: false, verified: false, message: "pid \(pid) from \(pidFile) is not smokeping (a stale pidfile?)")
        }
        let logOffset = await logSize()
        guard kill(pid, SIGHUP) == 0 else {
            return ReloadResult(pid: pid, signalled: false, verified: false, message: "SIGHUP to pid \(pid) failed: \(String(cString: strerror(errno)))")
        }
        guard logFile != nil || !expectedFiles.isEmpty else {
            return ReloadResult(pid: pid, signalled: true, verified: true, message: "SIGHUP sent to smokeping (pid \(pid))")
        }
        let deadline = ContinuousClock.now + timeout
        var logVerdict: LogVerdict = logFile == nil ? .reloaded : .waiting
        while true {
            if logVerdict == .waiting { logVerdict = await readLog(from: logOffset) }
            if case .failed(let line) = logVerdict {
                return ReloadResult(pid: pid, signalled: true, verified: false, message: "smokeping (pid \(pid)) refused the new configuration: \(line)")
            }
            let missing = await missingFiles(expectedFiles)
            if logVerdict == .reloaded, missing.isEmpty {
                return ReloadResult(pid: pid, signalled: true, verified: true, message: "smokeping (pid \(pid)) reloaded its configuration")
            }
            if ContinuousClock.now >= deadline {
                let waitingFor = logVerdict == .waiting ? "its reload lines in \(logFile ?? "")" : "\(missing.joined(separator: ", "))"
                return ReloadResult(pid: pid, signalled: true, verified: false, message: "SIGHUP sent to smokeping (pid \(pid)), but no \(waitingFor) within \(timeout)")
            }
            if kill(pid, 0) != 0, errno == ESRCH {
                return ReloadResult(pid: pid, signalled: true, verified: false, message: "smokeping (pid \(pid)) exited after SIGHUP")
            }
            try? await Task.sleep(for: .milliseconds(200))
        }
    }

    public struct Status: Sendable, Equatable {
        /// The process the pidfile names, when it could be read.
        public var pid: Int32?
        /// Whether that process exists (`kill(pid, 0)`; EPERM counts as running).
        public var running: Bool
    }

    /// Whether the daemon runs, without signalling it (for a status page).
    public func status() async -> Status {
        guard case .success(let pid) = await readPid() else { return Status(pid: nil, running: false) }
        return Status(pid: pid, running: kill(pid, 0) == 0 || errno == EPERM)
    }

    struct Problem: Error { var message: String }

    /// `/proc/PID/cmdline` with its NULs as spaces; nil where there is no /proc to read.
    func commandLine(of pid: Int32) async -> String? {
        let path = "/proc/\(pid)/cmdline"
        let data = try? await NIOThreadPool.singleton.runIfActive { FileManager.default.contents(atPath: path) }
        guard let bytes = data ?? nil else { return nil }
        return String(decoding: bytes.map { $0 == 0 ? UInt8(ascii: " ") : $0 }, as: UTF8.self)
    }

    func readPid() async -> Result<Int32, Problem> {
        let path = pidFile
        let text = try? await NIOThreadPool.singleton.runIfActive { FileManager.default.contents(atPath: path) }
        guard let data = text ?? nil else { return .failure(Problem(message: "cannot read the pidfile \(path): is smokeping running?")) }
        let digits = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let pid = Int32(digits), pid > 0 else { return .failure(Problem(message: "\(path) holds no process id")) }
        return .success(pid)
    }

    enum LogVerdict: Equatable { case waiting, reloaded, failed(String) }

    /// SmokePing's lines (Smokeping.pm): `Reloading configuration.`, then on success
    /// `Child processes terminated, restarting …` (several probes) or `… multiprocess mode …`
    /// (one probe, at the restart); on failure `Reloading configuration from FILE failed: …`.
    static func verdict(ofLines text: String) -> LogVerdict {
        var reloading = false
        for line in text.split(separator: "\n") {
            if line.contains("Reloading configuration from"), line.contains("failed") { return .failed(String(line)) }
            if line.contains("Reloading configuration.") { reloading = true; continue }
            if reloading, line.contains("restarting with new configuration") || line.contains("multiprocess mode") { return .reloaded }
        }
        return .waiting
    }

    func logSize() async -> UInt64 {
        guard let logFile else { return 0 }
        let size = try? await NIOThreadPool.singleton.runIfActive {
            (try? FileManager.default.attributesOfItem(atPath: logFile)[.size] as? UInt64) ?? 0
        }
        return size ?? 0
    }

    func readLog(from offset: UInt64) async -> LogVerdict {
        guard let logFile else { return .reloaded }
        let text = try? await NIOThreadPool.singleton.runIfActive { () -> String in
            guard let handle = FileHandle(forReadingAtPath: logFile) else { return "" }
            defer { try? handle.close() }
            try handle.seek(toOffset: offset)
            return String(decoding: try handle.readToEnd() ?? Data(), as: UTF8.self)
        }
        return Self.verdict(ofLines: text ?? "")
    }

    func missingFiles(_ paths: [String]) async -> [String] {
        guard !paths.isEmpty else { return [] }
        let missing = try? await NIOThreadPool.singleton.runIfActive { paths.filter { !FileManager.default.fileExists(atPath: $0) } }
        return missing ?? paths
    }
}
