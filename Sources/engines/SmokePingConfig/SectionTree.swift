import EventModel
import TargetStore

/// The Targets hierarchy being built: one node per section, keyed by its sanitized name.
struct SectionTree {
    struct Node {
        /// The category this section stands for (`a/b`), as the store spells it.
        var category: String
        var children: [String: Node] = [:]
        var targets: [TargetRecord] = []
    }

    var root = Node(category: "")

    /// SmokePing's section names are `[-_0-9a-zA-Z]+`: any other character becomes `_`.
    static func sectionName(_ part: Substring) -> String {
        String(part.map { SmokePingName.isValid(String($0)) ? $0 : "_" })
    }

    mutating func add(_ target: TargetRecord, category: String, problems: inout [String]) {
        let parts = category.split(separator: "/", omittingEmptySubsequences: false)
        guard !parts.contains(where: \.isEmpty) else {
            problems.append("target '\(target.name)': category '\(category)' has an empty section name")
            return
        }
        Self.insert(target, parts: parts[...], prefix: "", into: &root, problems: &problems)
    }

    static func insert(_ target: TargetRecord, parts: ArraySlice<Substring>, prefix: String, into node: inout Node, problems: inout [String]) {
        guard let part = parts.first else {
            node.targets.append(target)
            return
        }
        let category = prefix.isEmpty ? String(part) : prefix + "/" + part
        let key = sectionName(part)
        var child = node.children[key] ?? Node(category: category)
        if child.category != category {
            problems.append("categories '\(child.category)' and '\(category)' would both be the section '\(key)'")
            return
        }
        insert(target, parts: parts.dropFirst(), prefix: category, into: &child, problems: &problems)
        node.children[key] = child
    }

    func render(into text: inout String, categories: [String: CategoryRecord], defaultProbe: String, problems: inout [String]) {
        Self.render(root, level: 1, into: &text, categories: categories, defaultProbe: defaultProbe, problems: &problems)
    }

    static func render(
        _ node: Node, level: Int, into text: inout String, categories: [String: CategoryRecord], defaultProbe: String,
        problems: inout [String]
    ) {
        let marks = String(repeating: "+", count: level)
        enum Entry { case section(String, Node), target(TargetRecord) }
        var entries = node.children.map { (name: $0.key, entry: Entry.section($0.key, $0.value)) }
        for target in node.targets {
            if node.children[target.name] != nil {
                problems.append("target '\(target.name)' and category '\(node.children[target.name]?.category ?? "")' would be the same section")
            }
            entries.append((target.name, .target(target)))
        }
        for (_, entry) in entries.sorted(by: { $0.name < $1.name }) {
            switch entry {
            case .section(let name, let child):
                let record = categories[child.category]
                let part = child.category.split(separator: "/").last.map(String.init) ?? name
                let menu = record.flatMap { $0.displayName.isEmpty ? nil : $0.displayName } ?? part
                let title = record.flatMap { $0.description.isEmpty ? nil : $0.description } ?? menu
                for (field, value) in [("display name", menu), ("description", title)] {
                    if let problem = ConfigValue.problem(value) { problems.append("category '\(child.category)': \(field) \(problem)") }
                }
                text += "\n\(marks) \(name)\nmenu = \(menu)\ntitle = \(title)\n"
                render(child, level: level + 1, into: &text, categories: categories, defaultProbe: defaultProbe, problems: &problems)
            case .target(let target):
                text += "\n\(marks) \(target.name)\nmenu = \(target.name)\ntitle = \(target.title.isEmpty ? target.name : target.title)\n"
                if let probe = target.probe, probe != defaultProbe { text += "probe = \(probe)\n" }
                text += "host = \(target.host)\n"
                if let lookup = target.lookup { text += "lookup = \(lookup)\n" }
                if let record = target.record { text += "recordtype = \(record)\n" }
            }
        }
    }
}
