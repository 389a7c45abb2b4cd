import Foundation
import LibRRD
import SmokeGraph
import SmokePingFiles
import SmokeflowTesting
import Testing

/// A real SmokePing-layout RRD written by `rrdtool`, read by `RRDSmokeReader`, drawn by us and
/// by `rrdtool graph` with SmokePing's own recipe; both pictures go to the artefacts folder.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct SmokeGraphRRDTests {
    static let start = 1_764_000_000  // a multiple of 300: each update fills exactly one row
    static let rounds = 360  // 30 h of 5-minute rounds
    let layout = SmokePingLayout(step: 300, pings: 20)

    /// Round k loses `lost(k)` pings: mostly none, a few known patterns.
    static func lost(_ round: Int) -> Int {
        switch round % 40 {
        case 7: 1
        case 13: 5
        case 29: 12
        case 33: 20
        default: 0
        }
    }

    /// 20 pings around 20 ms, spread wider in the afternoon, so the smoke has a shape.
    static func times(_ round: Int) -> [Double] {
        let received = 20 - lost(round)
        let spread = 2 + 6 * (0.5 + 0.5 * sin(Double(round) / 30))
        let offset: Double = 0.018 + Double(round % 7) / 10_000
        return (0..<received).map { (index: Int) -> Double in offset + Double(index) / 19 * spread / 1000 }
    }

    static var artefacts: String {
        (ProcessInfo.processInfo.environment["SMOKEFLOW_ARTEFACTS"] ?? "/tmp/smokeflow-artefacts") + "/graphs"
    }

    func makeFile() async throws -> String {
        let path = temporaryDirectory() + "/Net/Core/router.rrd"
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        _ = try await SmokePingTree.rrdtool(
            ["create", path, "--start", String(Self.start), "--step", "300"] + layout.dataSourceDefinitions + layout.archiveDefinitions)
        let rows = (0..<Self.rounds).map { round in
            "\(Self.start + (round + 1) * 300):" + layout.updateValue(roundTripTimes: Self.times(round))
        }
        for batch in stride(from: 0, to: rows.count, by: 120) {
            _ = try await SmokePingTree.rrdtool(["update", path, "--template", layout.template] + rows[batch..<min(batch + 120, rows.count)])
        }
        return path
    }

    func count(_ needle: String, in haystack: String) -> Int { haystack.components(separatedBy: needle).count - 1 }

    @Test func readsRendersAndMatchesSmokePing() async throws {
        _ = try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/rrdtool") ? true : nil, "rrdtool is not installed")
        let path = try await makeFile()
        let end = Self.start + Self.rounds * 300
        let data = try await RRDSmokeReader().read(path, start: Self.start, end: end, width: 600)
        #expect(data.step == 300 && data.pings == 20)
        let withData = data.rounds.filter { $0.loss != nil }
        #expect(withData.count == Self.rounds)
        // The values come back exactly: round k is the row stamped start + (k+1)·300.
        let round13 = try #require(data.rounds.first { $0.time == Self.start + 14 * 300 })
        #expect(round13.loss == 5 && round13.times.count == 15)
        #expect(abs((round13.times.first ?? 0) - Self.times(13)[0] * 1000) < 1e-6)

        let svg = SmokeGraphRenderer.svg(data, options: SmokeGraphOptions(title: "Net/Core/router <30 h>", timeZone: TimeZone(identifier: "UTC")!))
        let expectedBands = (0..<Self.rounds).map { 10 - (Self.lost($0) + 1) / 2 }.reduce(0, +)
        #expect(count("class=\"band\"", in: svg) == expectedBands)
        let withMedian = (0..<Self.rounds).filter { Self.lost($0) < 20 }.count
        #expect(count("class=\"median\"", in: svg) == withMedian)
        let line = try #require(svg.split(separator: "\n").first { $0.contains("class=\"median\" data-loss=\"5\"") })
        #expect(line.contains("fill=\"#dd00ff\""), "5 of 20 lost falls in SmokePing's 5–10 bin")
        let line12 = try #require(svg.split(separator: "\n").first { $0.contains("class=\"median\" data-loss=\"12\"") })
        #expect(line12.contains("fill=\"#ff0000\""))
        #expect(svg.contains("&lt;30 h&gt;"))

        try FileManager.default.createDirectory(atPath: Self.artefacts, withIntermediateDirectories: true)
        try svg.write(toFile: Self.artefacts + "/smokeflow-30h.svg", atomically: true, encoding: .utf8)
        try SmokeGraphRenderer.svg(data, options: .sparkline(timeZone: TimeZone(identifier: "UTC")!))
            .write(toFile: Self.artefacts + "/smokeflow-30h-sparkline.svg", atomically: true, encoding: .utf8)

        let maxSeconds = ValueAxis.top(of: data) / 1000
        _ = try await SmokePingTree.rrdtool(SmokePingRecipe.arguments(
            rrd: path, output: Self.artefacts + "/smokeping-30h.png", pings: 20, start: Self.start, end: end,
            maxSeconds: maxSeconds, title: "Net/Core/router 30 h (rrdtool, SmokePing's recipe)"))
        #expect(FileManager.default.fileExists(atPath: Self.artefacts + "/smokeping-30h.png"))

        _ = try #require(SmokeGraphPNG.locate(SmokeGraphPNG.tool), "rsvg-convert is not installed (librsvg2-bin)")
        let png = try await SmokeGraphPNG.convert(svg: svg)
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]))
        try Data(png).write(to: URL(fileURLWithPath: Self.artefacts + "/smokeflow-30h.png"))
    }

    @Test func missingConverterSaysWhatToInstall() async throws {
        await #expect(throws: SmokeGraphError.converterMissing(tool: "rsvg-convert")) {
            _ = try await SmokeGraphPNG.convert(svg: "<svg xmlns=\"http://www.w3.org/2000/svg\"/>", toolPath: nil, searchPath: "/nonexistent")
        }
    }
}
