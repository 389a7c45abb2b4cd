/// What a SmokePing configuration says of each RRD file: the target at a section path
/// (`network/myhost1/normal`, the file's path under the data directory without `.rrd`), with
/// its probe, the probe's module and `probe_type`, title and host. For the `rrd` source.
public struct SmokePingTargetIndex: Sendable {
    public struct Entry: Sendable, Equatable {
        /// SmokePing's probe name (`FPing`, `FPingSlow`, `DNS`).
        public var probe: String
        public var module: String
        /// docs/schema.md's `probe_type`: `fping`, `fping6`, `dns`, …
        public var probeType: String
        public var title: String?
        public var host: String
    }

    public var entries: [String: Entry]
    /// The configuration's `datadir`.
    public var dataDirectory: String?

    public init(_ config: SmokePingConfig) {
        let modules = Dictionary(config.probes.map { ($0.record.name, $0.record.moduleName) }, uniquingKeysWith: { first, _ in first })
        var entries: [String: Entry] = [:]
        for target in config.targets {
            // A lone Targets file has no Probes section: the probe's name is then its module.
            let module = modules[target.probe] ?? target.probe
            entries[target.sectionPath] = Entry(
                probe: target.probe, module: module, probeType: SmokePingModules.probeType(ofModule: module), title: target.title,
                host: target.host
            )
        }
        self.entries = entries
        dataDirectory = config.general["datadir"]
    }

    /// The entry of a file's series path; a slave's file (`target~slave`) is its target's.
    public func entry(forSeriesPath path: String) -> Entry? {
        guard let tilde = path.lastIndex(of: "~"), !path[tilde...].contains("/") else { return entries[path] }
        return entries[String(path[..<tilde])]
    }
}
