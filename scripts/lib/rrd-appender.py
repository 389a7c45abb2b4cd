#!/usr/bin/env python3
"""Appends SmokePing rounds to every .rrd file under a tree, one row per file every
--interval seconds, through one `rrdtool -` process (rrdtool's own update, as SmokePing
writes), each row one step after the file's last update. Deterministic values (seeded by
file and stamp). Runs until SIGTERM; its last line says how many rows it wrote.

Usage: rrd-appender.py TREE [--interval 0.1] [--rows N]
"""
import argparse
import os
import random
import signal
import subprocess
import sys
import time

STEP = 300


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("tree")
    parser.add_argument("--interval", type=float, default=0.1)
    parser.add_argument("--rows", type=int, default=0, help="stop after this many rows per file (0: never)")
    args = parser.parse_args()
    files = sorted(os.path.join(d, f) for d, _, names in os.walk(args.tree) for f in names if f.endswith(".rrd"))
    last = {}
    for path in files:
        out = subprocess.run(["rrdtool", "last", path], capture_output=True, text=True, check=True)
        last[path] = int(out.stdout.strip())
    pings = {}
    for path in files:
        info = subprocess.run(["rrdtool", "info", path], capture_output=True, text=True, check=True).stdout
        pings[path] = sum(1 for line in info.splitlines() if line.startswith("ds[ping") and line.endswith(".type = \"GAUGE\""))
    stop = {"now": False}
    signal.signal(signal.SIGTERM, lambda *_: stop.__setitem__("now", True))
    rrd = subprocess.Popen(["rrdtool", "-"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    written = 0
    rounds = 0
    while not stop["now"] and (args.rows == 0 or rounds < args.rows):
        for path in files:
            stamp = last[path] + STEP
            rng = random.Random(f"{path}:{stamp}")
            n = pings[path]
            lost = 0 if rng.random() < 0.9 else rng.randint(1, n)
            times = sorted(rng.uniform(0.005, 0.08) for _ in range(n - lost))
            values = ["U"] * (lost // 2) + [f"{t:.10e}" for t in times] + ["U"] * (lost - lost // 2)
            median = f"{times[len(times) // 2]:.10e}" if times else "U"
            rrd.stdin.write(f"update {path} {stamp}:{rng.randint(1000, 99999)}:{lost}:{median}:{':'.join(values)}\n")
            last[path] = stamp
            written += 1
        rrd.stdin.flush()
        rounds += 1
        time.sleep(args.interval)
    rrd.stdin.write("quit\n")
    rrd.stdin.close()
    rrd.wait()
    print(f"wrote {written} rows to {len(files)} files", flush=True)


if __name__ == "__main__":
    main()
