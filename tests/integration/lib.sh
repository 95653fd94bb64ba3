# Shared by the integration scripts: a TAP-like harness, a private D-Bus daemon, vestad
# processes on it, and scenarios (run_scenarios). Every node broadcasts on loopback only
# (-broadcast 127.255.255.255).
set -u

source "$(dirname "${BASH_SOURCE[0]}")/tap.sh"
WORK=$(mktemp -d /tmp/vesta-it-XXXXXX)
KEY=integration-test-federation-key
DATA=${VESTA_TEST_DATA:?run through meson test}

# claim_ports: a block of 100 ports below the ephemeral range for this run alone, locked while
# any process of the run holds the lock file open (vestad inherits it), so scenarios running in
# parallel never hear each other's beacons or take each other's link ports.
claim_ports() {
  local block try lock
  # Shared by every user's runs, like /tmp; a lock another user made is still readable.
  [ -d /tmp/vesta-it-ports ] || mkdir -m 1777 -p /tmp/vesta-it-ports
  for try in $(seq 500); do
    block=$((RANDOM % 127))
    lock=/tmp/vesta-it-ports/$block.lock
    [ -e "$lock" ] || : >"$lock"
    exec {PORT_LOCK}<"$lock" || continue
    if flock -n "$PORT_LOCK"; then
      PORT_BASE=$((20000 + block * 100))
      return
    fi
    exec {PORT_LOCK}>&-
  done
  echo "no free block of ports after $try tries"
  exit 1
}
claim_ports
DPORT=$PORT_BASE                  # this run's beacon port
NEXT_LINK_PORT=$PORT_BASE         # each node started gets the next one as its link port
# spare_port N (0..9): a port of this run's own for anything else (a second federation's
# beacons, a vestad that must not come up).
spare_port() { echo $((PORT_BASE + 90 + $1)); }

# json_get EXPR: evaluates a Python expression on the JSON document read from stdin (as d).
json_get() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

cleanup() {
  # A failed check leaves its evidence in CI's log: the last lines of each node's log.
  if [ "${FAILED:-0}" -gt 0 ]; then
    for log in "$WORK"/*.log; do
      [ -e "$log" ] || continue
      echo "--- the last 30 lines of $(basename "$log")" >&2
      tail -n 30 "$log" >&2
    done
  fi
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
  [ $NEXT_LINK_PORT -lt "$(spare_port 0)" ] || { echo "more nodes started than ports claimed"; exit 1; }
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

# kill_node NAME: kill -9, as a crash would. Returns once the process is gone and the bus has
# let go of its name: the bus hears of the closed connection a little later, and a node started
# again before that finds its name taken and exits.
kill_node() {
  local pid
  pid=$(cat "$WORK/$1.pid")
  kill -9 "$pid"
  wait_exit "$pid" 30 2>/dev/null
  rm -f "$WORK/$1.pid"
  name_free() {
    busctl --address="$VESTA_BUS" call org.freedesktop.DBus /org/freedesktop/DBus \
      org.freedesktop.DBus NameHasOwner s "org.vesta.Vestad1.Node.$1" | grep -q false
  }
  wait_for 30 name_free "$1"
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
# start_nodes NAME [FLAGS...] [-- NAME [FLAGS...]]...: the scenario's private bus (on the first
# call) and a vestad for each NAME, as start_node; ends the scenario when one does not come up.
start_nodes() {
  [ -S "$WORK/bus" ] || start_bus
  local node=() arg
  for arg in "$@" --; do
    if [ "$arg" != -- ]; then
      node+=("$arg")
      continue
    fi
    [ ${#node[@]} -eq 0 ] || start_node "${node[@]}" || exit 1
    node=()
  done
}

prop() { busctl --address="$VESTA_BUS" get-property "org.vesta.Vestad1.Node.$1" "$2" "$3" "$4"; }

# run_scenarios "$@": the last line of a script of scenarios, the functions named scenario_NAME
# (defined as "scenario_NAME() {" at the start of a line: tests/meson.build registers one test
# for each, and runs one whose line ends in "# alone" with no other test beside it). With a
# NAME, runs that scenario in this process: its own work directory, ports, bus and nodes. With
# none, runs every scenario, each in a process of its own, and names those that failed.
run_scenarios() {
  if [ $# -gt 0 ]; then
    local fn=scenario_${1//-/_}  # tests/meson.build names exit_codes exit-codes
    declare -F "$fn" >/dev/null || { echo "$0: no scenario \"$1\""; exit 2; }
    echo "# scenario $1"
    "$fn"
    finish
    return
  fi
  local name failed=()
  for name in $(declare -F | sed -n 's/^declare -f scenario_//p'); do
    "$0" "$name" || failed+=("$name")
  done
  echo "${#failed[@]} scenarios failed${failed[*]:+: ${failed[*]}}"
  [ ${#failed[@]} -eq 0 ]
}

# peers_linked N: desk has N peers with the link up; desk_links N checks it within 20 s (the
# exec, fanout and stdin scenarios start desk and its peers and wait for this).
peers_linked() {
  [ "$("$VESTA" -node desk --json peers | json_get 'len([p for p in d["peers"] if p["link"] == "up"])')" = "$1" ]
}
desk_links() { check "desk sees $1 linked peers" wait_for 20 peers_linked "$1"; }
