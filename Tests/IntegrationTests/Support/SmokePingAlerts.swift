import Foundation
import SmokeflowTesting

/// A SmokePing daemon of a test's own whose `*** Alerts ***` run a script (`to = |script`)
/// that records each alert with the round it came from: the lab responder's count of requests
/// at that moment over the pings per round (check_alerts runs right after the round's fping,
/// and nothing else probes that lab).
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
        // once, so they take turns (flock) at asking the responder for its count.
        try """
            #!/bin/sh
            exec 9> \(directory)/alert.lock
            flock 9
            received=$(/bin/bash \(packageRoot())/scripts/lib/probe-lab.sh stats \(lab.directory) | awk '/^received/ {print $2}')
            printf '%s %s %s %s\\n' "$1" "${6:-0}" "$received" "$3" >> \(alertLog)

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
    /// and the loss history (percent, oldest first) of the last one with its round.
    func edges(expected: Int) async throws -> (edges: [String], lastRound: Int, lossHistory: [Double]) {
        _ = await eventually(within: .seconds(240), every: .milliseconds(200)) { self.lines.count >= expected }
        var edges: [String] = []
        var lastRound = 0
        var history: [Double] = []
        for line in lines {
            let words = line.split(separator: " ", maxSplits: 3).map(String.init)
            guard words.count == 4, let received = Int(words[2]) else {
                edges.append("unreadable: \(line)")
                continue
            }
            let round = received % pings == 0 ? received / pings : -received
            edges.append("\(round) \(words[0]) \(words[1] == "1" ? "raised" : "cleared")")
            lastRound = round
            // "loss: S, 0%, 100%, …"
            history = words[3].dropFirst("loss: ".count).split(separator: ",").compactMap { value in
                let text = value.trimmingCharacters(in: .whitespaces)
                return text == "S" ? nil : Double(text.dropLast())
            }
        }
        return (edges, lastRound, history)
    }

    var lines: [String] {
        ((try? String(contentsOfFile: alertLog, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    func stop() async { await daemon.stop() }
}
