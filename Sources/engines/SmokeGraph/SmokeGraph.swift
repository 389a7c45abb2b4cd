/// SmokePing's smoke graph drawn natively as SVG: each round's ping times as grey bands (the
/// i-th lowest paired with the i-th highest), the median coloured by the round's loss.
/// Read with `RRDSmokeReader` (or any reader that fills `SmokeRounds`), draw with
/// `SmokeGraphRenderer`, rasterise with `SmokeGraphPNG`.
public enum SmokeGraph {}
