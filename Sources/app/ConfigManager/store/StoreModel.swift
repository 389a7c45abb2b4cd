import TargetStore

/// The store as values, with the rules applied to each operation: what file mode keeps and
/// saves, applied to a copy so a list with any failure changes nothing.
struct StoreModel: Sendable, Equatable {
    var snapshot: StoreSnapshot

    init(_ snapshot: StoreSnapshot) { self.snapshot = snapshot }

    /// A fresh store: the probes and categories `smokeflow db migrate` seeds.
    static let seeded = StoreModel(StoreSnapshot(
        targets: [],
        categories: [
            StoredCategory(id: 1, record: CategoryRecord(name: "default", displayName: "Default", description: "Targets without a category of their own")),
            StoredCategory(id: 2, record: CategoryRecord(name: "dns", displayName: "DNS resolvers", description: "Resolvers timed by the DNS probe")),
        ],
        probes: [
            StoredProbe(id: 1, record: ProbeRecord(name: "FPing", binaryPath: "/usr/bin/fping", stepSeconds: 300, pings: 20, forks: 5, isDefault: true)),
            StoredProbe(id: 2, record: ProbeRecord(name: "FPing6", binaryPath: "/usr/bin/fping", stepSeconds: 300, pings: 20, forks: 5)),
            StoredProbe(id: 3, record: ProbeRecord(name: "DNS", binaryPath: "/usr/bin/dig", stepSeconds: 300, pings: 5, forks: 5)),
        ]
    ))

    var rules: StoreRules {
        StoreRules(categories: Set(snapshot.categories.map(\.record.name)), probes: snapshot.probes.map(\.record))
    }

    /// Applies all operations or throws the problems of every one that failed.
    mutating func apply(_ operations: [StoreOperation], now: String) throws(StoreRejection) -> [OperationResult] {
        var copy = self
        var results: [OperationResult] = []
        var problems: [StoreRejection.Problem] = []
        for (index, operation) in operations.enumerated() {
            do {
                results.append(try copy.apply(operation, index: index, now: now))
            } catch {
                problems += error.problems
            }
        }
        if !problems.isEmpty { throw StoreRejection(problems) }
        self = copy
        return results
    }

    private mutating func apply(_ operation: StoreOperation, index: Int, now: String) throws(StoreRejection) -> OperationResult {
        switch operation {
        case .createTarget(let fields):
            let record = withDefaultProbe(fields.newRecord)
            try check(record, index: index, replacing: nil)
            let target = StoredTarget(id: nextID(snapshot.targets.map(\.id)), record: record, createdAt: now, updatedAt: now)
            snapshot.targets.append(target)
            return .target(target)
        case .updateTarget(let id, let fields):
            let position = try position(of: id, in: snapshot.targets.map(\.id), index: index, kind: "target")
            var target = snapshot.targets[position]
            target.record = withDefaultProbe(fields.applied(to: target.record))
            try check(target.record, index: index, replacing: id)
            target.updatedAt = now
            snapshot.targets[position] = target
            return .target(target)
        case .toggleTarget(let id):
            let position = try position(of: id, in: snapshot.targets.map(\.id), index: index, kind: "target")
            snapshot.targets[position].record.isActive.toggle()
            snapshot.targets[position].updatedAt = now
            return .target(snapshot.targets[position])
        case .deleteTarget(let id):
            let position = try position(of: id, in: snapshot.targets.map(\.id), index: index, kind: "target")
            snapshot.targets.remove(at: position)
            return .deleted(id: id)
        case .createCategory(let record):
            try check(record, index: index, replacing: nil)
            let category = StoredCategory(id: nextID(snapshot.categories.map(\.id)), record: record)
            snapshot.categories.append(category)
            return .category(category)
        case .updateCategory(let id, let fields):
            let position = try position(of: id, in: snapshot.categories.map(\.id), index: index, kind: "category")
            let old = snapshot.categories[position].record
            let new = fields.applied(to: old)
            try check(new, index: index, replacing: id)
            snapshot.categories[position].record = new
            if old.name != new.name {
                for i in snapshot.targets.indices where snapshot.targets[i].record.category == old.name {
                    snapshot.targets[i].record.category = new.name
                }
            }
            return .category(snapshot.categories[position])
        case .deleteCategory(let id):
            let position = try position(of: id, in: snapshot.categories.map(\.id), index: index, kind: "category")
            let name = snapshot.categories[position].record.name
            let users = snapshot.targets.count { $0.record.category == name }
            if users > 0 { throw StoreRejection(index: index, .conflict, "category '\(name)' is used by \(users) target(s)") }
            snapshot.categories.remove(at: position)
            return .deleted(id: id)
        case .createProbe(let record):
            try check(record, index: index, replacing: nil)
            let probe = StoredProbe(id: nextID(snapshot.probes.map(\.id)), record: record)
            if record.isDefault { clearDefaultProbe() }
            snapshot.probes.append(probe)
            return .probe(probe)
        case .updateProbe(let id, let fields):
            let position = try position(of: id, in: snapshot.probes.map(\.id), index: index, kind: "probe")
            let old = snapshot.probes[position].record
            let new = fields.applied(to: old)
            try check(new, index: index, replacing: id)
            if new.isDefault, !old.isDefault { clearDefaultProbe() }
            snapshot.probes[position].record = new
            if old.name != new.name {
                for i in snapshot.targets.indices where snapshot.targets[i].record.probe == old.name {
                    snapshot.targets[i].record.probe = new.name
                }
            }
            return .probe(snapshot.probes[position])
        case .deleteProbe(let id):
            let position = try position(of: id, in: snapshot.probes.map(\.id), index: index, kind: "probe")
            let name = snapshot.probes[position].record.name
            let users = snapshot.targets.count { $0.record.probe == name }
            if users > 0 { throw StoreRejection(index: index, .conflict, "probe '\(name)' is used by \(users) target(s)") }
            snapshot.probes.remove(at: position)
            return .deleted(id: id)
        case .replaceTargets(let records):
            return .replaced(count: try replaceTargets(records, index: index, now: now))
        case .replaceProbes(let records):
            return .replaced(count: try replaceProbes(records, index: index))
        }
    }

    private mutating func replaceTargets(_ records: [TargetRecord], index: Int, now: String) throws(StoreRejection) -> Int {
        let rules = self.rules
        let defaultProbe = snapshot.defaultProbe?.record.name
        var problems = records.enumerated().flatMap {
            Self.prefixed(rules.problems($0.element, defaultProbe: defaultProbe, index: index), "targets[\($0.offset)]: ")
        }
        problems += duplicateNames(records.map(\.name), index: index, list: "targets")
        if !problems.isEmpty { throw StoreRejection(problems) }
        let existing = Dictionary(snapshot.targets.map { ($0.record.name, $0) }, uniquingKeysWith: { first, _ in first })
        var nextID = self.nextID(snapshot.targets.map(\.id))
        snapshot.targets = records.map { record in
            let record = withDefaultProbe(record)
            if var target = existing[record.name] {
                if target.record != record { target.record = record; target.updatedAt = now }
                return target
            }
            defer { nextID += 1 }
            return StoredTarget(id: nextID, record: record, createdAt: now, updatedAt: now)
        }
        return records.count
    }

    private mutating func replaceProbes(_ records: [ProbeRecord], index: Int) throws(StoreRejection) -> Int {
        var problems = records.enumerated().flatMap { Self.prefixed(StoreRules.problems($0.element, index: index), "probes[\($0.offset)]: ") }
        problems += duplicateNames(records.map(\.name), index: index, list: "probes")
        if records.count(where: \.isDefault) > 1 {
            problems.append(.init(index: index, kind: .invalid, field: "is_default", message: "at most one probe can be the default"))
        }
        let kept = Set(records.map(\.name))
        for probe in snapshot.probes where !kept.contains(probe.record.name) {
            let users = snapshot.targets.count { $0.record.probe == probe.record.name }
            if users > 0 {
                problems.append(.init(index: index, kind: .conflict, message: "probe '\(probe.record.name)' is used by \(users) target(s)"))
            }
        }
        if !problems.isEmpty { throw StoreRejection(problems) }
        let existing = Dictionary(snapshot.probes.map { ($0.record.name, $0.id) }, uniquingKeysWith: { first, _ in first })
        var nextID = self.nextID(snapshot.probes.map(\.id))
        snapshot.probes = records.map { record in
            if let id = existing[record.name] { return StoredProbe(id: id, record: record) }
            defer { nextID += 1 }
            return StoredProbe(id: nextID, record: record)
        }
        return records.count
    }

    /// A target without a probe gets the default one, as in the database.
    private func withDefaultProbe(_ record: TargetRecord) -> TargetRecord {
        var record = record
        if record.probe == nil { record.probe = snapshot.defaultProbe?.record.name }
        return record
    }

    private mutating func check(_ record: TargetRecord, index: Int, replacing id: Int?) throws(StoreRejection) {
        var problems = rules.problems(record, defaultProbe: snapshot.defaultProbe?.record.name, index: index)
        if snapshot.targets.contains(where: { $0.record.name == record.name && $0.id != id }) {
            problems.append(.init(index: index, kind: .conflict, field: "name", message: "a target named '\(record.name)' exists"))
        }
        if !problems.isEmpty { throw StoreRejection(problems) }
    }

    private func check(_ record: CategoryRecord, index: Int, replacing id: Int?) throws(StoreRejection) {
        var problems = StoreRules.problems(record, index: index)
        if snapshot.categories.contains(where: { $0.record.name == record.name && $0.id != id }) {
            problems.append(.init(index: index, kind: .conflict, field: "name", message: "a category named '\(record.name)' exists"))
        }
        if !problems.isEmpty { throw StoreRejection(problems) }
    }

    private func check(_ record: ProbeRecord, index: Int, replacing id: Int?) throws(StoreRejection) {
        var problems = StoreRules.problems(record, index: index)
        if snapshot.probes.contains(where: { $0.record.name == record.name && $0.id != id }) {
            problems.append(.init(index: index, kind: .conflict, field: "name", message: "a probe named '\(record.name)' exists"))
        }
        if !problems.isEmpty { throw StoreRejection(problems) }
    }

    private mutating func clearDefaultProbe() {
        for i in snapshot.probes.indices { snapshot.probes[i].record.isDefault = false }
    }

    private func position(of id: Int, in ids: [Int], index: Int, kind: String) throws(StoreRejection) -> Int {
        guard let position = ids.firstIndex(of: id) else { throw StoreRejection(index: index, .notFound, "no \(kind) with id \(id)") }
        return position
    }

    private func nextID(_ ids: [Int]) -> Int { (ids.max() ?? 0) + 1 }

    private func duplicateNames(_ names: [String], index: Int, list: String) -> [StoreRejection.Problem] {
        var seen: Set<String> = []
        return names.enumerated().compactMap { offset, name in
            seen.insert(name).inserted ? nil
                : .init(index: index, kind: .invalid, field: "name", message: "\(list)[\(offset)]: '\(name)' is listed twice")
        }
    }

    static func prefixed(_ problems: [StoreRejection.Problem], _ prefix: String) -> [StoreRejection.Problem] {
        problems.map { var problem = $0; problem.message = prefix + problem.message; return problem }
    }
}
