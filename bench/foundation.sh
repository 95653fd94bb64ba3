#!/bin/bash
# Foundation figures: the cpu job's hashing rate per worker next to OpenSSL's single-block SHA-256
# rate, and vestad's idle footprint. Figures, not pass/fail. Needs a build in ./build.
# Usage: bench/foundation.sh [idle-seconds]   (default 60)
cd "$(dirname "$0")/.."
source bench/lib.sh
idle=${1:-60}
bench_bus
build/daemon/vestad -name bench -key bench-federation-key-0000 -state-dir "$work/state" \
  -broadcast 127.255.255.255 -workers 1 2>"$work/vestad.log" &
pid=$!
PIDS_TO_KILL+=("$pid")
for _ in $(seq 100); do build/cli/vesta status >/dev/null 2>&1 && break; sleep 0.1; done

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
rates=()
for _ in 1 2 3; do
  rates+=("$(build/cli/vesta --json cpu 100 | python3 -c 'import json,sys; print(json.load(sys.stdin)["iterations_per_s"])')")
done
vesta_rate=$(printf '%s\n' "${rates[@]}" | sort -n | sed -n 2p)
# openssl speed prints bytes/s for 16-byte inputs; one SHA-256 block per call, like our 40 bytes.
ossl_bytes=$(openssl speed -seconds 3 -evp sha256 -bytes 16 2>/dev/null | awk '/^sha256/ {print $2}' | tr -d k)
ossl_rate=$(python3 -c "print(float('$ossl_bytes') * 1000 / 16)")
python3 - "$vesta_rate" "$ossl_rate" <<'PY'
import sys
v, o = float(sys.argv[1]), float(sys.argv[2])
print(f"vesta cpu, 1 worker (median of 3 x 100M): {v/1e6:.2f} M it/s")
print(f"openssl speed -evp sha256 -bytes 16:       {o/1e6:.2f} M hashes/s")
print(f"ratio vesta/openssl:                        {v/o:.2f}")
PY

# CPU time in ns of every thread (schedstat), finer than /proc/PID/stat's 10 ms ticks.
cpu_ns() { cat "/proc/$1"/task/*/schedstat | awk '{s += $1} END {print s}'; }
ticks() { cpu_ns "$pid"; }
before=$(ticks)
sleep "$idle"
after=$(ticks)
rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
python3 -c "print(f'vestad idle over $idle s: RSS {$rss/1024:.1f} MiB, CPU {($after-$before)/1e9/$idle*100:.3f}% of a core')"
