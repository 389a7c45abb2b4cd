#!/usr/bin/env python3
"""Runs commands at once and waits for all: wall time, CPU summed over them, peak RSS of the
largest. Usage: parallel.py name command [command...]   (prints NAME_seconds, NAME_cpu_seconds)"""
import os
import shlex
import sys
import time


def main():
    name, commands = sys.argv[1], sys.argv[2:]
    start = time.perf_counter()
    children = []
    for command in commands:
        pid = os.fork()
        if pid == 0:
            args = shlex.split(command)
            os.execvp(args[0], args)
        children.append(pid)
    cpu, rss = 0.0, 0.0
    for pid in children:
        _, status, usage = os.wait4(pid, 0)
        if status != 0:
            sys.exit(f"{name}: a command failed with status {status}")
        cpu += usage.ru_utime + usage.ru_stime
        rss = max(rss, usage.ru_maxrss / 1024)
    elapsed = time.perf_counter() - start
    print(f"{name}_seconds {elapsed:.3f} s (cpu {cpu:.2f} s over {len(commands)} process(es), peak rss {rss:.0f} MiB)")


if __name__ == "__main__":
    main()
