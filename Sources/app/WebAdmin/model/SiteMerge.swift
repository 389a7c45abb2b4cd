public import ConfigManager
public import TargetStore

/// What adding a list of sites to a category will do: a target per site the store lacks,
/// nothing for the ones it has. Unlike smoking-pi's merge (§2.6) nothing is switched off: its
/// "conflicting" targets were deactivated from a stale snapshot, so re-selecting an active site
/// turned it off.
public struct SiteMergePlan: Sendable, Equatable {
    public struct Kept: Sendable, Equatable {
        public var site: String
        public var target: StoredTarget
    }

    /// The targets to create, in the list's order.
    public var created: [TargetRecord]
    /// Sites the store already has, with the target that has them.
    public var kept: [Kept]
    /// Entries that are not host names.
    public var invalid: [String]
    /// The writes, for `ConfigStore.apply` (all or nothing): the creates, then the reactivations.
    public var operations: [StoreOperation]
}

public enum SiteMerge {
    /// Plans adding `sites` to `category` with `probe` (nil: the store's default probe).
    ///
    /// A site is already there when a target in any category has it as host (letter case and a
    /// trailing dot ignored), or when a target bears the name this site would get and its host
    /// is the site with `www.` in front or taken off. A name alone is not enough: `example.com`
    /// and `example.org` both make `example`, and the second is still a site of its own (it gets
    /// `example_2`). New names come from `TargetNaming` and are unique against every target and
    /// every other new one; host and title are the domain. With `reactivate`, a kept target that
    /// is inactive is switched back on, as smoking-pi did.
    public static func plan(
        _ sites: [String], into category: String, existing: [StoredTarget], probe: String?, reactivate: Bool = false
    ) -> SiteMergePlan {
        var plan = SiteMergePlan(created: [], kept: [], invalid: [], operations: [])
        var byHost: [String: StoredTarget] = [:]
        var byName: [String: StoredTarget] = [:]
        for target in existing {
            byHost[comparable(target.record.host)] = byHost[comparable(target.record.host)] ?? target
            byName[target.record.name] = byName[target.record.name] ?? target
        }
        var taken = Set(existing.map(\.record.name))
        var planned: Set<String> = []
        var reactivated: Set<Int> = []
        for entry in sites {
            let site = comparable(entry)
            guard !site.isEmpty, TargetValidation.isValidHost(site) else {
                plan.invalid.append(entry)
                continue
            }
            guard planned.insert(site).inserted else { continue }
            let name = TargetNaming.name(for: site)
            if let target = byHost[site] ?? byName[name].flatMap({ isWWWVariant(comparable($0.record.host), of: site) ? $0 : nil }) {
                plan.kept.append(.init(site: site, target: target))
                if reactivate, !target.record.isActive, reactivated.insert(target.id).inserted {
                    var fields = TargetFields()
                    fields.isActive = true
                    plan.operations.append(.updateTarget(id: target.id, fields))
                }
                continue
            }
            let unique = TargetNaming.unique(name, taken: taken)
            taken.insert(unique)
            plan.created.append(TargetRecord(name: unique, host: site, title: site, category: category, probe: probe))
        }
        let creates = plan.created.map { record -> StoreOperation in
            var fields = TargetFields()
            fields.name = record.name
            fields.host = record.host
            fields.title = record.title
            fields.isActive = true
            fields.category = .some(record.category)
            fields.probe = .some(record.probe)
            return .createTarget(fields)
        }
        plan.operations = creates + plan.operations
        return plan
    }

    /// A host as the merge compares it: lower-case, without a trailing dot or spaces.
    static func comparable(_ host: String) -> String {
        var text = host.trimmingASCIISpaces().lowercased()
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }

    static func isWWWVariant(_ host: String, of site: String) -> Bool {
        host == "www." + site || "www." + host == site
    }
}
