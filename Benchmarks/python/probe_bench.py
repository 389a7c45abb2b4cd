#!/usr/bin/env python3
"""CPU seconds and peak RSS of probe commands run side by side, for `scripts/bench probe`.
Usage: probe_bench.py PINGS STOP_AFTER together|one-by-one name=command...
Starts every command at once (or each after the previous one ended), output to /dev/null; after
STOP_AFTER seconds (0: never) sends SIGTERM to the commands named `name:stop` still running. Prints each one's CPU seconds (user + system, its children included), CPU seconds
per 10,000 pings, share of one core over its run, peak RSS, and the first against the others."""
import os
import shlex
import signal
import sys
import time


def main():
    pings, stop_after, together = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3] == "together"
    if not together:
        ordered = []
        for spec in sys.argv[4:]:
            ordered += measure(stop_after, [spec])
    else:
        ordered = measure(stop_after, sys.argv[4:])
    for name, elapsed, cpu, rss in ordered:
        print(f"{name}: wall {elapsed:.1f} s, cpu {cpu:.3f} s, cpu per 10k pings {cpu * 10000 / pings:.3f} s, "
              f"{100 * cpu / elapsed:.2f} % of a core, peak rss {rss:.1f} MiB")
    first = ordered[0]
    for other in ordered[1:]:
        print(f"{first[0]}_cpu_vs_{other[0]} {first[2] / max(other[2], 1e-9):.2f}x  "
              f"{first[0]}_rss_vs_{other[0]} {first[3] / max(other[3], 1e-9):.2f}x")


def measure(stop_after, specs):
    started = {}
    for spec in specs:
        name, command = spec.split("=", 1)
        pid = os.fork()
        if pid == 0:
            os.setsid()
            null = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1, 2):
                os.dup2(null, fd)
            args = shlex.split(command)
            os.execvp(args[0], args)
        started[pid] = (name.removesuffix(":stop"), time.perf_counter(), name.endswith(":stop"))
    results = {}
    deadline = time.perf_counter() + stop_after if stop_after > 0 else None
    while len(results) < len(started):
        pid, status, usage = os.wait4(-1, os.WNOHANG)
        if pid == 0:
            if deadline and time.perf_counter() >= deadline:
                for other in started:
                    if other not in results and started[other][2]:
                        os.killpg(other, signal.SIGTERM)
                deadline = None
            time.sleep(0.05)
            continue
        name, start, _ = started[pid]
        results[pid] = (name, time.perf_counter() - start, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)
    return [results[pid] for pid in started]


if __name__ == "__main__":
    main()
