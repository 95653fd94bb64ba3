#!/usr/bin/env python3
"""Runs a command N times and prints the median wall time in milliseconds (and min, max).
Usage: timeit.py N command [args...]   (the command's output is discarded; a failure aborts)"""
import statistics
import subprocess
import sys
import time

n = int(sys.argv[1])
cmd = sys.argv[2:]
times = []
for _ in range(n):
    start = time.perf_counter()
    r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    times.append((time.perf_counter() - start) * 1000)
    if r.returncode != 0:
        sys.exit(f"timeit: {' '.join(cmd)} failed ({r.returncode}): {r.stderr.decode()[-300:]}")
print(f"{statistics.median(times):.2f} {min(times):.2f} {max(times):.2f}")
