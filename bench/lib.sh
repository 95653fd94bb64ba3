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

# bench_desk_pi4 BUILD_DIR: vestad desk and pi4 of that build on loopback, on the bus of
# bench_bus, pi4 admitting as if idle (-sysroot: on a shared machine the others' load would make
# it refuse every job; its work is as real as desk's). Their pids in bench_pid[desk] and
# bench_pid[pi4]; returns once desk's link to pi4 is up. They go at exit, or with
# bench_stop_nodes.
declare -A bench_pid
bench_desk_pi4() {
  local b=$1 name dport port
  dport=$((20000 + RANDOM % 10000))
  port=$((dport + 1))
  mkdir -p "$work/root-pi4/proc" "$work/root-pi4/sys/class/power_supply"
  {
    echo "cpu  100 0 100 4000 0 0 0 0 0 0"
    for i in 0 1 2 3; do echo "cpu$i 25 0 25 1000 0 0 0 0 0 0"; done
  } >"$work/root-pi4/proc/stat"
  printf 'MemTotal: 8192000 kB\nMemFree: 4096000 kB\nMemAvailable: 4096000 kB\n' >"$work/root-pi4/proc/meminfo"
  for name in desk pi4; do
    local sysroot=()
    [ "$name" = pi4 ] && sysroot=(-sysroot "$work/root-pi4")
    rm -rf "$work/state-$name"
    "$b/daemon/vestad" -name "$name" -key bench-federation-key-0000 -state-dir "$work/state-$name" \
      -broadcast 127.255.255.255 -dport "$dport" -port "$port" -allow-exec "${sysroot[@]}" 2>"$work/$name.log" &
    PIDS_TO_KILL+=($!)
    bench_pid[$name]=$!
    port=$((port + 1))
  done
  for _ in $(seq 100); do
    [ "$("$b/cli/vesta" -node desk --json peers 2>/dev/null | grep -o '"link":"up"' | wc -l)" -eq 1 ] && break
    sleep 0.1
  done
  sleep 1
}
bench_stop_nodes() {
  kill "${bench_pid[desk]}" "${bench_pid[pi4]}" 2>/dev/null || true
  wait "${bench_pid[desk]}" "${bench_pid[pi4]}" 2>/dev/null || true
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
