/// Writes SmokePing's files from the store and tells the daemon; what `POST /generate`,
/// `POST /reload` and every change through the API use.
public protocol SmokePingPublishing: Sendable {
    /// Writes `Targets` and `Probes` (atomically, only when changed).
    func generate(_ snapshot: StoreSnapshot) async throws -> GenerationReport
    /// Signals the running daemon and watches for it to take the new files.
    func reload() async -> ReloadReport
    /// The generated files, for `/status`.
    func files() async -> [GeneratedFile]
    /// Whether the daemon runs (its pidfile names a live process), and its pid.
    func daemon() async -> DaemonState
}

public struct GenerationReport: Sendable, Equatable, Codable {
    /// The files whose content changed and were written.
    public var changed: [String]
    /// The targets and probes written.
    public var targets: Int
    public var probes: Int
    /// How the result was checked (`smokeping --check` when available), and whether it passed.
    public var verified: Bool
    public var message: String

    public init(changed: [String], targets: Int, probes: Int, verified: Bool, message: String) {
        self.changed = changed
        self.targets = targets
        self.probes = probes
        self.verified = verified
        self.message = message
    }
}

public struct ReloadReport: Sendable, Equatable, Codable {
    public var success: Bool
    /// What was done: `SIGHUP to pid 1234`, or why nothing could be.
    public var action: String
    /// Whether the daemon was seen to take the new configuration within the timeout.
    public var verified: Bool
    public var message: String

    public init(success: Bool, action: String, verified: Bool, message: String) {
        self.success = success
        self.action = action
        self.verified = verified
        self.message = message
    }
}

public struct GeneratedFile: Sendable, Equatable, Codable {
    public var path: String
    public var exists: Bool
    /// Seconds since it was last written, nil when missing.
    public var ageSeconds: Double?

    enum CodingKeys: String, CodingKey {
        case path, exists
        case ageSeconds = "age_seconds"
    }

    public init(path: String, exists: Bool, ageSeconds: Double?) {
        self.path = path
        self.exists = exists
        self.ageSeconds = ageSeconds
    }
}

public struct DaemonState: Sendable, Equatable, Codable {
    public var running: Bool
    public var pid: Int?
    public var pidfile: String?

    public init(running: Bool, pid: Int?, pidfile: String?) {
        self.running = running
        self.pid = pid
        self.pidfile = pidfile
    }
}
