import ConfigManager
import Foundation
import TargetStore
import SmokeflowTesting
import Testing
import WebAdmin

/// The web admin's flows in a real headless Chromium: Tests/browser/web_admin_flows.py drives it
/// through WebDriver (selenium, installed by scripts/test with scripts/lib/browser.sh) and
/// checks the store through the REST API after each flow. Screenshots are test artefacts in
/// `$SMOKEFLOW_ARTEFACTS/web` (default /tmp/smokeflow-artefacts/web).
@Suite struct WebAdminBrowserTests {
    static let python = ProcessInfo.processInfo.environment["SMOKEFLOW_BROWSER_PYTHON"]
    static let artefacts = (ProcessInfo.processInfo.environment["SMOKEFLOW_ARTEFACTS"] ?? "/tmp/smokeflow-artefacts") + "/web"

    static var script: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("browser/web_admin_flows.py").path
    }

    @Test(.enabled(if: python != nil, "no SMOKEFLOW_BROWSER_PYTHON: scripts/test runs this test in a phase of its own"))
    func everyFlowWorksInChromium() async throws {
        let python = try #require(Self.python, "SMOKEFLOW_BROWSER_PYTHON is not set: run through scripts/test")
        let prepare: [StoreOperation] = [
            .createCategory(CategoryRecord(name: "moved", displayName: "Moved")),
            .createCategory(CategoryRecord(name: "websites", displayName: "Popular websites")),
        ] + ["bulk_a", "bulk_b", "bulk_c", "graphed"].map { WebAdminTests.target($0) }
        let rrd = temporaryDirectory() + "/rrd"
        try await RecentRoundsFile.write(directory: rrd, name: "graphed", rounds: 360)
        try await withWebAdmin(graphs: StoredRoundsGraphs(source: .rrd(directory: rrd)), prepare: prepare, generatesFiles: true) { server in
            let siteList = server.directory + "/tranco.csv"
            try "1,example.com\n2,example.org\n3,example.net\n4,example.edu\n".write(toFile: siteList, atomically: true, encoding: .utf8)
            let (status, output) = try await Self.run(python, [
                Self.script, "--base", server.base, "--api", server.apiBase, "--token", RunningWebAdmin.apiToken,
                "--password", RunningWebAdmin.password, "--artefacts", Self.artefacts, "--site-list", siteList,
            ])
            #expect(status == 0, "the browser flows failed:\n\(output)")
            #expect(output.contains("all flows passed"), "\(output)")
        }
    }

    /// The script's exit status and its output, waited for without blocking a thread of the pool.
    static func run(_ executable: String, _ arguments: [String]) async throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        let collected = Task.detached { output.fileHandleForReading.readDataToEndOfFile() }
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do { try process.run() } catch { continuation.resume(throwing: error) }
        }
        return (status, String(decoding: await collected.value, as: UTF8.self))
    }
}
