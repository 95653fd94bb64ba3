# Shared by the integration scripts: a TAP-like harness, a private D-Bus daemon, and vestad
# processes on it. Every node broadcasts on loopback only (-broadcast 127.255.255.255).
set -u

source "$(dirname "${BASH_SOURCE[0]}")/tap.sh"
WORK=$(mktemp -d /tmp/vesta-it-XXXXXX)
KEY=integration-test-federation-key
# A beacon port of this run's own, so parallel runs and a vestad on the machine stay apart.
DPORT=$((20000 + RANDOM % 10000))
NEXT_LINK_PORT=$((DPORT + 1000))  # each node started gets a link port of its own
DATA=${VESTA_TEST_DATA:?run through meson test}

# json_get EXPR: evaluates a Python expression on the JSON document read from stdin (as d).
json_get() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

cleanup() {
  for pidfile in "$WORK"/*.pid; do
    [ -e "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null
  done
  sleep 0.2
  for pidfile in "$WORK"/*.pid; do
    [ -e "$pidfile" ] && kill -9 "$(cat "$pidfile")" 2>/dev/null
  done
  rm -rf "$WORK"
}
trap cleanup EXIT

start_bus() {
  dbus-daemon --session --fork --address="unix:path=$WORK/bus" \
    --print-address=3 --print-pid=4 3>"$WORK/bus.address" 4>"$WORK/dbus.pid" || exit 1
  export VESTA_BUS
  VESTA_BUS=$(cat "$WORK/bus.address")
}

# wait_exit PID SECONDS: the exit status of a background child, or 124 after killing it when it
# outlives SECONDS (so a broken test fails instead of hanging).
wait_exit() {
  local deadline=$((SECONDS + $2))
  while kill -0 "$1" 2>/dev/null; do
    if [ $SECONDS -ge $deadline ]; then
      kill -9 "$1" 2>/dev/null
      wait "$1" 2>/dev/null
      return 124
    fi
    sleep 0.1
  done
  wait "$1"
}

node_up() { busctl --address="$VESTA_BUS" status "org.vesta.Vestad1.Node.$1"; }

# start_node NAME [vestad flags...]: starts vestad and waits until it owns its bus name.
start_node() {
  local name=$1
  shift
  NEXT_LINK_PORT=$((NEXT_LINK_PORT + 1))
  "$VESTAD" -name "$name" -key "$KEY" -state-dir "$WORK/state-$name" -port "$NEXT_LINK_PORT" \
    -broadcast 127.255.255.255 -dport "$DPORT" -bus "$VESTA_BUS" "$@" >"$WORK/$name.log" 2>&1 &
  echo "$NEXT_LINK_PORT" >"$WORK/$name.port"
  echo $! >"$WORK/$name.pid"
  if ! wait_for 30 node_up "$name"; then
    echo "vestad $name did not come up:"
    cat "$WORK/$name.log"
    return 1
  fi
}

# stop_node NAME: SIGTERM, then the exit status of vestad.
stop_node() {
  local pid
  pid=$(cat "$WORK/$1.pid")
  kill -TERM "$pid"
  local status=0
  wait_exit "$pid" 30 || status=$?
  rm -f "$WORK/$1.pid"
  return $status
}

# make_root DIR CORES AVAILABLE_MB: an idle machine (its /proc/stat never changes) with CORES
# cores and AVAILABLE_MB MiB available of twice that in total.
make_root() {
  local dir=$1 cores=$2 mb=$3
  mkdir -p "$dir/proc" "$dir/sys/class/power_supply"
  {
    echo "cpu  100 0 100 $((cores * 1000)) 0 0 0 0 0 0"
    for ((i = 0; i < cores; i++)); do echo "cpu$i 25 0 25 1000 0 0 0 0 0 0"; done
  } >"$dir/proc/stat"
  printf 'MemTotal: %d kB\nMemFree: %d kB\nMemAvailable: %d kB\n' \
    $((mb * 2048)) $((mb * 1024)) $((mb * 1024)) >"$dir/proc/meminfo"
}
prop() { busctl --address="$VESTA_BUS" get-property "org.vesta.Vestad1.Node.$1" "$2" "$3" "$4"; }
