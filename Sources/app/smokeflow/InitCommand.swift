import ArgumentParser
import Foundation
import SmokeflowApp

/// `smokeflow init`: writes the env file of credentials (see `Credentials`).
struct Init: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Writes the credentials file (.env): every secret generated, none ever overwritten or printed.")

    @Option(name: .customLong("env-file"), help: "The credentials file to create or complete (mode 0600).")
    var envFile = ".env"

    @Option(help: "Replace this one secret (a 0600 backup of the file is kept).")
    var rotate: String?

    @Option(help: "Print this one value and change nothing.")
    var show: String?

    func run() async throws {
        try await failing {
            if let show {
                print(try Credentials.show(show, path: envFile))
                return
            }
            let report = try await Credentials.initializeOnOwnThread(path: envFile, rotate: rotate)
            var lines: [String] = []
            if report.created { lines.append("created \(envFile) (mode 0600)") }
            if let rotated = report.rotated { lines.append("rotated \(rotated); the previous file is kept as \(report.backup ?? "?") (mode 0600)") }
            if !report.added.isEmpty { lines.append("added \(report.added.joined(separator: ", "))") }
            if !report.kept.isEmpty { lines.append("kept \(report.kept.joined(separator: ", "))") }
            print(lines.joined(separator: "\n"))
        }
    }
}
