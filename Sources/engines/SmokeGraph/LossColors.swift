/// SmokePing's default loss colours (`%lc` in Smokeping.pm): a table keyed by lost pings, each
/// key's bin covering (previous key, key]. Keys 0–4, pings/2 and pings−1; a later key replaces
/// an equal earlier one, as Perl's hash assignment does, so few pings give fewer bins.
public struct LossColors: Sendable, Equatable {
    public struct Bin: Sendable, Equatable {
        /// Lost pings at the top of the bin (inclusive).
        public var upTo: Int
        /// Lost pings at the bottom (exclusive), −1 for the first bin.
        public var above: Int
        public var color: String
        /// SmokePing's legend text, `0`, `1/20`, `10/20`.
        public var label: String
    }

    public let pings: Int
    public let bins: [Bin]

    public init(pings: Int) {
        self.pings = pings
        let table: [(Int, String)] = [
            (0, "#26ff00"), (1, "#00b8ff"), (2, "#0059ff"), (3, "#5e00ff"), (4, "#7e00ff"),
            (pings / 2, "#dd00ff"), (pings - 1, "#ff0000"),
        ]
        var byKey: [Int: String] = [:]
        for (key, color) in table { byKey[key] = color }
        var bins: [Bin] = []
        var last = -1
        // Smokeping.pm skips keys at or above pings: a round with every ping lost has no median.
        for key in byKey.keys.sorted() where key < pings && key >= 0 {
            bins.append(Bin(upTo: key, above: last, color: byKey[key]!, label: key == 0 ? "0" : "\(key)/\(pings)"))
            last = key
        }
        self.bins = bins
    }

    /// The bin a (possibly fractional) loss falls into; nil when no median is drawn for it.
    public func bin(forLoss loss: Double) -> Bin? {
        bins.first { loss > Double($0.above) && loss <= Double($0.upTo) }
    }
}
