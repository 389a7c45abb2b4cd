public import Alerting
import EventModel
import TargetStore
public import PipelineConfig

extension SmokePingConfig {
    /// Reads `*** Alerts ***` as `init_alerts` does: each `+name` a rule of type `loss` or
    /// `rtt` with its pattern (refused with SmokePing's reason), `comment`, `edgetrigger`
    /// (`yes`/`no`, else the section's) and `priority`. Mail settings (`to`, `from`,
    /// `mailtemplate`) and `matcher` rules are not kept: a note each.
    mutating func readAlerts(_ section: SmokePingConfigDocument.Section, errors: inout [ConfigError]) {
        hasAlertsSection = true
        let sectionEdgeTrigger = Self.yesNo(section.setting("edgetrigger"), default: false, errors: &errors)
        alertEdgeTrigger = sectionEdgeTrigger
        for setting in section.settings where setting.key != "edgetrigger" {
            notes.append(ConfigError(setting.location, "Alerts: '\(setting.key)' is not kept (notifications go to the alert transform's notify list)"))
        }
        for child in section.children {
            let name = child.name
            let type = child.value("type")
            if type == "matcher" {
                notes.append(ConfigError(child.location, "alert '\(name)': matcher alerts are not kept"))
                continue
            }
            guard let kind = type.flatMap(AlertKind.init(rawValue:)) else {
                errors.append(ConfigError(child.setting("type")?.location ?? child.location, "alert '\(name)': type must be loss or rtt"))
                continue
            }
            for setting in child.settings where !Self.keptAlertSettings.contains(setting.key) {
                notes.append(ConfigError(setting.location, "alert '\(name)': '\(setting.key)' is not kept"))
            }
            guard let patternSetting = child.setting("pattern") else {
                errors.append(ConfigError(child.location, "alert '\(name)': pattern is not set"))
                continue
            }
            let edgeTrigger = Self.yesNo(child.setting("edgetrigger"), default: sectionEdgeTrigger, errors: &errors)
            let priority = Self.integer(child.setting("priority"), errors: &errors)
            do throws(AlertPatternError) {
                let pattern = try AlertPattern(patternSetting.value, kind: kind)
                let rule = AlertRule(name: name, pattern: pattern, comment: child.value("comment") ?? "", edgeTrigger: edgeTrigger, priority: priority)
                alertRules.append((rule, child.location))
            } catch {
                errors.append(ConfigError(patternSetting.location, "alert '\(name)': \(error)"))
            }
        }
    }

    static let keptAlertSettings: Set<String> = ["type", "pattern", "comment", "edgetrigger", "priority"]

    static func yesNo(_ setting: SmokePingConfigDocument.Setting?, default fallback: Bool, errors: inout [ConfigError]) -> Bool {
        guard let setting else { return fallback }
        switch setting.value {
        case "yes": return true
        case "no": return false
        default:
            errors.append(ConfigError(setting.location, "\(setting.key) must be yes or no"))
            return fallback
        }
    }

    /// Each target's `alerts` names rules of the Alerts section, as SmokePing requires
    /// ("alert X (target) is not defined"); a file without the section (a lone Targets
    /// file) cannot be checked here and is taken as it is.
    func alertProblems() -> [ConfigError] {
        guard hasAlertsSection else { return [] }
        let defined = Set(alertRules.map(\.rule.name))
        return targets.flatMap { target in
            (target.alerts ?? []).filter { !defined.contains($0) }.map {
                ConfigError(target.location, "target '\(target.sectionPath)': alert '\($0)' is not defined in the Alerts section")
            }
        }
    }

    /// The rules as the `alert` transform's `rules_file` reads them (its own YAML: `edgetrigger`
    /// and `rules`), with where they came from.
    public func alertRulesFile(source: String) -> String {
        var text = "# SmokePing's *** Alerts *** from \(source), written by `smokeflow targets import`.\n"
        text += "# An alert transform reads it with `rules_file:`; targets name the rules in the store's `alerts`.\n"
        text += "edgetrigger: \(alertEdgeTrigger)\n"
        guard !alertRules.isEmpty else { return text + "rules: {}\n" }
        text += "rules:\n"
        for (rule, _) in alertRules {
            text += "  \(TargetExport.yamlQuoted(rule.name)):\n"
            text += "    type: \(rule.kind.rawValue)\n"
            text += "    pattern: \(TargetExport.yamlQuoted(rule.pattern.text))\n"
            if !rule.comment.isEmpty { text += "    comment: \(TargetExport.yamlQuoted(rule.comment))\n" }
            text += "    edgetrigger: \(rule.edgeTrigger)\n"
            if let priority = rule.priority { text += "    priority: \(priority)\n" }
        }
        return text
    }
}
