#!/bin/bash
# Discovery and failure-detection times in network namespaces (root). Figures, not pass/fail.
#   bench/discovery.sh [runs]   (default 5): prints each run and the medians.
# Four hosts on a bridge, beacons every 1000 ms (the default). "Full view": from starting the four
# vestad to every node listing the three others as alive. "Cut to dead": from `ip link set down`
# on one host to another host listing it dead. Polls every 20 ms.
cd "$(dirname "$0")/.."
source bench/lib.sh
[ "$(id -u)" -eq 0 ] || { echo "needs root (ip netns)"; exit 1; }
runs=${1:-5}
bench_bus
now_ms() { date +%s%3N; }
alive_count() { build/cli/vesta -node "$1" --json peers 2>/dev/null | grep -o '"state":"alive"' | wc -l; }
state_of() { build/cli/vesta -node "$1" --json peers 2>/dev/null | python3 -c "import json,sys; print([p['state'] for p in json.load(sys.stdin)['peers'] if p['name'] == '$2'][0])"; }

bench_bridge_hosts 10.214.1 4

views=() deads=()
for run in $(seq "$runs"); do
  start=$(now_ms)
  for i in 1 2 3 4; do
    ip netns exec "${NS}$i" build/daemon/vestad -name "h$i" -key bench-federation-key-0000 \
      -state-dir "$work/state" -bus "$VESTA_BUS" 2>/dev/null &
    echo $! >"$work/h$i.pid"
  done
  until [ "$(alive_count h1)" -eq 3 ] && [ "$(alive_count h2)" -eq 3 ] &&
        [ "$(alive_count h3)" -eq 3 ] && [ "$(alive_count h4)" -eq 3 ]; do sleep 0.02; done
  view=$(($(now_ms) - start))
  if [ "$run" -eq 1 ]; then
    # False alarms under load: every core pinned by h1's stress for 10 s while h2 watches h1.
    build/cli/vesta -node h1 stress 0 10 >/dev/null
    alarms=0
    end=$(($(now_ms) + 10000))
    while [ "$(now_ms)" -lt "$end" ]; do
      [ "$(state_of h2 h1)" != alive ] && alarms=$((alarms + 1))
      sleep 0.05
    done
    echo "run 1: all cores pinned for 10 s: $alarms polls saw h1 not alive (false alarms)"
  fi
  sleep 1.5  # let a few beacons pass, so the cut falls at a random point between two
  cut=$(now_ms)
  ip -n "${NS}4" link set "${NS}4a" down
  until [ "$(state_of h1 h4)" = dead ]; do sleep 0.02; done
  dead=$(($(now_ms) - cut))
  echo "run $run: full view in ${view} ms, cut to dead in ${dead} ms"
  views+=("$view") deads+=("$dead")
  for i in 1 2 3 4; do kill "$(cat "$work/h$i.pid")"; done
  wait 2>/dev/null || true
  ip -n "${NS}4" link set "${NS}4a" up
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "median over $runs runs: full view $(median "${views[@]}") ms (seed: ~5 s, target < 2 s), cut to dead $(median "${deads[@]}") ms (target < 3 s)"
