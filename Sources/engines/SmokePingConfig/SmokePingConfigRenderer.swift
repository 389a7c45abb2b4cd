import EventModel
public import TargetStore

/// What the store cannot say about the generated files: the top of the menu and the default probe.
public struct SmokePingRenderOptions: Sendable, Equatable {
    public var menu: String
    public var title: String
    public var remark: String?
    /// The probe of targets that name none; nil: the probe marked default, else `FPing`.
    public var defaultProbe: String?
    /// The section of active targets without a category (the store's seeded `default`).
    public var uncategorizedSection: String

    public init(
        menu: String = "Top", title: String = "Network Latency Grapher", remark: String? = nil, defaultProbe: String? = nil,
        uncategorizedSection: String = "default"
    ) {
        self.menu = menu
        self.title = title
        self.remark = remark
        self.defaultProbe = defaultProbe
        self.uncategorizedSection = uncategorizedSection
    }
}

/// The text of SmokePing's `Targets` and `Probes` files.
public struct SmokePingConfigFiles: Sendable, Equatable {
    public var targets: String
    public var probes: String

    public init(targets: String, probes: String) {
        self.targets = targets
        self.probes = probes
    }

    public static let targetsFileName = "Targets"
    public static let probesFileName = "Probes"
}

/// Every reason the store cannot be written as SmokePing configuration, each naming the
/// target, category or probe and the field (`target 'web1': probe 'Foo' is not a probe`).
public struct SmokePingRenderError: Error, Sendable, Equatable, CustomStringConvertible {
    public var problems: [String]
    public var description: String { problems.joined(separator: "\n") }
}

/// Store → `Targets` and `Probes`, a pure function. Active targets only, each in its
/// category's section (`a/b` → `+ a`, `++ b`, the target one level deeper; no category →
/// `uncategorizedSection`); children sorted by section name, probes by module and name, so
/// the same store always gives the same bytes. Empty categories give no section. A target's
/// `alerts` is not written: smokeflow's `alert` transform checks them, and an `alerts =` line
/// would make SmokePing refuse the file unless its own Alerts section defined the same rules.
public struct SmokePingConfigRenderer: Sendable {
    public var options: SmokePingRenderOptions

    public init(options: SmokePingRenderOptions = SmokePingRenderOptions()) { self.options = options }

    public func render(
        targets: [TargetRecord], categories: [CategoryRecord], probes: [ProbeRecord]
    ) throws(SmokePingRenderError) -> SmokePingConfigFiles {
        var problems: [String] = []
        let probesByName = Dictionary(probes.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let defaultProbe = options.defaultProbe ?? probes.first(where: \.isDefault)?.name ?? "FPing"
        if probesByName[defaultProbe] == nil { problems.append("default probe '\(defaultProbe)' is not a probe") }
        let probeText = renderProbes(probes, problems: &problems)
        var tree = SectionTree()
        let categoriesByName = Dictionary(categories.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        for target in targets where target.isActive {
            checkTarget(target, probes: probesByName, defaultProbe: defaultProbe, problems: &problems)
            tree.add(target, category: target.category ?? options.uncategorizedSection, problems: &problems)
        }
        var text = "*** Targets ***\n\nprobe = \(defaultProbe)\n\nmenu = \(options.menu)\ntitle = \(options.title)\n"
        if let remark = options.remark { text += "remark = \(remark)\n" }
        for (label, value) in [("menu", options.menu), ("title", options.title), ("remark", options.remark ?? "")] {
            if let problem = ConfigValue.problem(value) { problems.append("options: \(label) \(problem)") }
        }
        tree.render(into: &text, categories: categoriesByName, defaultProbe: defaultProbe, problems: &problems)
        guard problems.isEmpty else { throw SmokePingRenderError(problems: problems) }
        return SmokePingConfigFiles(targets: text, probes: probeText)
    }

    func checkTarget(_ target: TargetRecord, probes: [String: ProbeRecord], defaultProbe: String, problems: inout [String]) {
        let subject = "target '\(target.name)'"
        if !SmokePingName.isValid(target.name) { problems.append("\(subject): name must match [-_0-9a-zA-Z]+ (SmokePing's rule)") }
        if target.host.isEmpty || target.host.contains(where: \.isWhitespace) {
            problems.append("\(subject): host must be one address or host name")
        }
        for (field, value) in [("title", target.title), ("host", target.host), ("lookup", target.lookup ?? "")] {
            if let problem = ConfigValue.problem(value) { problems.append("\(subject): \(field) \(problem)") }
        }
        let probeName = target.probe ?? defaultProbe
        guard let probe = probes[probeName] else {
            if target.probe == nil { return }  // the default probe's absence is reported once
            problems.append("\(subject): probe '\(probeName)' is not a probe (known: \(probes.keys.sorted().joined(separator: ", ")))")
            return
        }
        if target.lookup != nil, !SmokePingModules.takesLookup(probe.moduleName) {
            problems.append("\(subject): lookup is set, but its probe '\(probeName)' (module \(probe.moduleName)) takes none")
        }
        if let record = target.record, !SmokePingModules.takesRecordType(probe.moduleName) {
            problems.append("\(subject): record \(record) is set, but its probe '\(probeName)' (module \(probe.moduleName)) takes none (AnotherDNS does)")
        }
    }

    /// `+ Module` per module; a module with instances (records named other than it) becomes
    /// a template and each record a `++ name` under it, as SmokePing's probe instances are.
    func renderProbes(_ probes: [ProbeRecord], problems: inout [String]) -> String {
        var text = "*** Probes ***\n"
        let byModule = Dictionary(grouping: probes, by: \.moduleName)
        for module in byModule.keys.sorted() {
            let records = byModule[module, default: []].sorted { $0.name < $1.name }
            for record in records { checkProbe(record, problems: &problems) }
            if records.count == 1, let only = records.first, only.name == module {
                text += "\n+ \(module)\n" + settings(of: only)
                continue
            }
            text += "\n+ \(module)\n"
            for record in records { text += "\n++ \(record.name)\n" + settings(of: record) }
        }
        return text
    }

    func settings(of probe: ProbeRecord) -> String {
        var text = ""
        if let binary = probe.binaryPath { text += "binary = \(binary)\n" }
        text += "step = \(probe.stepSeconds)\npings = \(probe.pings)\n"
        if SmokePingModules.takesForks(probe.moduleName) { text += "forks = \(probe.forks)\n" }
        return text
    }

    func checkProbe(_ probe: ProbeRecord, problems: inout [String]) {
        let subject = "probe '\(probe.name)'"
        let module = probe.moduleName
        if !SmokePingName.isValid(probe.name) { problems.append("\(subject): name must match [-_0-9a-zA-Z]+ (SmokePing's rule)") }
        guard SmokePingModules.all.contains(module) else {
            problems.append(probe.module == nil
                ? "\(subject): not a SmokePing probe module; give it a module (FPing, FPing6, DNS, …) to make it an instance of one"
                : "\(subject): module '\(module)' is not a SmokePing probe module")
            return
        }
        if probe.module != nil, probe.name != module, SmokePingModules.all.contains(probe.name) {
            problems.append("\(subject): an instance of \(module) cannot take the name of the module \(probe.name)")
        }
        if probe.pings < 3 { problems.append("\(subject): pings must be at least 3 (SmokePing's rule), not \(probe.pings)") }
        if probe.stepSeconds < 1 { problems.append("\(subject): step must be at least 1 s") }
        if SmokePingModules.takesForks(module), probe.forks < 1 { problems.append("\(subject): forks must be at least 1") }
        if SmokePingModules.needsBinary(module), (probe.binaryPath ?? "").isEmpty {
            problems.append("\(subject): module \(module) needs binary (the path of its program)")
        }
        if let binary = probe.binaryPath, let problem = ConfigValue.problem(binary) { problems.append("\(subject): binary \(problem)") }
    }
}

/// What a value must not hold to survive Config::Grammar: a line break, a `#` (the rest of
/// the line would be a comment), a trailing `\` (a continued line), spaces at either end (trimmed).
enum ConfigValue {
    static func problem(_ value: String) -> String? {
        if value.contains(where: { $0.isNewline || $0.asciiValue.map { $0 < 0x20 } == true }) { return "holds a line break or control character" }
        if value.contains("#") { return "holds '#', which SmokePing reads as the start of a comment" }
        if value.hasSuffix("\\") { return "ends in '\\', which SmokePing reads as a continued line" }
        if value.first?.isWhitespace == true || value.last?.isWhitespace == true { return "starts or ends with a space, which SmokePing drops" }
        return nil
    }
}
