#!/bin/bash
# Re-link time of a member restarted while the link port it dials is flooded by connections that
# never send a byte (anyone on the LAN can do this without the key). Figures, not pass/fail.
#   bench/relink_flood.sh [runs] [flood_per_s] [held_per_port]   (default 3 300 200)
# Two vestad on loopback (beacons on 127.255.255.255 only); of a pair the lower fingerprint
# dials. The flood (tests/integration/link_flood.py) keeps HELD silent connections open at the
# acceptor's link port, reopening each as it is closed, at most FLOOD_PER_S new ones a second.
# Each run kills the dialler with -9, starts it again on its port and identity, and times from
# that start to it listing the acceptor's link as up; a run gives up after 60 s ("> 60000 ms").
# VESTAD=path picks another vestad (for before/after).
cd "$(dirname "$0")/.."
source bench/lib.sh
runs=${1:-3} rate=${2:-300} held=${3:-200}
VESTAD=${VESTAD:-build/daemon/vestad}
VESTA=${VESTA:-build/cli/vesta}
bench_bus
now_ms() { date +%s%3N; }
dport=$((30000 + RANDOM % 10000))
aport=$((dport + 1)) bport=$((dport + 2))
start() {  # start NAME PORT
  "$VESTAD" -name "$1" -key bench-federation-key-relink -state-dir "$work/state-$1" -port "$2" \
    -broadcast 127.255.255.255 -dport "$dport" -bus "$VESTA_BUS" >>"$work/$1.log" 2>&1 &
  echo $! >"$work/$1.pid"
  PIDS_TO_KILL+=("$!")
}
linked() {  # linked NAME PEER: NAME lists PEER's link as up
  "$VESTA" -node "$1" --json peers 2>/dev/null |
    python3 -c "import json,sys; sys.exit(0 if any(p['name'] == '$2' and p['link'] == 'up' for p in json.load(sys.stdin)['peers']) else 1)" 2>/dev/null
}
wait_linked() {  # sets T: ms until the dialler lists the acceptor's link up, or "> 60000"
  local t0=$1
  while ! linked "$dialler" "$acceptor"; do
    if [ $(($(now_ms) - t0)) -gt 60000 ]; then T="> 60000"; return; fi
    sleep 0.05
  done
  T=$(($(now_ms) - t0))
}
start alpha "$aport"
start beta "$bport"
until linked beta alpha; do sleep 0.1; done
fp_of() { "$VESTA" -node "$1" --json status | python3 -c 'import json,sys; print(json.load(sys.stdin)["node"]["fingerprint"])'; }
if [[ "$(fp_of alpha)" < "$(fp_of beta)" ]]; then
  dialler=alpha dport_d=$aport acceptor=beta port_a=$bport
else
  dialler=beta dport_d=$bport acceptor=alpha port_a=$aport
fi

restart_dialler() {
  kill -9 "$(cat "$work/$dialler.pid")"
  wait "$(cat "$work/$dialler.pid")" 2>/dev/null || true
  local t0
  t0=$(now_ms)
  start "$dialler" "$dport_d"
  wait_linked "$t0"
}
restart_dialler
echo "no flood: $dialler (the dialler) re-links to $acceptor in $T ms"
python3 tests/integration/link_flood.py $((runs * 70 + 10)) "$rate" "$held" "$port_a" \
  >"$work/flood.out" 2>&1 &
flood=$!
PIDS_TO_KILL+=("$flood")
sleep 3  # the flood at full strength before the first restart
times=()
for run in $(seq "$runs"); do
  restart_dialler
  echo "run $run, flood of $rate connections/s, $held held: $dialler re-links in $T ms"
  times+=("${T// /}")
  sleep 2
done
kill "$flood" 2>/dev/null || true
refused=$("$VESTA" -node "$acceptor" --json status | python3 -c 'import json,sys; print(json.load(sys.stdin)["dropped"]["link_refused"])')
echo "$acceptor closed $refused flood connections"
median() { printf '%s\n' "$@" | sed 's/>//' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "median over $runs runs: re-link under the flood $(median "${times[@]}") ms"
