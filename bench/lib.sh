# Shared by the bench scripts: a scratch dir, a private D-Bus, namespaces of this run, and the
# cleanup of all of them on exit. Source it after `cd` to the project root.
set -euo pipefail

work=$(mktemp -d /tmp/vesta-bench-XXXXXX)
NS=${NS:-vb$$}  # prefix of every namespace this run creates
PIDS_TO_KILL=()
CLEANUP_HOOKS=()  # commands run (as strings) on exit, e.g. removing a throwaway user

bench_cleanup() {
  if command -v ip >/dev/null; then
    for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$NS" || true); do
      ip netns pids "$ns" | xargs -r kill -9 2>/dev/null || true
      ip netns del "$ns" || true
    done
  fi
  for pid in "${PIDS_TO_KILL[@]}"; do kill "$pid" 2>/dev/null || true; done
  for hook in "${CLEANUP_HOOKS[@]}"; do eval "$hook" || true; done
  [ -f "$work/dbus.pid" ] && kill "$(cat "$work/dbus.pid")" 2>/dev/null
  rm -rf "$work"
}
trap bench_cleanup EXIT

# Starts a private dbus-daemon and exports VESTA_BUS for vestad and vesta.
bench_bus() {
  dbus-daemon --session --fork --address="unix:path=$work/bus" --print-address=3 --print-pid=4 \
    3>"$work/bus.address" 4>"$work/dbus.pid"
  export VESTA_BUS
  VESTA_BUS=$(cat "$work/bus.address")
}

# bench_bridge_hosts SUBNET N: a switch namespace with bridge vbr and N host namespaces
# ${NS}1..N at SUBNET.1..N/24 (e.g. bench_bridge_hosts 10.214.1 4).
bench_bridge_hosts() {
  ip netns add "${NS}sw"
  ip -n "${NS}sw" link add vbr type bridge
  ip -n "${NS}sw" link set vbr up
  for i in $(seq "$2"); do
    ip netns add "${NS}$i"
    ip link add "${NS}${i}a" type veth peer name "${NS}${i}b"
    ip link set "${NS}${i}a" netns "${NS}$i"
    ip link set "${NS}${i}b" netns "${NS}sw"
    ip -n "${NS}sw" link set "${NS}${i}b" master vbr up
    ip -n "${NS}$i" addr add "$1.$i/24" brd + dev "${NS}${i}a"
    ip -n "${NS}$i" link set "${NS}${i}a" up
  done
}
