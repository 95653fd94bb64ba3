#!/bin/bash
# Captures a federation's traffic on a namespace bridge with tshark and looks for anything in the
# clear: node names, the federation key, fingerprints, the host name. Needs root and tshark.
#   bench/wire-capture.sh [seconds]   (default 10)
cd "$(dirname "$0")/.."
NS=vc$$
source bench/lib.sh
[ "$(id -u)" -eq 0 ] || { echo "needs root (ip netns)"; exit 1; }
command -v tshark >/dev/null || { echo "needs tshark (apt-get install tshark)"; exit 1; }
secs=${1:-10}
KEY=capture-check-federation-key-7f3a9c
NAMES=(kitchen-desktop garden-raspberrypi)
bench_bus
bus=$VESTA_BUS
bench_bridge_hosts 10.215.1 2
ip netns exec "${NS}sw" tshark -q -i vbr -a "duration:$secs" -w "$work/wire.pcap" 2>/dev/null &
capture=$!
sleep 1
for i in 1 2; do
  ip netns exec "${NS}$i" build/daemon/vestad -name "${NAMES[$((i - 1))]}" -key "$KEY" \
    -state-dir "$work/state" -bus "$bus" 2>"$work/${NAMES[$((i - 1))]}.log" &
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
