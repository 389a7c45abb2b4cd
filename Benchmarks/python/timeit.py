#!/usr/bin/env python3
"""Times commands (best of N wall-clock runs, peak RSS) and prints the first against each other.
Usage: timeit.py N name=command...   (name:1=command runs that one only once)"""
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
        count = rounds
        if name.endswith(":1"):
            name, count = name[:-2], 1
        runs = [run(command) for _ in range(count)]
        best = min(runs, key=lambda r: r[0])
        results.append((name, best))
        print(f"{name}_seconds {best[0]:.3f} s (cpu {best[2]:.2f} s, peak rss {best[1]:.0f} MiB)")
    first_name, first = results[0]
    for name, best in results[1:]:
        print(f"{first_name}_vs_{name} {first[0] / best[0]:.2f}x  ({name}_vs_{first_name} {best[0] / first[0]:.2f}x)")


if __name__ == "__main__":
    main()
