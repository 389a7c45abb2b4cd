#!/usr/bin/env python3
"""The Python peer of the encode benchmark: influxdb-client's Point serializer on the same
SmokePing latency points as Benchmarks/smokeflow-bench (built outside the timing)."""
import sys
import time

from influxdb_client import Point, WritePrecision


def latency_point(index):
    base = 10.0 + (index % 50) * 0.37
    point = (
        Point("latency")
        .tag("target", f"router-{index % 200}")
        .tag("probe_type", "fping")
        .tag("category", "Core")
        .field("median", base + 10 * 0.0123456789)
        .field("loss", (index % 20) * 5.0)
    )
    for ping in range(1, 21):
        point = point.field(f"ping_{ping}", base + ping * 0.0123456789)
    return point.time(1_764_374_400_000_000_000 + (index // 200) * 300_000_000_000, WritePrecision.NS)


def main():
    if sys.argv[1:2] == ["dump"]:
        count = int(sys.argv[2]) if len(sys.argv) > 2 else 10
        for index in range(count):
            print(latency_point(index).to_line_protocol())
        return
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    points = [latency_point(index) for index in range(count)]
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for point in points:
            point.to_line_protocol()
        best = min(best, time.perf_counter() - start)
    print(f"python_encode_points_per_second {int(count / best)} points/s")


if __name__ == "__main__":
    main()
