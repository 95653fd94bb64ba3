#!/bin/bash
# The main job: installs the build dependencies, builds, starts a three-node federation on a
# private D-Bus and loopback (no root, no systemd, nothing left behind), and shows the autopilot
# at work: a large job split over three nodes, a job spilling off a stressed node, the flows
# while work runs, and piwork.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/deps.sh
[ -d build ] || meson setup build --wrap-mode=nodownload >/dev/null
ninja -C build >/dev/null

work=$(mktemp -d /tmp/vesta-demo-XXXXXX)
cleanup() {
  [ -f "$work/vestad.pid" ] && kill $(cat "$work/vestad.pid") 2>/dev/null && sleep 0.3
  [ -f "$work/dbus.pid" ] && kill "$(cat "$work/dbus.pid")" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

dbus-daemon --session --fork --address="unix:path=$work/bus" \
  --print-address=3 --print-pid=4 3>"$work/bus.address" 4>"$work/dbus.pid"
export VESTA_BUS
VESTA_BUS=$(cat "$work/bus.address")
vesta() { build/cli/vesta "$@"; }

# One machine plays three. desk measures it for real; pi4 and laptop read pretend /proc trees
# (-sysroot): an idle 4-core Pi with 4 GB and an idle 2-core laptop, so that stressing desk
# does not make them look busy too. Their work still runs on this machine's CPU.
fake_machine() {  # fake_machine DIR CORES AVAILABLE_MB
  mkdir -p "$1/proc" "$1/sys/class/power_supply"
  {
    echo "cpu  100 0 100 $(($2 * 1000)) 0 0 0 0 0 0"
    for ((i = 0; i < $2; i++)); do echo "cpu$i 25 0 25 1000 0 0 0 0 0 0"; done
  } >"$1/proc/stat"
  printf 'MemTotal: %d kB\nMemAvailable: %d kB\n' $(($3 * 2048)) $(($3 * 1024)) >"$1/proc/meminfo"
}
fake_machine "$work/pi4" 4 4000
fake_machine "$work/laptop" 2 1500

# Beacons stay on loopback (-broadcast 127.255.255.255): the demo never broadcasts on this
# machine's real network.
# piwork is "installed" on every node (on the daemons' PATH), and every node allows exec jobs.
export PATH="$PWD/build/piwork:$PATH"
dport=$((20000 + RANDOM % 10000))
port=$((dport + 1))
for name in desk pi4 laptop; do
  root=()
  [ "$name" != desk ] && root=(-sysroot "$work/$name")
  build/daemon/vestad -name "$name" -key demo-federation-key-change-me -state-dir "$work/state" \
    -broadcast 127.255.255.255 -dport "$dport" -port "$port" -allow-exec "${root[@]}" \
    2>"$work/$name.log" &
  echo $! >>"$work/vestad.pid"
  port=$((port + 1))
done
for _ in $(seq 100); do
  # Ready when desk hears both others and holds an encrypted link to each.
  [ "$(vesta -node desk --json peers 2>/dev/null | grep -o '"link":"up"' | wc -l)" -eq 2 ] && break
  sleep 0.1
done

step() { printf '\n== %s\n' "$*"; }
desk_cpu() { vesta -node desk --json status | grep -o '"cpu_pct":[0-9.]*' | head -1 | cut -d: -f2 | cut -d. -f1; }
# Waits (up to 15 s) until desk's measured CPU is under / over a threshold: each node samples
# once a second, and the autopilot decides from the latest sample.
wait_desk() {  # wait_desk below|above PCT
  for _ in $(seq 75); do
    local now
    now=$(desk_cpu)
    if [ "$1" = below ]; then [ "$now" -lt "$2" ] && return; else [ "$now" -ge "$2" ] && return; fi
    sleep 0.2
  done
}
step "vesta peers (on desk)"
vesta -node desk peers

wait_desk below 50  # starting three daemons (their key derivation) kept the machine busy

step "vesta cpu 200 on desk: large enough to split over every node with room"
vesta -node desk cpu 200

step "vesta stress 0 30 on desk, as if its owner were busy; then vesta cpu 20 on desk spills to a peer"
echo "(all three share this machine's CPU, so the stress slows pi4's work here too)"
vesta -node desk stress 0 30
wait_desk above 80
vesta -node desk cpu 20
echo "vesta exec -- piwork 50 on the busy desk: piwork says where it ran"
vesta -node desk exec -- piwork 50
vesta -node desk stop-stress
wait_desk below 50

step "flows while desk's next job runs: vesta status on pi4 and on desk"
vesta -node desk cpu 150 >/dev/null &
job=$!
sleep 3
vesta -node pi4 status | grep -E "^pi4|lending" || true
vesta -node desk status | grep -E "^desk|borrowing" || true
if [ -x build/top/vestatop ]; then
  step "vestatop --once on desk while it runs (run vestatop without --once for the live view)"
  COLUMNS=110 build/top/vestatop -node desk --once
fi
wait "$job"

wait_desk below 50
step "vesta exec -- piwork 100 on desk, idle again: local first, it runs here"
vesta -node desk exec -- piwork 100

step "vesta exec --each 1 2 3 4 -- piwork 20 -seed {}: one job per seed over every node"
vesta -node desk exec --each 1 2 3 4 -- piwork 20 -seed {}

step "desk's log"
cat "$work/desk.log"
