/// SmokePing's smoke graph: each round's ping times as grey bands, the median coloured by loss.
public enum SmokeGraph {}
