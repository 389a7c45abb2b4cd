import ConfigManager
import Foundation
import SmokeGraph
import SmokeflowTesting
import Testing
import WebAdmin

/// The web admin's graph routes over a real RRD written by rrdtool: SVG with the rounds' bands
/// and loss colours, the sparkline, PNG, a target with no file yet, the detail page's figures.
@Suite struct WebAdminGraphTests {
    func count(_ needle: String, in text: String) -> Int { text.components(separatedBy: needle).count - 1 }

    @Test func graphsOfATargetComeFromItsRRDFile() async throws {
        let directory = temporaryDirectory() + "/rrd"
        let (first, last) = try await RecentRoundsFile.write(directory: directory, name: "graphed")
        let graphs = StoredRoundsGraphs(source: .rrd(directory: directory))
        try await withWebAdmin(graphs: graphs, prepare: [WebAdminTests.target("graphed", title: "<b>Graphed</b>"), WebAdminTests.target("empty")]) { server in
            let browser = WebBrowser(server)
            _ = try await browser.signIn()
            let targets = try await server.targets()
            let graphed = try #require(targets.first { $0.record.name == "graphed" })
            let empty = try #require(targets.first { $0.record.name == "empty" })

            // Exactly the file's rounds: one median per round, the loss-5 rounds in SmokePing's colour.
            let svg = try await browser.get("/graphs/\(graphed.id).svg?range=\(first - 150)-\(last + 150)")
            #expect(svg.status == 200, "\(svg)")
            #expect(svg.header("content-type")?.hasPrefix("image/svg+xml") == true)
            #expect(count("class=\"median\"", in: svg.body) == 72, "one median per round")
            let lossFive = (0..<72).filter { RecentRoundsFile.lost($0) == 5 }.count
            #expect(count("data-loss=\"5\"", in: svg.body) == lossFive)
            #expect(count("class=\"band\"", in: svg.body) >= 72 * 7, "10 pairs per full round, fewer with loss")
            #expect(!svg.body.contains("<b>Graphed</b>"), "the title is escaped in the SVG")

            let sparkline = try await browser.get("/graphs/\(graphed.id).svg?range=3h&compact=1")
            #expect(sparkline.status == 200)
            #expect(sparkline.body.contains("<svg"))

            let none = try await browser.get("/graphs/\(empty.id).svg?range=30h")
            #expect(none.status == 200, "a target without data gets an empty graph, not a broken image")
            #expect(count("class=\"median\"", in: none.body) == 0)

            #expect(try await browser.get("/graphs/999999.svg").status == 404)
            #expect(try await browser.get("/graphs/\(graphed.id).svg?range=banana").status == 400)

            let detail = try await browser.get("/targets/\(graphed.id)")
            #expect(detail.body.contains("median min/avg/max/last"), "\(detail)")
            #expect(detail.body.contains("/graphs/\(graphed.id).svg?range=1y"))

            if SmokeGraphPNG.locate(SmokeGraphPNG.tool) != nil {
                let png = try await browser.get("/graphs/\(graphed.id).png?range=30h")
                #expect(png.status == 200)
                #expect(png.header("content-type") == "image/png")
            }
        }
    }
}
