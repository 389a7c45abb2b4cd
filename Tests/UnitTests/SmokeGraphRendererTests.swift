import Foundation
import SmokeGraph
import Testing

/// The native smoke graph: bands, median colours, escaping and axes, counted in the SVG.
struct SmokeGraphRendererTests {
    let utc = TimeZone(identifier: "UTC")!

    /// Rounds of 20 pings every 300 s from `start`; `lost[i]` pings lost in round i.
    func rounds(lost: [Int], pings: Int = 20, start: Int = 1_764_000_000) -> SmokeRounds {
        let rounds = lost.enumerated().map { index, lost in
            let times = (0..<(pings - lost)).map { 10 + Double($0) * 0.5 }
            return SmokeRound(
                time: start + (index + 1) * 300, pings: pings, times: times,
                median: times.isEmpty ? nil : times[times.count / 2], loss: Double(lost))
        }
        return SmokeRounds(start: start, end: start + lost.count * 300, step: 300, pings: pings, rounds: rounds)
    }

    func count(_ needle: String, in haystack: String) -> Int { haystack.components(separatedBy: needle).count - 1 }

    @Test func allReceivedRoundsDrawHalfThePingsAsBands() {
        let svg = SmokeGraphRenderer.svg(rounds(lost: [0, 0, 0]), options: SmokeGraphOptions(timeZone: utc))
        #expect(count("class=\"band\"", in: svg) == 3 * 10)
        let odd = SmokeGraphRenderer.svg(rounds(lost: [0, 0], pings: 5), options: SmokeGraphOptions(timeZone: utc))
        #expect(count("class=\"band\"", in: odd) == 2 * 2)
    }

    /// Lost slots sit `int(lost/2)` below and the rest above: a pair with a lost slot draws
    /// nothing, so `lost` pings remove `ceil(lost/2)` pairs of 20.
    @Test func lossRemovesTheOuterPairs() {
        for lost in [1, 2, 3, 7, 19] {
            let svg = SmokeGraphRenderer.svg(rounds(lost: [lost]), options: SmokeGraphOptions(timeZone: utc))
            #expect(count("class=\"band\"", in: svg) == 10 - (lost + 1) / 2, "lost \(lost)")
        }
        let allLost = SmokeGraphRenderer.svg(rounds(lost: [20]), options: SmokeGraphOptions(timeZone: utc))
        #expect(count("class=\"band\"", in: allLost) == 0)
        #expect(count("class=\"median\"", in: allLost) == 0)
    }

    @Test func outerBandsAreLighterThanInnerOnes() {
        let svg = SmokeGraphRenderer.svg(rounds(lost: [0]), options: SmokeGraphOptions(timeZone: utc))
        // Smokeping.pm's smokecol for 20 pings: pair 1 is grey 221 (#dddddd), pair 10 grey 50 (#323232).
        #expect(svg.contains("fill=\"#dddddd\""))
        #expect(svg.contains("fill=\"#323232\""))
        let firstLight = svg.range(of: "#dddddd")!.lowerBound
        let firstDark = svg.range(of: "#323232")!.lowerBound
        #expect(firstLight < firstDark, "outer bands are drawn first, inner ones over them")
    }

    @Test func medianIsColouredByItsRoundsLoss() {
        let svg = SmokeGraphRenderer.svg(rounds(lost: [0, 1, 3, 5, 10, 11, 19]), options: SmokeGraphOptions(timeZone: utc))
        #expect(count("class=\"median\"", in: svg) == 7)
        let expected = [(0, "#26ff00"), (1, "#00b8ff"), (3, "#5e00ff"), (5, "#dd00ff"), (10, "#dd00ff"), (11, "#ff0000"), (19, "#ff0000")]
        for (loss, color) in expected {
            #expect(svg.contains("class=\"median\" data-loss=\"\(loss)\"") && median(svg, loss: loss)?.contains("fill=\"\(color)\"") == true, "loss \(loss)")
        }
    }

    func median(_ svg: String, loss: Int) -> String? {
        svg.split(separator: "\n").first { $0.contains("class=\"median\" data-loss=\"\(loss)\"") }.map(String.init)
    }

    /// SmokePing's `%lc` bins (previous key, key]: 0, 1, 2, 3, 4, 5–10, 11–19 of 20; fewer
    /// pings collapse keys (5 pings: 0, 1, 2, 3, 4 with 2 and 4 recoloured).
    @Test func lossBinsFollowSmokepingsTable() {
        #expect(LossColors(pings: 20).bins.map(\.upTo) == [0, 1, 2, 3, 4, 10, 19])
        #expect(LossColors(pings: 20).bin(forLoss: 2.88)?.color == "#5e00ff")
        #expect(LossColors(pings: 20).bin(forLoss: 20) == nil)
        let five = LossColors(pings: 5)
        #expect(five.bins.map(\.upTo) == [0, 1, 2, 3, 4])
        #expect(five.bins.map(\.color) == ["#26ff00", "#00b8ff", "#dd00ff", "#5e00ff", "#ff0000"])
    }

    @Test func titleAndTextAreEscaped() {
        let title = "<script>alert('x')</script> & \"q\""
        let svg = SmokeGraphRenderer.svg(rounds(lost: [0]), options: SmokeGraphOptions(title: title, timeZone: utc))
        #expect(!svg.contains("<script"))
        #expect(svg.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"))
        #expect(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""))
        #expect(!svg.contains("href"))
    }

    @Test func yTicksStepOneTwoFive() {
        #expect(ValueAxis.step(top: 12) == 2)
        #expect(ValueAxis.step(top: 60) == 10)
        #expect(ValueAxis.step(top: 0.3) == 0.05)
        #expect(ValueAxis.step(top: 250) == 50)
        #expect(ValueAxis.ticks(top: 12) == [0, 2, 4, 6, 8, 10, 12])
        #expect(ValueAxis.label(2.5) == "2.5" && ValueAxis.label(100) == "100")
    }

    /// findmax: the largest median × 1.2, so one outlying ping does not squash the graph.
    @Test func axisTopIgnoresOutlyingPings() {
        var data = rounds(lost: [0, 0])
        data.rounds[0].times[19] = 5000
        #expect(abs(ValueAxis.top(of: data) - 15 * 1.2) < 1e-9)
        let svg = SmokeGraphRenderer.svg(data, options: SmokeGraphOptions(timeZone: utc))
        #expect(svg.contains(">18 ms<") || svg.contains(">15 ms<"))
    }

    @Test func timeTicksSuitTheRange() {
        let start = 1_764_633_600  // 2025-12-02 00:00 UTC
        let three = TimeAxis.ticks(start: start, end: start + 3 * 3600, timeZone: utc)
        #expect(three.count == 7 && three.first?.label == "00:00")
        let thirty = TimeAxis.ticks(start: start, end: start + 30 * 3600, timeZone: utc)
        #expect(thirty.map(\.label).first == "Tue 00:00" && thirty.count == 6)
        let year = TimeAxis.ticks(start: start, end: start + 360 * 86_400, timeZone: utc)
        #expect(year.count == 11 && year.first?.label == "Jan")
        let svg = SmokeGraphRenderer.svg(rounds(lost: [0]), options: SmokeGraphOptions(timeZone: TimeZone(identifier: "Europe/Zurich")!))
        #expect(svg.contains("Europe/Zurich"))
    }

    @Test func sparklineHasNoAxesOrLegend() {
        let svg = SmokeGraphRenderer.svg(rounds(lost: [0, 2]), options: .sparkline(title: "a<b", timeZone: utc))
        #expect(count("class=\"band\"", in: svg) == 19)
        #expect(count("class=\"median\"", in: svg) == 2)
        #expect(!svg.contains("class=\"ytick\"") && !svg.contains("class=\"legend"))
        #expect(svg.contains("width=\"200\" height=\"40\""))
    }

    @Test func summaryGivesMinAvgMaxLast() {
        let summary = rounds(lost: [0, 10]).summary
        #expect(summary.lossPercent == SeriesStats(min: 0, average: 25, max: 50, last: 50))
        #expect(summary.median?.max == 15)
    }
}
