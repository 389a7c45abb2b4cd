#!/usr/bin/env python3
"""Times commands (best of N wall-clock runs, peak RSS) and prints each against the first.
Usage: timeit.py N name=command... """
import os
import resource
import shlex
import subprocess
import sys
import time


def run(command):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        args = shlex.split(command)
        os.execvp(args[0], args)
    _, status, usage = os.wait4(pid, 0)
    elapsed = time.perf_counter() - start
    if status != 0:
        sys.exit(f"{command!r} failed with status {status}")
    return elapsed, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def main():
    rounds = int(sys.argv[1])
    results = []
    for spec in sys.argv[2:]:
        name, command = spec.split("=", 1)
        runs = [run(command) for _ in range(rounds)]
        best = min(runs, key=lambda r: r[0])
        results.append((name, best))
        print(f"{name}_seconds {best[0]:.3f} s (cpu {best[2]:.2f} s, peak rss {best[1]:.0f} MiB)")
    baseline = results[0][1][0]
    for name, best in results[1:]:
        print(f"{name}_vs_{results[0][0]} {best[0] / baseline:.2f}x")


if __name__ == "__main__":
    main()
