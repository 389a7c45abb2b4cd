import TargetStore
public import ProbeEngine
import Postgres
public import PipelineConfig
public import PipelineRuntime

/// `type: probe` — measures targets natively every `step`: ICMP echo rounds as fping runs them
/// for SmokePing (`kind: icmp`, `icmp6`), or DNS resolution times (`kind: dns`).
public struct ProbeSourceConfiguration: SourceConfiguration {
    public static let typeName = "probe"

    public var kind: ProbeKind
    public var pings: Int
    public var step: Duration
    /// Between two pings to one target (fping `-p`).
    public var interval: Duration
    public var timeout: Duration
    /// Packets per second over all targets (fping `-i` is 1000 / rate milliseconds).
    public var rate: Double
    public var packetSize: Int
    /// Start the targets' rounds spread evenly over the step (else all at its start).
    public var spread: Bool
    public var port: Int
    public var targets: [ProbeTarget]
    public var targetsFile: String?
    /// `targets_from: postgres`: the configuration store's targets for this probe.
    public var targetsFromDatabase: Bool
    public var databaseURL: Secret?
    public var probeName: String
    /// `targets_from: postgres` only: just the targets of this site (an edge site's agent).
    public var site: String?
    public var reader: TargetListReader
    var preloaded: (stamp: [Int64], list: [ProbeTarget])?

    public init(options: inout OptionsReader) {
        kind = options.oneOf("kind", default: .icmp)
        pings = options.int("pings", default: 20, range: 1...1000)
        step = options.duration("step", default: .seconds(300))
        interval = options.duration("interval", default: .seconds(1))
        timeout = options.duration("timeout", default: kind == .dns ? .seconds(2) : .seconds(1))
        rate = options.double("rate") ?? 1000
        packetSize = options.int("packet_size", default: 56, range: 4...65000)
        spread = options.bool("spread", default: true)
        port = options.int("port", default: 53, range: 1...65535)
        let lookup = options.string("lookup")
        let record = options.string("record")
        if kind != .dns {
            for key in ["lookup", "record", "port"] where options.has(key) {
                options.fail(options.node(key)?.location ?? options.location, "option '\(key)' is for kind: dns")
            }
        }
        probeName = options.string("probe_name") ?? DatabaseTargets.defaultProbeName(kind)
        reader = TargetListReader(kind: kind, lookup: lookup, record: record, probeName: probeName)
        targets = []
        targetsFile = options.string("targets_file")
        databaseURL = options.secret("database_url")
        targetsFromDatabase = false
        if let source = options.string("targets_from") {
            if source == "postgres" {
                targetsFromDatabase = true
            } else {
                options.fail(options.node("targets_from")?.location ?? options.location, "option 'targets_from' must be postgres")
            }
        }
        site = options.string("site").flatMap { $0.isEmpty ? nil : $0 }
        if site != nil, !targetsFromDatabase {
            options.fail(options.node("site")?.location ?? options.location, "option 'site' is for targets_from: postgres")
        }
        if let node = options.node("targets") {
            var errors: [ConfigError] = []
            targets = reader.read(node, errors: &errors)
            for error in errors { options.fail(error.location, "'\(options.componentID)': \(error.message)") }
        }
        if let targetsFile {
            do {
                preloaded = try TargetsFile(path: targetsFile, reader: reader).loadWithStamp()
            } catch {
                options.fail(options.node("targets_file")?.location ?? options.location, "\(error)")
            }
            if options.has("targets") {
                options.fail(options.location, "'\(options.componentID)' takes 'targets' or 'targets_file', not both")
            }
        } else if !options.has("targets"), !targetsFromDatabase {
            options.fail(options.location, "'\(options.componentID)' needs option 'targets', 'targets_file' or 'targets_from: postgres'")
        }
        if rate <= 0, let node = options.node("rate") { options.fail(node.location, "option 'rate' must be greater than 0") }
        if timeout <= .zero, let node = options.node("timeout") { options.fail(node.location, "option 'timeout' must be greater than 0") }
        if interval * (pings - 1) + timeout >= step {
            options.fail(options.node("step")?.location ?? options.location,
                         "a round ((pings - 1) x interval + timeout) must be shorter than the step")
        }
    }

    public var provider: any ProbeTargetProvider {
        if let targetsFile {
            if let preloaded { return TargetsFile(path: targetsFile, reader: reader, preloaded: preloaded) }
            return TargetsFile(path: targetsFile, reader: reader)
        }
        return StaticTargets(targets)
    }

    public func build(_ context: BuildContext) throws -> ProbeSource {
        if targetsFromDatabase {
            // The option, else the pipeline's database_url, else DATABASE_URL / PG* variables.
            let connectionString = ConnectionString.resolve(explicit: databaseURL?.value, pipeline: context.databaseURL?.value)
            return ProbeSource(
                configuration: self, provider: DatabaseTargets(connectionString: connectionString, probeName: probeName, site: site, reader: reader)
            )
        }
        return ProbeSource(configuration: self, provider: provider)
    }
}
