import Foundation
import SmokeflowTesting

/// A SmokePing daemon of a test's own whose `*** Alerts ***` run a script (`to = |script`)
/// that records each alert with the loss history SmokePing passed it. The round an alert came
/// from is read off that history, not off the lab responder's count of requests when the script
/// ran: under load a round's fping takes most of the 2 s step, and the next round's first pings
/// can reach the responder before the forked script asks it (a count one round off).
final class SmokePingAlerts: @unchecked Sendable {
    let directory: String
    let daemon: OwnSmokePing
    let alertLog: String
    let pings: Int

    init(lab: ProbeLab, rules: [(name: String, type: String, pattern: String)], pings: Int = 5, step: Int = 2) throws {
        let directory = temporaryDirectory()
        let alertLog = directory + "/alerts.log"
        self.directory = directory
        self.alertLog = alertLog
        self.pings = pings
        for folder in ["data", "run", "cache"] {
            try FileManager.default.createDirectory(atPath: directory + "/" + folder, withIntermediateDirectories: true)
        }
        let script = directory + "/alert.sh"
        // Arguments (edgetrigger): alert, target, loss history, rtt history, host, 1 when raised.
        // SmokePing forks each alert's program without waiting: two alerts of one round run at
        // once, so they take turns (flock) at appending their line.
        try """
            #!/bin/sh
            exec 9> \(directory)/alert.lock
            flock 9
            printf '%s %s %s\\n' "$1" "${6:-0}" "$3" >> \(alertLog)

            """.write(toFile: script, atomically: true, encoding: .utf8)
        chmod(script, 0o755)
        let alerts = rules.map { "+\($0.name)\ntype = \($0.type)\npattern = \($0.pattern)\ncomment = test\nedgetrigger = yes\n" }.joined(separator: "\n")
        let config = SmokePingInstallation.general(in: directory) + """

            *** Alerts ***
            to = |\(script)
            from = smokealert@example.invalid

            \(alerts)
            *** Database ***
            step = \(step)
            pings = \(pings)

            AVERAGE 0.5 1 1008

            """ + SmokePingInstallation.presentation + """

            *** Probes ***
            + FPing
            binary = /usr/bin/fping
            hostinterval = 0.02
            timeout = 1.5

            *** Targets ***
            probe = FPing
            menu = Top
            title = Top

            + Core
            menu = Core
            title = Core
            alerts = \(rules.map(\.name).joined(separator: ","))

            ++ lab
            menu = lab
            title = lab
            host = \(lab.v4)

            """
        let path = directory + "/config"
        try config.write(toFile: path, atomically: true, encoding: .utf8)
        daemon = try OwnSmokePing(config: path, directory: directory)
    }

    var log: String { daemon.log + "\nalerts:\n" + ((try? String(contentsOfFile: alertLog, encoding: .utf8)) ?? "") }

    /// "ROUND RULE raised|cleared" for each alert, once `expected` have come (or 240 s passed),
    /// and the loss history (percent, oldest first) of the last one with its round. `schedule`
    /// is the lab's loss per round: a history SmokePing has not filled yet starts with "S" (the
    /// time before its first round) and its length is the round; a full one is found in the
    /// schedule, and a history found nowhere or in two places makes the round -1.
    func edges(expected: Int, schedule: [Double]) async throws -> (edges: [String], lastRound: Int, lossHistory: [Double]) {
        _ = await eventually(within: .seconds(240), every: .milliseconds(200)) { self.lines.count >= expected }
        var edges: [String] = []
        var lastRound = 0
        var history: [Double] = []
        for line in lines {
            let words = line.split(separator: " ", maxSplits: 2).map(String.init)
            guard words.count == 3, words[2].hasPrefix("loss: ") else {
                edges.append("unreadable: \(line)")
                continue
            }
            // "loss: S, 0%, 100%, …"
            let entries = words[2].dropFirst("loss: ".count).split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            history = entries.compactMap { $0 == "S" ? nil : Double($0.dropLast()) }
            let round = Self.round(ending: history, startsAtFirstRound: entries.first == "S", in: schedule)
            edges.append("\(round) \(words[0]) \(words[1] == "1" ? "raised" : "cleared")")
            lastRound = round
        }
        return (edges, lastRound, history)
    }

    /// The round (from 1) whose loss ends `history`.
    static func round(ending history: [Double], startsAtFirstRound: Bool, in schedule: [Double]) -> Int {
        if startsAtFirstRound { return history.count }
        let ends = (history.count...max(history.count, schedule.count)).filter { end in
            end <= schedule.count && Array(schedule[(end - history.count)..<end]) == history
        }
        return ends.count == 1 ? ends[0] : -1
    }

    var lines: [String] {
        ((try? String(contentsOfFile: alertLog, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    func stop() async { await daemon.stop() }
}
