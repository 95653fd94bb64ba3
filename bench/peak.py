#!/usr/bin/env python3
"""Runs a command and prints its peak resident memory (VmHWM of /proc/PID/status: monotonic,
and reset by exec, so it is the program's own and not the forking Python's) and the most
descriptors it held open at once (/proc/PID/fd), both sampled every 20 ms, with its wall time.
Usage: peak.py command [args...]   (output discarded)"""
import os
import subprocess
import sys
import time

start = time.perf_counter()
p = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
most_fds, hwm_kib = 0, 0
while p.poll() is None:
    try:
        most_fds = max(most_fds, len(os.listdir(f"/proc/{p.pid}/fd")))
        with open(f"/proc/{p.pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    hwm_kib = max(hwm_kib, int(line.split()[1]))
    except (OSError, ValueError):
        pass  # it ended between poll and the reads
    time.sleep(0.02)
took = time.perf_counter() - start
err = p.stderr.read().decode()
# The figures stand whatever the exit status (a fan-out with a failed job still ran them all);
# the status and the end of stderr follow them.
failed = f" (exit {p.returncode}: {err.strip()[-200:]})" if p.returncode else ""
print(f"VmHWM {hwm_kib / 1024:.1f} MiB, at most {most_fds} descriptors, {took:.2f} s{failed}")
