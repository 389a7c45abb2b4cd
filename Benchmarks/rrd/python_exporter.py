#!/usr/bin/env python3
"""The Python peer of the RRD backfill: a SmokePing RRD exporter written the common way
(`rrdtool fetch` in a subprocess, its text output parsed, influxdb-client Points serialized).

Reads the plan from stdin, one segment per line: PATH<TAB>CF<TAB>START<TAB>END<TAB>RESOLUTION
Writes line protocol (seconds) to OUT and prints `points N`.

Usage: python_exporter.py CORPUS_ROOT OUT < plan.tsv
"""
import math
import os
import subprocess
import sys

from influxdb_client import Point, WritePrecision


def fetch(path, cf, start, end, resolution):
    """Runs `rrdtool fetch` and returns (ds names, [(time, [values])])."""
    result = subprocess.run(
        ["rrdtool", "fetch", path, cf, "-r", resolution, "-s", start, "-e", end],
        capture_output=True, text=True, check=True)
    lines = result.stdout.splitlines()
    names = lines[0].split()
    rows = []
    for line in lines[1:]:
        if not line.strip():
            continue
        stamp, _, rest = line.partition(":")
        values = [float(v) for v in rest.split()]  # "-nan"/"nan" parse to NaN
        rows.append((int(stamp), values))
    return names, rows


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    root, out_path = sys.argv[1], sys.argv[2]
    points = 0
    with open(out_path, "w") as out:
        for line in sys.stdin:
            line = line.rstrip("\n")
            if not line:
                continue
            path, cf, start, end, resolution = line.split("\t")
            relative = os.path.relpath(path, root)
            if relative.endswith(".rrd"):
                relative = relative[:-4]
            target = os.path.basename(relative)
            category = relative.split(os.sep)[0]

            names, rows = fetch(path, cf, start, end, resolution)
            ping_columns = [(i, n) for i, n in enumerate(names) if n.startswith("ping")]
            pings = len(ping_columns)
            median_column = names.index("median")
            loss_column = names.index("loss")

            resolution_seconds = int(resolution)
            # Like smokeflow: consolidated rows in their own measurement, MIN/MAX as suffixed fields.
            measurement = "latency" if resolution_seconds == 300 else "latency_%dh" % (resolution_seconds // 3600)
            suffix = "" if cf == "AVERAGE" else "_" + cf.lower()
            for stamp, values in rows:
                if not (int(start) < stamp <= int(end)):
                    continue
                point = (
                    Point(measurement)
                    .tag("target", target)
                    .tag("path", relative)
                    .tag("probe_type", "fping")
                    .tag("category", category)
                )
                known = False
                median = values[median_column]
                if not math.isnan(median):
                    point.field("median" + suffix, median * 1000)
                    known = True
                loss = values[loss_column]
                if not math.isnan(loss):
                    point.field("loss" + suffix, loss / pings * 100)
                    point.field("lost" + suffix, float(loss))
                    known = True
                for column, name in ping_columns:
                    value = values[column]
                    if not math.isnan(value):
                        point.field("ping_" + name[4:] + suffix, value * 1000)
                        known = True
                if not known:
                    continue
                point.field("pings", int(pings))
                point.time(stamp, WritePrecision.S)
                out.write(point.to_line_protocol() + "\n")
                points += 1
    print(f"points {points}")


if __name__ == "__main__":
    main()
