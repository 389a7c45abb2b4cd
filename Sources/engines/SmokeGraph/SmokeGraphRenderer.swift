import Foundation

/// Draws SmokePing's smoke graph as a standalone SVG (no scripts, no external references).
///
/// Per round: the i-th lowest ping paired with the i-th highest as a grey band (`class="band"`,
/// outer pairs lighter), then the median as a short bar 2 px tall coloured by the round's loss
/// (`class="median" data-loss="N"`), over a thin dark median line, as Smokeping.pm's
/// `smokecol` and its median CDEFs draw them with rrdtool.
public enum SmokeGraphRenderer {
    /// Margins around the plot area of the full graph.
    static let left = 66.0, right = 24.0, top = 32.0

    public static func svg(_ rounds: SmokeRounds, options: SmokeGraphOptions = SmokeGraphOptions()) -> String {
        let plot = PlotArea(rounds: rounds, options: options, origin: options.compact ? (0, 0) : (left, top))
        let legendLines = options.compact ? 0 : 5
        let totalWidth = options.compact ? plot.width : left + plot.width + right
        let totalHeight = options.compact ? plot.height : top + plot.height + 28 + Double(legendLines) * 15 + 6
        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(SVGText.number(totalWidth))" height="\(SVGText.number(totalHeight))" \
            viewBox="0 0 \(SVGText.number(totalWidth)) \(SVGText.number(totalHeight))" font-family="DejaVu Sans, Arial, sans-serif" font-size="10">
            <title>\(SVGText.escape(options.title))</title>
            <rect class="background" x="0" y="0" width="\(SVGText.number(totalWidth))" height="\(SVGText.number(totalHeight))" fill="#ffffff"/>

            """
        svg.reserveCapacity(rounds.rounds.count * (rounds.pings / 2 + 2) * 90)
        if !options.compact {
            svg += "<text class=\"title\" x=\"\(SVGText.number(totalWidth / 2))\" y=\"18\" text-anchor=\"middle\" font-size=\"12\" font-weight=\"bold\">\(SVGText.escape(options.title))</text>\n"
            svg += axes(plot, rounds: rounds, options: options)
        }
        svg += smoke(plot, rounds: rounds)
        svg += medians(plot, rounds: rounds)
        if !options.compact {
            svg += "<rect class=\"frame\" x=\"\(SVGText.number(plot.x))\" y=\"\(SVGText.number(plot.y))\" width=\"\(SVGText.number(plot.width))\" height=\"\(SVGText.number(plot.height))\" fill=\"none\" stroke=\"#000000\" stroke-width=\"0.5\"/>\n"
            svg += legend(plot, rounds: rounds, options: options)
        }
        svg += "</svg>\n"
        return svg
    }

    static func smoke(_ plot: PlotArea, rounds: SmokeRounds) -> String {
        var out = "<g class=\"smoke\" shape-rendering=\"crispEdges\">\n"
        for round in rounds.rounds {
            let (x, width) = plot.column(round)
            guard width > 0 else { continue }
            for band in SmokeBands.bands(round) {
                // rrdtool draws a ping above the axis top as INF: the band runs to the top edge.
                let high = plot.y(min(band.high, plot.top))
                let low = plot.y(min(band.low, plot.top))
                let grey = SVGText.grey(SmokeBands.greyLevel(pair: band.pair, pings: round.pings))
                out += "<rect class=\"band\" x=\"\(SVGText.number(x))\" y=\"\(SVGText.number(high))\" width=\"\(SVGText.number(width))\" height=\"\(SVGText.number(max(low - high, 0.3)))\" fill=\"\(grey)\"/>\n"
            }
        }
        return out + "</g>\n"
    }

    static func medians(_ plot: PlotArea, rounds: SmokeRounds) -> String {
        let colors = LossColors(pings: rounds.pings)
        var line = ""
        var bars = ""
        var previousEnd: Int?
        for round in rounds.rounds {
            guard let median = round.median, median <= plot.top else {
                previousEnd = nil
                continue
            }
            let (x, width) = plot.column(round)
            let y = plot.y(median)
            // A gap in the data breaks the line, as rrdtool's LINE1 does at unknown rows.
            line += (previousEnd == round.time - rounds.step ? "L" : "M") + "\(SVGText.number(x)) \(SVGText.number(y))H\(SVGText.number(x + width))"
            previousEnd = round.time
            let loss = round.loss ?? 0
            guard let bin = colors.bin(forLoss: loss) else { continue }
            bars += "<rect class=\"median\" data-loss=\"\(lossText(loss))\" x=\"\(SVGText.number(x))\" y=\"\(SVGText.number(y - 1))\" width=\"\(SVGText.number(max(width, 1)))\" height=\"2\" fill=\"\(bin.color)\"/>\n"
        }
        var out = ""
        if !line.isEmpty {
            out += "<path class=\"median-line\" d=\"\(line)\" fill=\"none\" stroke=\"#202020\" stroke-width=\"1\"/>\n"
        }
        return out + "<g class=\"medians\" shape-rendering=\"crispEdges\">\n" + bars + "</g>\n"
    }

    static func lossText(_ loss: Double) -> String {
        loss == loss.rounded() ? String(Int(loss)) : String((loss * 100).rounded() / 100)
    }

    static func axes(_ plot: PlotArea, rounds: SmokeRounds, options: SmokeGraphOptions) -> String {
        var out = "<g class=\"axes\" stroke=\"#dcdcdc\" stroke-width=\"0.5\">\n"
        var labels = ""
        for tick in ValueAxis.ticks(top: plot.top) {
            let y = plot.y(tick)
            out += "<line class=\"ygrid\" x1=\"\(SVGText.number(plot.x))\" y1=\"\(SVGText.number(y))\" x2=\"\(SVGText.number(plot.x + plot.width))\" y2=\"\(SVGText.number(y))\"/>\n"
            labels += "<text class=\"ytick\" x=\"\(SVGText.number(plot.x - 4))\" y=\"\(SVGText.number(y + 3.5))\" text-anchor=\"end\">\(ValueAxis.label(tick)) ms</text>\n"
        }
        for tick in TimeAxis.ticks(start: plot.start, end: plot.end, timeZone: options.timeZone) {
            let x = plot.x(tick.time)
            out += "<line class=\"xgrid\" x1=\"\(SVGText.number(x))\" y1=\"\(SVGText.number(plot.y))\" x2=\"\(SVGText.number(x))\" y2=\"\(SVGText.number(plot.y + plot.height))\" stroke=\"#f0b0b0\"/>\n"
            labels += "<text class=\"xtick\" x=\"\(SVGText.number(x))\" y=\"\(SVGText.number(plot.y + plot.height + 12))\" text-anchor=\"middle\">\(SVGText.escape(tick.label))</text>\n"
        }
        out += "</g>\n<g class=\"labels\" fill=\"#000000\">\n" + labels
        // rrdtool's vertical label: the unit, rotated along the left edge.
        out += "<text class=\"unit\" transform=\"translate(12 \(SVGText.number(plot.y + plot.height / 2))) rotate(-90)\" text-anchor=\"middle\">Seconds (ms)</text>\n"
        return out + "</g>\n"
    }

    static func legend(_ plot: PlotArea, rounds: SmokeRounds, options: SmokeGraphOptions) -> String {
        let summary = rounds.summary
        var y = plot.y + plot.height + 30
        var out = "<g class=\"legend\" fill=\"#000000\">\n"
        func line(_ text: String, _ className: String) {
            out += "<text class=\"\(className)\" x=\"\(SVGText.number(plot.x))\" y=\"\(SVGText.number(y))\" xml:space=\"preserve\">\(SVGText.escape(text))</text>\n"
            y += 15
        }
        func stats(_ value: SeriesStats?, _ unit: String, digits: Int) -> String {
            guard let value else { return "no data" }
            let format = "%.\(digits)f"
            return [(value.average, "avg"), (value.max, "max"), (value.min, "min"), (value.last, "now")]
                .map { String(format: format, $0.0) + " \(unit) \($0.1)" }.joined(separator: "   ")
        }
        line("median rtt:  " + stats(summary.median, "ms", digits: 1), "legend-median")
        line("packet loss: " + stats(summary.lossPercent, "%", digits: 2), "legend-loss")
        // Loss colours: a swatch and SmokePing's label per bin.
        out += "<text x=\"\(SVGText.number(plot.x))\" y=\"\(SVGText.number(y))\">loss color:</text>\n"
        var x = plot.x + 62
        for bin in LossColors(pings: rounds.pings).bins {
            out += "<rect class=\"loss-swatch\" data-loss-upto=\"\(bin.upTo)\" x=\"\(SVGText.number(x))\" y=\"\(SVGText.number(y - 8))\" width=\"9\" height=\"9\" fill=\"\(bin.color)\" stroke=\"#000000\" stroke-width=\"0.5\"/>\n"
            out += "<text x=\"\(SVGText.number(x + 12))\" y=\"\(SVGText.number(y))\">\(SVGText.escape(bin.label))</text>\n"
            x += 16 + Double(bin.label.count) * 6.5
        }
        y += 15
        let probe = options.probeDescription ?? "\(rounds.pings) pings every \(rounds.step)s"
        line("probe: " + probe, "legend-probe")
        line("end: " + endText(rounds.end, options.timeZone) + "   time zone: " + TimeAxis.zoneName(options.timeZone, at: rounds.end), "legend-end")
        return out + "</g>\n"
    }

    static func endText(_ time: Int, _ timeZone: TimeZone) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = timeZone
        formatter.dateFormat = "EEE MMM d HH:mm:ss yyyy"
        return formatter.string(from: Date(timeIntervalSince1970: TimeInterval(time)))
    }
}

/// Maps times and milliseconds to pixels of the plot area.
struct PlotArea {
    let x: Double, y: Double, width: Double, height: Double
    let start: Int, end: Int, step: Int
    /// The y axis top in ms.
    let top: Double

    init(rounds: SmokeRounds, options: SmokeGraphOptions, origin: (Double, Double)) {
        x = origin.0
        y = origin.1
        width = Double(max(1, options.width))
        height = Double(max(1, options.height))
        start = rounds.start
        end = max(rounds.end, rounds.start + 1)
        step = max(1, rounds.step)
        var top = ValueAxis.top(of: rounds)
        if let cap = options.maxRTT, cap > 0 { top = min(top, cap) }
        self.top = top
    }

    func x(_ time: Int) -> Double { x + Double(time - start) / Double(end - start) * width }

    func y(_ milliseconds: Double) -> Double { y + height - milliseconds / top * height }

    /// The round's interval (time − step, time], clipped to the plot.
    func column(_ round: SmokeRound) -> (x: Double, width: Double) {
        let left = max(x, x(round.time - step))
        let right = min(x + width, x(round.time))
        return (left, right - left)
    }
}
