#!/usr/bin/env python3
"""Prints a fetch plan for every .rrd under CORPUS, for testing fetch_floor and
python_exporter.py (the real benchmark takes its plan from smokeflow, same format):

    PATH<TAB>CF<TAB>START<TAB>END<TAB>RESOLUTION

Per file, with SmokePing's archives (1-step AVERAGE; 12-step and 144-step AVERAGE/MIN/MAX):
  - AVERAGE at the 1-step resolution from `rrdtool first --rraindex` of that archive to
    `rrdtool last`;
  - for each coarser resolution, AVERAGE, MIN and MAX covering the part older than the next
    finer archive: START = its first row time - resolution, END = the finer archive's first
    row time rounded up to the resolution.
Note that rrdtool fetch returns the rows after START, up to END rounded up, plus one more
row when END already is a multiple of the resolution.

Usage: plan.py CORPUS > plan.tsv
"""
import os
import re
import subprocess
import sys


def rrdtool(*args):
    return subprocess.run(["rrdtool", *args], check=True, capture_output=True, text=True).stdout


def archives(path):
    """{pdp_per_row: [(cf, rra index)]} and the base step, from `rrdtool info`."""
    step, rras = None, {}
    for line in rrdtool("info", path).splitlines():
        if line.startswith("step = "):
            step = int(line.split("=")[1])
        match = re.match(r'rra\[(\d+)\]\.(cf|pdp_per_row) = "?([^"]*)"?$', line)
        if match:
            rras.setdefault(int(match[1]), {})[match[2]] = match[3]
    by_steps = {}
    for index, rra in sorted(rras.items()):
        by_steps.setdefault(int(rra["pdp_per_row"]), []).append((rra["cf"], index))
    return step, by_steps


def segments(path):
    step, by_steps = archives(path)
    last = int(rrdtool("last", path))
    finer_first = None
    for pdp_per_row in sorted(by_steps):
        resolution = step * pdp_per_row
        cfs = dict(by_steps[pdp_per_row])
        first = int(rrdtool("first", path, "--rraindex", str(min(cfs.values()))))
        if finer_first is None:
            yield path, "AVERAGE", first, last, resolution
        else:
            end = -(-finer_first // resolution) * resolution
            for cf in ("AVERAGE", "MIN", "MAX"):
                if cf in cfs:
                    yield path, cf, first - resolution, end, resolution
        finer_first = first


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    paths = []
    for root, dirs, files in os.walk(sys.argv[1]):
        dirs.sort()
        paths += [os.path.join(root, name) for name in sorted(files) if name.endswith(".rrd")]
    out = sys.stdout
    for path in paths:
        for segment in segments(path):
            out.write("\t".join(map(str, segment)) + "\n")


if __name__ == "__main__":
    main()
