#!/usr/bin/env python3
"""Generates a deterministic SmokePing RRD tree for the RRD backfill benchmark.

OUT/<Category>/<target>.rrd for --targets latency targets (20 pings) spread over a few
categories, plus OUT/DNS/<target>.rrd for --dns-targets DNS targets (5 pings), each covering
--days days of 300 s steps that end at --end. The layout and the update strings are
SmokePing's own (Smokeping.pm): DS uptime, loss, median, ping1..pingN (GAUGE, heartbeat 600),
the upstream default RRAs, updates ~53 s into each step with the received round-trip times
sorted ascending and the lost pings as U, int(lost/2) before and the rest after them.

Uses the python3-rrdtool binding when it can be imported (Debian's lives in /usr/bin/python3),
otherwise batches rows into few `rrdtool update` invocations.

Usage: make-corpus.py [--targets 200] [--dns-targets 10] [--days 100] [--out DIR]
                      [--end 1764374400] [--seed 1] [--jobs NCPU]
"""
import argparse
import math
import multiprocessing
import os
import random
import subprocess
import sys
import time

try:
    import rrdtool
except ImportError:
    rrdtool = None

STEP = 300
OFFSET = 53  # SmokePing updates this far into each step
RRAS = [
    "RRA:AVERAGE:0.5:1:28800",
    "RRA:AVERAGE:0.5:12:9600",
    "RRA:MIN:0.5:12:9600",
    "RRA:MAX:0.5:12:9600",
    "RRA:AVERAGE:0.5:144:2400",
    "RRA:MAX:0.5:144:2400",
    "RRA:MIN:0.5:144:2400",
]
CATEGORIES = ["Europe", "NorthAmerica", "Asia", "Internal"]
ROWS_PER_UPDATE = 1000


def create_args(path, start, pings):
    ds = ["DS:uptime:GAUGE:600:0:U", f"DS:loss:GAUGE:600:0:{pings}", "DS:median:GAUGE:600:0:U"]
    ds += [f"DS:ping{i}:GAUGE:600:0:U" for i in range(1, pings + 1)]
    return [path, "--start", str(start), "--step", str(STEP), *ds, *RRAS]


def template(pings):
    return "uptime:loss:median:" + ":".join(f"ping{i}" for i in range(1, pings + 1))


def rows(rng, pings, dns, first_step, steps):
    """Yields SmokePing update strings, one per step."""
    if dns:
        base = math.exp(rng.uniform(math.log(0.004), math.log(0.060)))
        loss_p = rng.uniform(0.0, 0.02)
    else:
        base = math.exp(rng.uniform(math.log(0.002), math.log(0.100)))
        loss_p = rng.uniform(0.0, 0.04)  # ~2% on average over the targets
    jitter = base * rng.uniform(0.01, 0.08)
    phase = rng.uniform(0, 2 * math.pi)
    busy = rng.uniform(0.0, 0.3)  # how much the evening peak adds
    outage_left = 0
    gauss, random_, expo = rng.gauss, rng.random, rng.expovariate
    all_lost_tail = ":U:%d:U:" % pings + ":".join(["U"] * pings)
    for k in range(steps):
        step_start = first_step + k * STEP
        t = step_start + OFFSET
        if outage_left == 0 and random_() < 0.0008:
            outage_left = rng.randint(1, 12)
        if outage_left:
            outage_left -= 1
            yield "%d%s" % (t, all_lost_tail)
            continue
        day = 2 * math.pi * (step_start % 86400) / 86400
        level = base * (1 + busy * max(0.0, math.sin(day + phase)))
        times = []
        for _ in range(pings):
            if random_() < loss_p:
                continue
            rtt = level + abs(gauss(0.0, jitter))
            if random_() < 0.01:
                rtt += expo(1.0 / (5 * base))  # occasional spike
            times.append(rtt)
        lost = pings - len(times)
        if not times:
            yield "%d%s" % (t, all_lost_tail)
            continue
        times.sort()
        before = lost // 2
        values = ["U"] * before + ["%.10e" % x for x in times] + ["U"] * (lost - before)
        yield "%d:U:%d:%.10e:%s" % (t, lost, times[len(times) // 2], ":".join(values))


def make_file(job):
    out, rel, pings, dns, end, days, seed = job
    path = os.path.join(out, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    first_step = end - days * 86400
    steps = days * 86400 // STEP
    rng = random.Random(f"{seed}:{rel}")
    tpl = template(pings)
    if rrdtool is not None:
        rrdtool.create(*create_args(path, first_step, pings))
    else:
        subprocess.run(["rrdtool", "create", *create_args(path, first_step, pings)], check=True)
    batch = []

    def flush():
        if rrdtool is not None:
            rrdtool.update(path, "--template", tpl, *batch)
        else:
            subprocess.run(["rrdtool", "update", path, "--template", tpl, *batch], check=True)
        batch.clear()

    for row in rows(rng, pings, dns, first_step, steps):
        batch.append(row)
        if len(batch) >= ROWS_PER_UPDATE:
            flush()
    if batch:
        flush()
    return steps, os.path.getsize(path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--targets", type=int, default=200, help="latency targets, 20 pings")
    parser.add_argument("--dns-targets", type=int, default=10, help="DNS targets, 5 pings")
    parser.add_argument("--days", type=int, default=100)
    parser.add_argument("--out", default="rrd-corpus")
    parser.add_argument("--end", type=int, default=1764374400, help="multiple of 300")
    parser.add_argument("--seed", default="1")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    if args.end % STEP:
        sys.exit("--end must be a multiple of 300")

    jobs = []
    for i in range(args.targets):
        category = CATEGORIES[i % len(CATEGORIES)]
        jobs.append((args.out, f"{category}/host{i + 1:03d}.rrd", 20, False, args.end, args.days, args.seed))
    for i in range(args.dns_targets):
        jobs.append((args.out, f"DNS/dns{i + 1:02d}.rrd", 5, True, args.end, args.days, args.seed))

    started = time.perf_counter()
    if args.jobs > 1 and len(jobs) > 1:
        with multiprocessing.Pool(args.jobs) as pool:
            results = pool.map(make_file, jobs, chunksize=1)
    else:
        results = [make_file(job) for job in jobs]
    elapsed = time.perf_counter() - started
    total_rows = sum(r[0] for r in results)
    total_bytes = sum(r[1] for r in results)
    how = "python3-rrdtool" if rrdtool is not None else "rrdtool update"
    print(f"wrote {len(jobs)} files under {args.out}: {total_rows} updates, "
          f"{total_bytes / 1e6:.1f} MB, via {how}, {args.jobs} jobs, in {elapsed:.2f} s")


if __name__ == "__main__":
    main()
