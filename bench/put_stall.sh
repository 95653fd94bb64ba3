#!/bin/bash
# What a large local `vesta exec --put` costs the rest of vestad, and how a put too large for the
# cache is refused. Figures, not pass/fail.
#   bench/put_stall.sh [SIZE]     (default 2G; a sparse file, so it costs no disk to make)
# One vestad on a private bus (beacons on 127.255.255.255 only). While `vesta exec --local --put
# big -- true` runs, a loop of busctl get-property calls (every 50 ms) records the longest round
# trip: how long the event loop could not answer D-Bus (and so links and beacons). Then a node
# with exec_cache_mb 10 is sent the same file and must refuse it without caching a byte.
# VESTAD=path and VESTA=path pick other builds (for before/after).
cd "$(dirname "$0")/.."
source bench/lib.sh
size=${1:-2G}
VESTAD=${VESTAD:-build/daemon/vestad}
VESTA=${VESTA:-build/cli/vesta}
VESTAD=$(realpath "$VESTAD") VESTA=$(realpath "$VESTA")  # the run works in its scratch dir
bench_bus
dport=$((30000 + RANDOM % 10000))
start() {  # start NAME CACHE_MB
  "$VESTAD" -name "$1" -key bench-federation-key-put-stall -state-dir "$work/state-$1" \
    -port $((dport + 1 + ${#PIDS_TO_KILL[@]})) -dport "$dport" -broadcast 127.255.255.255 \
    -bus "$VESTA_BUS" -allow-exec -exec-cache-mb "$2" >>"$work/$1.log" 2>&1 &
  PIDS_TO_KILL+=("$!")
  until busctl --address="$VESTA_BUS" status "org.vesta.Vestad1.Node.$1" >/dev/null 2>&1; do sleep 0.1; done
}
now_ms() { date +%s%3N; }
truncate -s "$size" "$work/big"
cd "$work"

start roomy 8192
"$VESTA" -node roomy exec --local --put big -- true >put.out 2>&1 &
put=$!
longest=0 calls=0 t0=$(now_ms)
while kill -0 "$put" 2>/dev/null; do
  s=$(now_ms)
  # A call that gets no answer in 60 s counts as a stall of (at least) its whole wait.
  busctl --address="$VESTA_BUS" --timeout=60 get-property org.vesta.Vestad1.Node.roomy \
    /org/vesta/Vestad1 org.vesta.Vestad1.Manager JobsActive >/dev/null 2>&1 || true
  ms=$(($(now_ms) - s))
  calls=$((calls + 1))
  [ "$ms" -gt "$longest" ] && longest=$ms
  sleep 0.05
done
rc=0
wait "$put" || rc=$?
echo "local --put of $size: exit $rc in $(($(now_ms) - t0)) ms; longest of $calls D-Bus round trips meanwhile: $longest ms"

start small 10
s=$(now_ms)
rc=0
"$VESTA" -node small exec --local --put big -- true >refuse.out 2>&1 || rc=$?
echo "--put of $size to exec_cache_mb 10: exit $rc after $(($(now_ms) - s)) ms ($(head -n 1 refuse.out)); its cache holds $(du -sk state-small/cache 2>/dev/null | cut -f1) KiB"
