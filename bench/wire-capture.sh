#!/bin/bash
# Captures a federation's traffic on a namespace bridge with tshark and looks for anything in the
# clear: node names, the federation key, fingerprints, the host name. Needs root and tshark.
#   bench/wire-capture.sh [seconds]   (default 10)
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "needs root (ip netns)"; exit 1; }
command -v tshark >/dev/null || { echo "needs tshark (apt-get install tshark)"; exit 1; }
secs=${1:-10}
NS=vc$$
KEY=capture-check-federation-key-7f3a9c
NAMES=(kitchen-desktop garden-raspberrypi)
work=$(mktemp -d /tmp/vesta-capture-XXXXXX)
cleanup() {
  for ns in $(ip netns list | awk '{print $1}' | grep "^$NS"); do
    ip netns pids "$ns" | xargs -r kill -9 2>/dev/null || true
    ip netns del "$ns" || true
  done
  [ -f "$work/dbus.pid" ] && kill "$(cat "$work/dbus.pid")" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
dbus-daemon --session --fork --address="unix:path=$work/bus" --print-address=3 --print-pid=4 \
  3>"$work/bus.address" 4>"$work/dbus.pid"
bus=$(cat "$work/bus.address")
ip netns add "${NS}sw"
ip -n "${NS}sw" link add vbr type bridge
ip -n "${NS}sw" link set vbr up
for i in 0 1; do
  ip netns add "${NS}$i"
  ip link add "${NS}${i}a" type veth peer name "${NS}${i}b"
  ip link set "${NS}${i}a" netns "${NS}$i"
  ip link set "${NS}${i}b" netns "${NS}sw"
  ip -n "${NS}sw" link set "${NS}${i}b" master vbr up
  ip -n "${NS}$i" addr add "10.215.1.$((i + 1))/24" brd + dev "${NS}${i}a"
  ip -n "${NS}$i" link set "${NS}${i}a" up
done
ip netns exec "${NS}sw" tshark -q -i vbr -a "duration:$secs" -w "$work/wire.pcap" 2>/dev/null &
capture=$!
sleep 1
for i in 0 1; do
  ip netns exec "${NS}$i" build/daemon/vestad -name "${NAMES[$i]}" -key "$KEY" \
    -state-dir "$work/state" -bus "$bus" 2>"$work/${NAMES[$i]}.log" &
done
sleep 2
VESTA_BUS=$bus build/cli/vesta -node "${NAMES[0]}" cpu 5 >/dev/null  # some status churn
wait $capture || true
echo "captured: $(tshark -r "$work/wire.pcap" 2>/dev/null | wc -l) packets"
echo "  beacons (udp 7778): $(tshark -r "$work/wire.pcap" -Y 'udp.port == 7778' 2>/dev/null | wc -l)"
echo "  link segments with payload (tcp 7777): $(tshark -r "$work/wire.pcap" -Y 'tcp.port == 7777 && tcp.len > 0' 2>/dev/null | wc -l)"
fps=$(for n in "${NAMES[@]}"; do VESTA_BUS=$bus build/cli/vesta -node "$n" --json status | python3 -c 'import json,sys; print(json.load(sys.stdin)["node"]["fingerprint"])'; done)
# Control: the beacon magic is on the wire in the clear by design, so the search does work.
grep -a -q VSTB "$work/wire.pcap" || { echo "  control failed: no beacon magic in the capture"; exit 2; }
echo "  control: the beacon magic VSTB is found, as it should be"
found=0
for needle in "${NAMES[@]}" "$KEY" $fps "$(hostname)" "vesta"; do
  if grep -a -q -- "$needle" "$work/wire.pcap"; then
    echo "  FOUND in clear: $needle"
    found=1
  else
    echo "  not in the capture: $needle"
  fi
done
[ $found -eq 0 ] && echo "no plaintext name, key, fingerprint or host name on the wire"
exit $found
