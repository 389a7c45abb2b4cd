import Foundation
public import PipelineConfig
import EventModel
public import PipelineRuntime

/// `type: classify` — declarative, first-match-wins rules that set the measurement, tags,
/// fields and `probe_type` of each point (`ClassifyRule`). The file's `rules` come first, then
/// `default` (actions for points no rule matched), then — with `defaults: smokeping`, the
/// default — the built-in rules that classify SmokePing trees (`SmokePingClassification`).
public struct ClassifyConfiguration: TransformConfiguration {
    public static let typeName = "classify"
    public enum Defaults: String, Sendable, CaseIterable { case smokeping, none }

    public var rules: [ClassifyRule]

    public init(options: inout OptionsReader) {
        var rules: [ClassifyRule] = []
        if let node = options.node("rules") {
            if let items = node.sequence {
                for (index, item) in items.enumerated() {
                    if let rule = ClassifyRuleReader.read(item, name: "rule \(index + 1)", componentID: options.componentID, into: &options) {
                        rules.append(rule)
                    }
                }
            } else {
                options.fail(node.location, "option 'rules' must be a list of rules")
            }
        }
        let defaults: Defaults = options.oneOf("defaults", default: .smokeping)
        if let node = options.node("default") {
            if var rule = ClassifyRuleReader.read(node, name: "default", componentID: options.componentID, into: &options) {
                if rule.measurement != nil || !rule.tags.isEmpty || !rule.fieldsPresent.isEmpty || !rule.sources.isEmpty {
                    options.fail(node.location, "the 'default' of '\(options.componentID)' has actions only, no 'match'")
                }
                rule.measurement = nil
                if defaults == .smokeping { rules += SmokePingClassification.rules }
                rules.append(rule)
            }
        } else if defaults == .smokeping {
            rules += SmokePingClassification.rules
        }
        self.rules = rules
    }

    public func build(_ context: BuildContext) throws -> Classify { Classify(rules: rules) }
}

