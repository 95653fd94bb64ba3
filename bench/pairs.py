#!/usr/bin/env python3
"""Times two commands interleaved (A, B, A, B, ...) N times each, so that on a shared machine
both see the same load, and prints each one's median wall time in ms (min, max) and the median
of the per-pair ratios A/B. Usage: pairs.py N commandA [args...] --vs-- commandB [args...]
(outputs discarded; a failure aborts)"""
import statistics
import subprocess
import sys
import time

n = int(sys.argv[1])
split = sys.argv.index("--vs--", 2)
cmds = [sys.argv[2:split], sys.argv[split + 1:]]


def once(cmd):
    start = time.perf_counter()
    r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    took = (time.perf_counter() - start) * 1000
    if r.returncode != 0:
        sys.exit(f"pairs: {' '.join(cmd)} failed ({r.returncode}): {r.stderr.decode()[-300:]}")
    return took


for cmd in cmds:  # warm both: caches, the ControlMaster, vestad's first job
    once(cmd)
times = [[], []]
for i in range(n):
    order = (0, 1) if i % 2 == 0 else (1, 0)
    for k in order:
        times[k].append(once(cmds[k]))
ratios = [a / b for a, b in zip(*times)]
fmt = lambda t: f"{statistics.median(t):.2f} ({min(t):.2f}, {max(t):.2f})"
print(f"{fmt(times[0])} | {fmt(times[1])} | ratio {statistics.median(ratios):.2f}")
