/// The web admin of `smokeflow serve` (port 8080): pages over the store, login, smoke graphs.
public enum WebAdmin {}
