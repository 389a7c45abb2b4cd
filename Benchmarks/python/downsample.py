#!/usr/bin/env python3
"""The downsample benchmark's peer: the same rounds as smokeflow-bench's benchRound, rolled up
per series into hourly windows the straightforward Python way (mean/min/max/count of median,
nearest-rank percentiles of the pooled pings, loss from sums). Times aggregation only.
Usage: downsample.py [SERIES] [ROUNDS]"""
import math
import sys
import time

HOUR = 3_600_000_000_000
PERCENTILES = [5, 10, 25, 50, 75, 90, 95]


def round_point(series, rnd):
    base = 10.0 + (series % 50) * 0.37 + (rnd % 7) * 0.05
    lost = 2 if (series + rnd) % 20 == 0 else 0
    received = [base + i * 0.0123456789 * (1 + (series + rnd) % 3) for i in range(1, 21 - lost)]
    fields = {"median": received[len(received) // 2]}
    for index, value in enumerate(received):
        fields[f"ping_{index + 1}"] = value
    fields.update(loss=lost * 5.0, lost=float(lost), pings=20)
    tags = (("category", f"C{series % 10}"), ("path", f"C{series % 10}/t{series}"), ("probe_type", "fping"), ("target", f"t{series}"))
    return "latency", tags, fields, 1_764_374_400_000_000_000 + rnd * 300_000_000_000 + 53_000_000_000


def emit(window):
    out = {}
    medians = window["median"]
    if medians:
        out.update(median=sum(medians) / len(medians), median_min=min(medians), median_max=max(medians), median_count=len(medians))
    pooled = sorted(window["pooled"])
    for p in PERCENTILES:
        i = int(math.floor(len(pooled) * p / 100 + 0.5)) - 1
        if 0 <= i < len(pooled):
            out[f"ping_p{p}"] = pooled[i]
    if window["pings"]:
        out["loss"] = 100 * window["lost"] / window["pings"]
    return out


def main():
    series = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 36
    state = {}  # (measurement, tags) -> {window index: accumulator}
    newest = {}
    elapsed = 0.0
    checksum = 0.0
    windows = 0
    for rnd in range(rounds):
        batch = [round_point(s, rnd) for s in range(series)]
        start = time.perf_counter()
        for measurement, tags, fields, ts in batch:
            key = (measurement, tags)
            index = ts // HOUR
            windows_of = state.setdefault(key, {})
            w = windows_of.get(index)
            if w is None:
                w = windows_of[index] = {"median": [], "pooled": [], "lost": 0.0, "pings": 0, "lost_values": []}
            if "median" in fields:
                w["median"].append(fields["median"])
            for name, value in fields.items():
                if name.startswith("ping_"):
                    w["pooled"].append(value)
            w["lost"] += fields["lost"]
            w["pings"] += fields["pings"]
            newest[key] = max(newest.get(key, ts), ts)
            for old in [i for i in windows_of if i < newest[key] // HOUR]:
                out = emit(windows_of.pop(old))
                windows += 1
                checksum += out.get("median", 0.0)
        elapsed += time.perf_counter() - start
    for windows_of in state.values():
        for w in windows_of.values():
            windows += 1
            checksum += emit(w).get("median", 0.0)
    print(f"python_points_per_second {int(series * rounds / elapsed)} points/s")
    print(f"python_windows {windows} checksum {checksum:.6f}")


if __name__ == "__main__":
    main()
