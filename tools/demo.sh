#!/bin/bash
# The main job: installs the build dependencies, builds, starts vestad on a private D-Bus (no
# root, no systemd, nothing left behind), runs a 200-million-iteration cpu job on it, shows
# the node's status, and runs piwork.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/deps.sh
[ -d build ] || meson setup build --wrap-mode=nodownload >/dev/null
ninja -C build >/dev/null

work=$(mktemp -d /tmp/vesta-demo-XXXXXX)
cleanup() {
  [ -f "$work/vestad.pid" ] && kill "$(cat "$work/vestad.pid")" 2>/dev/null && sleep 0.3
  [ -f "$work/dbus.pid" ] && kill "$(cat "$work/dbus.pid")" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

dbus-daemon --session --fork --address="unix:path=$work/bus" \
  --print-address=3 --print-pid=4 3>"$work/bus.address" 4>"$work/dbus.pid"
export VESTA_BUS
VESTA_BUS=$(cat "$work/bus.address")

# Beacons stay on loopback: the demo never broadcasts on this machine's real network.
build/daemon/vestad -name "${VESTA_DEMO_NAME:-desk}" -key demo-federation-key-change-me \
  -state-dir "$work/state" -broadcast 127.255.255.255 2>"$work/vestad.log" &
echo $! >"$work/vestad.pid"
for _ in $(seq 100); do
  build/cli/vesta status >/dev/null 2>&1 && break
  sleep 0.1
done

echo "== vesta status"
build/cli/vesta status
echo
echo "== vesta cpu 200"
build/cli/vesta cpu 200
echo
echo "== piwork 100"
build/piwork/piwork 100
echo
echo "== vestad's log"
cat "$work/vestad.log"
