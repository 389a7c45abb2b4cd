import Alerting
import Foundation
import SmokeflowTesting
import Testing

/// `check_alerts` per target and rule: checked round by round against what the installed
/// SmokePing's own `check_alerts` logs for seeded scenarios
/// (scripts/lib/smokeping-check-alerts-table.pl → fixtures/alerts/smokeping-check-alerts.tsv).
@Suite struct AlertStateTests {
    struct Scenario {
        var name: String
        var rules: [AlertRule] = []
        var rounds: [(lost: Double, pings: Double, rtt: Double?, events: [String])] = []
    }

    static func scenarios() throws -> [Scenario] {
        let text = try String(contentsOfFile: packageRoot() + "/fixtures/alerts/smokeping-check-alerts.tsv", encoding: .utf8)
        var scenarios: [Scenario] = []
        for line in text.split(separator: "\n") {
            let words = line.split(separator: " ").map(String.init)
            switch words.first {
            case "scenario": scenarios.append(Scenario(name: line.description))
            case "rule":
                try #require(words.count == 6, "\(line)")
                let kind = try #require(AlertKind(rawValue: words[2]))
                let rule = AlertRule(
                    name: words[1], pattern: try AlertPattern(words[3], kind: kind), comment: "c", edgeTrigger: words[4] == "yes",
                    priority: Int(words[5]))
                scenarios[scenarios.count - 1].rules.append(rule)
            case "round":
                try #require(words.count == 5, "\(line)")
                let events = words[4] == "-" ? [] : words[4].split(separator: ",").map(String.init)
                scenarios[scenarios.count - 1].rounds.append((Double(words[1]) ?? -1, Double(words[2]) ?? -1, Double(words[3]), events))
            default: Issue.record("unknown line \(line)")
            }
        }
        return scenarios
    }

    /// SmokePing's words for an edge: `raised`/`cleared` for edge-triggered rules, `active` for a
    /// matching round of one without.
    static func word(_ edge: AlertEdge) -> String {
        "\(edge.rule.name):" + (edge.kind == .cleared ? "cleared" : edge.rule.edgeTrigger ? "raised" : "active")
    }

    @Test func everyRoundOfSmokePingsOwnScenariosReportsAlike() throws {
        let scenarios = try Self.scenarios()
        #expect(scenarios.count == 40)
        var differences: [String] = []
        for scenario in scenarios {
            var state = TargetAlertState()
            let rules = AlertRuleSet(scenario.rules)
            for (index, round) in scenario.rounds.enumerated() {
                let edges = state.evaluate(
                    AlertRound(time: Int64(index + 1) * 1_000_000_000, lossPercent: round.lost * 100 / round.pings, medianMilliseconds: round.rtt.map { $0 * 1000 }),
                    ruleSet: rules)
                let words = (edges ?? []).map(Self.word)
                // SmokePing logs in rule order after its priority sort, as we report.
                if words != round.events { differences.append("\(scenario.name) round \(index + 1): SmokePing \(round.events), here \(words)") }
            }
        }
        #expect(differences.isEmpty, "\(differences.count) rounds differ:\n\(differences.prefix(20).joined(separator: "\n"))")
    }

    static func someloss() throws -> AlertRule {
        AlertRule(name: "someloss", pattern: try AlertPattern(">0%,>0%", kind: .loss), edgeTrigger: true)
    }

    @Test func oneRaisedAndOneClearedPerEpisodeAtTheRoundsThePatternStartsAndStopsMatching() throws {
        var state = TargetAlertState()
        let rules = AlertRuleSet([try Self.someloss()])
        let losses: [Double] = [0, 0, 10, 10, 10, 0, 0, 20, 20, 0]
        var seen: [(Int, AlertEdge.Kind)] = []
        for (index, loss) in losses.enumerated() {
            for edge in state.evaluate(AlertRound(time: Int64(index), lossPercent: loss, medianMilliseconds: 1), ruleSet: rules) ?? [] {
                seen.append((index, edge.kind))
            }
        }
        #expect(seen.map(\.0) == [3, 5, 8, 9])
        #expect(seen.map(\.1) == [.raised, .cleared, .raised, .cleared])
    }

    @Test func aReplayedRoundIsSkipped() throws {
        var state = TargetAlertState()
        let rules = AlertRuleSet([try Self.someloss()])
        _ = state.evaluate(AlertRound(time: 10, lossPercent: 5, medianMilliseconds: nil), ruleSet: rules)
        #expect(state.evaluate(AlertRound(time: 20, lossPercent: 5, medianMilliseconds: nil), ruleSet: rules)?.count == 1)
        #expect(state.evaluate(AlertRound(time: 20, lossPercent: 5, medianMilliseconds: nil), ruleSet: rules) == nil)
        #expect(state.evaluate(AlertRound(time: 15, lossPercent: 0, medianMilliseconds: nil), ruleSet: rules) == nil)
    }

    @Test func theStateSurvivesEncodingMidEpisode() throws {
        var state = TargetAlertState()
        let rules = AlertRuleSet([try Self.someloss()])
        _ = state.evaluate(AlertRound(time: 1, lossPercent: 5, medianMilliseconds: nil), ruleSet: rules)
        _ = state.evaluate(AlertRound(time: 2, lossPercent: 5, medianMilliseconds: nil), ruleSet: rules)
        var restored = try JSONDecoder().decode(TargetAlertState.self, from: JSONEncoder().encode(state))
        #expect(restored == state)
        // Still raised: the next lossy round sends nothing, the next clean one clears.
        #expect(restored.evaluate(AlertRound(time: 3, lossPercent: 5, medianMilliseconds: nil), ruleSet: rules)?.isEmpty == true)
        #expect(restored.evaluate(AlertRound(time: 4, lossPercent: 0, medianMilliseconds: nil), ruleSet: rules)?.map(\.kind) == [.cleared])
    }

    @Test func theRuleStateMachine() {
        var rule = AlertRuleState()
        #expect(rule.round(matched: false, at: 1, edgeTriggered: true) == .none)
        #expect(rule.round(matched: true, at: 2, edgeTriggered: true) == .raise)
        #expect(rule.round(matched: true, at: 3, edgeTriggered: true) == .none)
        #expect(rule.state == .matching(since: 2, rounds: 2))
        #expect(rule.round(matched: false, at: 4, edgeTriggered: true) == .clear(since: 2))
        #expect(rule.round(matched: true, at: 5, edgeTriggered: false) == .active)
        #expect(rule.round(matched: true, at: 6, edgeTriggered: false) == .active)
        #expect(rule.round(matched: false, at: 7, edgeTriggered: false) == .none)
    }

    static func notification(_ rule: String = "r", time: Int64 = 1) -> AlertNotification {
        AlertNotification(
            key: "Core/a", target: "a", path: "Core/a", title: nil, category: "Core", site: nil, rule: rule, state: .raised, value: 5,
            pattern: ">0%", comment: "", timeNanoseconds: time)
    }

    @Test func theOutboxIsBoundedDeduplicatesAndHandsOutOnlySavedEntries() throws {
        var outbox = AlertOutbox()
        #expect(outbox.enqueue(Self.notification(time: 1), for: "w", capacity: 2) == .queued)
        #expect(outbox.enqueue(Self.notification(time: 1), for: "w", capacity: 2) == .duplicate)
        #expect(outbox.enqueue(Self.notification(time: 2), for: "w", capacity: 2) == .queued)
        #expect(outbox.enqueue(Self.notification(time: 3), for: "w", capacity: 2) == .overflow)
        #expect(outbox.deliverable(for: "w", savedBefore: 0) == nil)
        let first = try #require(outbox.deliverable(for: "w", savedBefore: 1))
        outbox.finish(first.sequence, for: "w")
        // Delivered once: the same edge again is a duplicate, also after a restart.
        var restored = try JSONDecoder().decode(AlertOutbox.self, from: JSONEncoder().encode(outbox))
        #expect(restored.enqueue(Self.notification(time: 1), for: "w", capacity: 2) == .duplicate)
        #expect(restored.deliverable(for: "w", savedBefore: 1) == nil)
        #expect(restored.deliverable(for: "w", savedBefore: 2)?.notification.timeNanoseconds == 2)
        #expect(restored.keepOnly(["other"]) == 1 && restored.count == 0)
    }

    @Test func notificationTimesAreISO8601() {
        #expect(AlertNotification.iso8601(0) == "1970-01-01T00:00:00.000Z")
        #expect(AlertNotification.iso8601(1_764_374_453_123_456_789) == "2025-11-29T00:00:53.123Z")
        #expect(AlertNotification.iso8601(951_782_400_000_000_000) == "2000-02-29T00:00:00.000Z")
        #expect(AlertNotification.iso8601(-1_000_000) == "1969-12-31T23:59:59.999Z")
    }
}
