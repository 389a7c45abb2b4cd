import Foundation
import NIOPosix
import SmokePingConfig
import TargetStore

/// `SmokePingPublishing` with the real pieces: the renderer, the writer (atomic, only changed
/// files), `smokeping --check` on the complete configuration that includes them, and SIGHUP to
/// the daemon of the pidfile, verified by its log.
public struct SmokePingFilesPublisher: SmokePingPublishing {
    let writer: SmokePingConfigWriter
    /// SmokePing's complete configuration (`@include`s the generated files), for the check.
    let configFile: String?
    let daemon: SmokePingDaemon?
    let check: SmokePingCheck
    let reloadTimeout: Duration

    public init(
        directory: String, configFile: String?, pidfile: String?, logFile: String?,
        smokeping: String = "/usr/sbin/smokeping", reloadTimeout: Duration = .seconds(30)
    ) {
        writer = SmokePingConfigWriter(directory: directory)
        self.configFile = configFile
        daemon = pidfile.map { SmokePingDaemon(pidFile: $0, logFile: logFile) }
        check = SmokePingCheck(binary: smokeping)
        self.reloadTimeout = reloadTimeout
    }

    public func generate(_ snapshot: StoreSnapshot) async throws -> GenerationReport {
        let files = try SmokePingConfigRenderer(options: SmokePingRenderOptions()).render(
            targets: snapshot.targets.sorted { $0.id < $1.id }.map(\.record),
            categories: snapshot.categories.map(\.record), probes: snapshot.probes.map(\.record)
        )
        let previous = try await currentFiles()
        let result = try await writer.write(files)
        let active = snapshot.targets.count(where: \.record.isActive)
        guard let configFile else {
            return GenerationReport(
                changed: result.changed, targets: active, probes: snapshot.probes.count, verified: false,
                message: "not checked: no --smokeping-config names the configuration that includes these files"
            )
        }
        let verdict = await check.check(config: configFile)
        if !verdict.passed, result.anyChanged, let previous {
            // SmokePing would refuse these files at its next start too: the files that passed
            // before go back, and nothing is reloaded.
            _ = try await writer.write(previous)
            throw CheckFailed(message: "smokeping --check refused the new files (the previous ones are back): \(verdict.message)")
        }
        return GenerationReport(
            changed: result.changed, targets: active, probes: snapshot.probes.count, verified: verdict.passed,
            message: verdict.passed ? "smokeping --check passed" : "smokeping --check failed: \(verdict.message)"
        )
    }

    struct CheckFailed: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }

    /// The files as they are now, when both exist (what a failed check puts back).
    func currentFiles() async throws -> SmokePingConfigFiles? {
        let paths = (writer.targetsPath, writer.probesPath)
        return try await NIOThreadPool.singleton.runIfActive {
            guard let targets = FileManager.default.contents(atPath: paths.0), let probes = FileManager.default.contents(atPath: paths.1) else {
                return nil
            }
            return SmokePingConfigFiles(targets: String(decoding: targets, as: UTF8.self), probes: String(decoding: probes, as: UTF8.self))
        }
    }

    public func reload() async -> ReloadReport {
        guard let daemon else {
            return ReloadReport(success: false, action: "nothing", verified: false, message: "no --smokeping-pidfile configured")
        }
        let result = await daemon.reload(timeout: reloadTimeout)
        return ReloadReport(success: result.signalled, action: result.action, verified: result.verified, message: result.message)
    }

    public func files() async -> [GeneratedFile] {
        let paths = [writer.targetsPath, writer.probesPath]
        let stamps = (try? await NIOThreadPool.singleton.runIfActive {
            paths.map { (try? FileManager.default.attributesOfItem(atPath: $0))?[.modificationDate] as? Date }
        }) ?? paths.map { _ in nil }
        let now = Date()
        return zip(paths, stamps).map { path, modified in
            GeneratedFile(path: path, exists: modified != nil, ageSeconds: modified.map { now.timeIntervalSince($0) })
        }
    }

    public func daemon() async -> DaemonState {
        guard let daemon else { return DaemonState(running: false, pid: nil, pidfile: nil) }
        let status = await daemon.status()
        return DaemonState(running: status.running, pid: status.pid.map(Int.init), pidfile: daemon.pidFile)
    }
}
