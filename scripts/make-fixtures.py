#!/usr/bin/env python3
"""Generates the SmokePing-shaped fixtures in fixtures/ (deterministic: fixed seed).

fixtures/day.lp.zst:    make-fixtures.py day.lp
fixtures/outage.lp.zst: make-fixtures.py outage.lp --days 0.25 --targets 4 --seed 7 --outage 2:24:12

Values follow docs/schema.md: round-trip times in milliseconds as SmokePing stores them
(seconds formatted %.10e), sorted; loss as a percentage; lost pings left out of ping_i like
SmokePing's unknowns. Usage: scripts/make-fixtures.py OUT.lp [--days N] [--targets N] [--start EPOCH]
"""
import argparse
import random


def rtt_ms(seconds):
    return float(f"{seconds:.10e}") * 1000.0


def fmt(value):
    return repr(float(value))


def escape_tag(value):
    return value.replace(",", r"\,").replace("=", r"\=").replace(" ", r"\ ")


def latency_point(rng, target, path, category, probe, base_ms, pings, ts, down=False):
    lost = sum(1 for _ in range(pings) if rng.random() < 0.02)
    if rng.random() < 0.003 or down:
        lost = pings
    got = sorted(rtt_ms((base_ms + rng.expovariate(1 / (base_ms * 0.05 + 0.05))) / 1000.0) for _ in range(pings - lost))
    fields = []
    if got:
        fields.append(("median", fmt(got[len(got) // 2])))
    fields.append(("loss", fmt(100.0 * lost / pings)))
    fields.append(("lost", fmt(float(lost))))
    fields.append(("pings", f"{pings}i"))
    # SmokePing splits unknowns: int(lost/2) before the received values, the rest after.
    slots = [None] * (lost // 2) + got + [None] * (lost - lost // 2)
    for index, value in enumerate(slots, start=1):
        if value is not None:
            fields.append((f"ping_{index}", fmt(value)))
    tags = [("category", category), ("path", path), ("probe_type", probe), ("target", target)]
    return "latency," + ",".join(f"{k}={escape_tag(v)}" for k, v in tags) + " " + ",".join(f"{k}={v}" for k, v in fields) + f" {ts}"


def dns_point(rng, target, path, resolver, base_ms, pings, ts):
    lost = sum(1 for _ in range(pings) if rng.random() < 0.01)
    got = sorted(round(base_ms + rng.expovariate(1 / 2.0)) * 1.0 for _ in range(pings - lost))  # dig: whole ms
    fields = []
    if got:
        fields.append(("resolution_time", fmt(got[len(got) // 2])))
        fields.append(("median", fmt(got[len(got) // 2])))
    fields.append(("loss", fmt(100.0 * lost / pings)))
    fields.append(("lost", fmt(float(lost))))
    fields.append(("pings", f"{pings}i"))
    slots = [None] * (lost // 2) + got + [None] * (lost - lost // 2)
    for index, value in enumerate(slots, start=1):
        if value is not None:
            fields.append((f"ping_{index}", fmt(value)))
    tags = [("category", "DNS"), ("path", path), ("probe_type", "dns"), ("resolver", resolver), ("target", target)]
    return "dns_latency," + ",".join(f"{k}={escape_tag(v)}" for k, v in tags) + " " + ",".join(f"{k}={v}" for k, v in fields) + f" {ts}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--days", type=float, default=1)
    parser.add_argument("--targets", type=int, default=6)
    parser.add_argument("--start", type=int, default=1764374400)  # 2025-11-29 00:00 UTC
    parser.add_argument("--seed", type=int, default=300)
    parser.add_argument("--outage", default=None, help="TARGET:FIRST_STEP:STEPS — that target loses every ping")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    categories = ["Core", "Edge", "Peers", "Customers"]
    targets = []
    for index in range(args.targets):
        category = categories[index % len(categories)]
        name = f"router-{index + 1:03d}"
        probe = "fping6" if index % 5 == 4 else "fping"
        targets.append((name, f"{category}/{name}", category, probe, 2.0 + (index * 7.3) % 60))
    steps = int(args.days * 288)
    outage = tuple(int(x) for x in args.outage.split(":")) if args.outage else (-1, 0, 0)
    with open(args.out, "w") as out:
        for step in range(steps):
            ts = (args.start + step * 300 + 53) * 1_000_000_000
            for index, (name, path, category, probe, base) in enumerate(targets):
                down = index == outage[0] and outage[1] <= step < outage[1] + outage[2]
                out.write(latency_point(rng, name, path, category, probe, base, 20, ts, down) + "\n")
            for resolver, base in (("resolver-a", 8.0), ("resolver-b", 15.0)):
                out.write(dns_point(rng, f"dns-{resolver}", f"DNS/{resolver}", resolver, base, 5, ts) + "\n")


if __name__ == "__main__":
    main()
