#!/bin/bash
# The owner first, measured (issue "Owner first while work runs"): two vestad on loopback, A the
# lender on this machine, B a peer that borrows A's offer with `vesta cpu N --on A`.
#  (a) the owner's all-core benchmark (openssl speed -multi CORES sha256, 1 KiB blocks, fixed
#      time) alone and while A lends its full offer, interleaved pairs (the order alternates so a
#      drift in the machine's load does not favour one side), median of the pair ratios;
#  (b) CPU time A lends over SECONDS (its threads' schedstat): idle, with `vesta stress` holding
#      half the cores, and on a "solar 60%" fixture, each next to what the budget allows;
#  (c) from the owner's load crossing the reserve to a borrowed exec command paused (its
#      process in state T), with A on a fixture whose /proc/stat turns busy, and back to running
#      once that load ends.
# Figures, not pass/fail (docs/benchmarks.md). Needs a build in ./build.
# Usage: [PARTS=abc] bench/owner.sh [pairs] [seconds]   (defaults 5 and 30; PARTS: which of them)
cd "$(dirname "$0")/.."
source bench/lib.sh
pairs=${1:-5}
seconds=${2:-30}
parts=${PARTS:-abc}
cores=$(nproc)
VESTAD=build/daemon/vestad
VESTA=build/cli/vesta
KEY=bench-federation-key-owner-0000
base=$((21000 + RANDOM % 4000 * 10))  # link ports base+1, base+2; beacons on base
bench_bus
export VESTA_LOGIND_BUS=off  # no one at this machine's keyboard that logind could tell us about

start() {  # start NAME PORT [FLAGS...]
  local name=$1 port=$2
  shift 2
  "$VESTAD" -name "$name" -key "$KEY" -state-dir "$work/state-$name" -port "$port" -dport "$base" \
    -broadcast 127.255.255.255 "$@" 2>"$work/$name.log" &
  PIDS_TO_KILL+=("$!")
  eval "pid_$name=$!"
  for _ in $(seq 100); do "$VESTA" -node "$name" status >/dev/null 2>&1 && break; sleep 0.1; done
}
stop() { local p; p=$(eval echo "\$pid_$1"); kill "$p"; wait "$p" 2>/dev/null || true; }
linked() { "$VESTA" -node B --json peers | python3 -c 'import json,sys; sys.exit(0 if any(p["name"]=="A" and p["link"]=="up" for p in json.load(sys.stdin)["peers"]) else 1)'; }
lending() { "$VESTA" -node A --json status | python3 -c 'import json,sys; sys.exit(0 if any(f["direction"]=="lend" for f in json.load(sys.stdin)["flows"]) else 1)'; }
wait_until() {  # wait_until SECONDS COMMAND...: an upper bound, whatever the machine's load
  local deadline=$((SECONDS + $1))
  until "${@:2}"; do [ $SECONDS -ge $deadline ] && return 1; sleep 0.1; done
}
# CPU ns of vestad's job threads: the borrowed ones at SCHED_IDLE (policy 5) and the owner's at
# nice 10; `vesta stress`, the owner's load, runs in vestad too but at nice 0, SCHED_OTHER, and
# is not counted.
cpu_ns() {
  python3 - "$1" <<'PY'
import glob, sys
total = 0
for task in glob.glob(f"/proc/{sys.argv[1]}/task/*"):
    try:
        stat = open(task + "/stat").read()
        fields = stat[stat.rindex(")") + 2:].split()
        nice, policy = int(fields[16]), int(fields[38])
        if nice != 0 or policy == 5:
            total += int(open(task + "/schedstat").read().split()[0])
    except (OSError, ValueError, IndexError):
        pass
print(total)
PY
}
status_field() { "$VESTA" -node A --json status | python3 -c "import json,sys; print(json.load(sys.stdin)['node']['$1'])"; }
# A borrowed job that outlasts a measurement: B sends it to A and we wait until A runs it.
borrow() {
  "$VESTA" -node B --json cpu 100000 --on A >"$work/borrow.json" 2>&1 &
  borrow_pid=$!
  wait_until 20 lending || echo "  (A never showed the lend flow: $(status_field load))"
}
unborrow() {
  "$VESTA" -node B --json jobs | python3 -c 'import json,sys; [print(j["job"]) for j in json.load(sys.stdin)["jobs"] if j["state"] in ("queued","running")]' |
    while read -r id; do "$VESTA" -node B cancel "$id" >/dev/null 2>&1 || true; done
  wait "$borrow_pid" 2>/dev/null || true
  wait_until 20 eval '! lending'
}
owner_bench() {  # bytes/s of openssl's all-core SHA-256 over 3 s
  openssl speed -multi "$cores" -seconds 3 -evp sha256 -bytes 1024 2>/dev/null |
    awk '/^sha256/ {v=$NF} END {sub(/k$/, "", v); print v * 1000}'
}
federation() {  # federation [FLAGS for A...]
  start A $((base + 1)) "$@"
  start B $((base + 2)) -workers 1
  wait_until 30 linked || { echo "A and B did not link"; exit 1; }
}

echo "machine: $cores cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "vestad: $("$VESTAD" -version 2>/dev/null || echo ?)"

# An idle machine with this machine's core count (its /proc/stat fixed), and one on solar at 60%.
# This shared machine is never idle (other users' builds keep it busy), so A measuring it would
# find no budget and lend nothing; A reads a fixture instead, to lend its full offer for real.
fixture() {  # fixture DIR [BATTERY_PCT]
  mkdir -p "$1/proc"
  { echo "cpu  100 0 100 $((cores * 1000)) 0 0 0 0 0 0"; for ((c = 0; c < cores; c++)); do echo "cpu$c 25 0 25 1000 0 0 0 0 0 0"; done; } >"$1/proc/stat"
  printf 'MemTotal: 8192000 kB\nMemFree: 4096000 kB\nMemAvailable: 4096000 kB\n' >"$1/proc/meminfo"
  [ $# -lt 2 ] && return
  mkdir -p "$1/sys/class/power_supply/BAT0"
  echo Battery >"$1/sys/class/power_supply/BAT0/type"
  echo Discharging >"$1/sys/class/power_supply/BAT0/status"
  echo "$2" >"$1/sys/class/power_supply/BAT0/capacity"
}
fixture "$work/idle"
fixture "$work/solar-60" 60

if [[ $parts == *a* ]]; then
echo "== (a) owner's benchmark: openssl speed -multi $cores -seconds 3 -evp sha256 -bytes 1024, alone vs while A lends its offer ($pairs pairs)"
federation -sysroot "$work/idle"
ratios=()
for i in $(seq "$pairs"); do
  if [ $((i % 2)) -eq 1 ]; then
    alone=$(owner_bench); borrow; lent=$(owner_bench); unborrow
  else
    borrow; lent=$(owner_bench); unborrow; alone=$(owner_bench)
  fi
  r=$(python3 -c "print($lent / $alone)")
  ratios+=("$r")
  printf '  pair %d: alone %.1f MB/s, while lending %.1f MB/s, ratio %.3f\n' "$i" \
    "$(python3 -c "print($alone/1e6)")" "$(python3 -c "print($lent/1e6)")" "$r"
done
python3 - "${ratios[@]}" <<'PY'
import statistics, sys
m = statistics.median(float(x) for x in sys.argv[1:])
print(f"  median ratio {m:.3f}: the owner's benchmark ran {100 * (1 - m):.1f}% slower while lending (target <= 1%)")
PY
stop A
stop B
fi

# (b) CPU time lent over `seconds`, from A's threads (its own idle cost is 0.05% of a core).
measure_lent() {  # measure_lent LABEL ALLOWED_CORES
  borrow
  local before after budget
  before=$(cpu_ns "$pid_A")
  sleep "$seconds"
  after=$(cpu_ns "$pid_A")
  budget=$(status_field budget_cores)
  unborrow
  python3 - "$1" "$before" "$after" "$seconds" "$2" "$budget" <<'PY'
import sys
label, before, after, secs, allowed, budget = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6])
lent = (after - before) / 1e9 / secs
print(f"  {label}: lent {lent:.2f} cores over {secs:.0f} s; allowed {allowed:.2f} "
      f"(A's budget then {budget:.2f}); {100 * (lent / allowed - 1):+.0f}%" if allowed > 0 else
      f"  {label}: lent {lent:.2f} cores over {secs:.0f} s; allowed 0")
PY
}
if [[ $parts == *b* ]]; then
echo "== (b) CPU time lent over $seconds s vs what the budget allows (cpu_offer_pct 75, reserve 20)"
federation -sysroot "$work/idle"
offer=$(python3 -c "print($cores * 0.75)")
measure_lent "idle node (fixture)" "$offer"
stop A
stop B
# Now A measures this machine itself, with `vesta stress` on half its cores as the owner's load.
# The reserve is 10% here: with 20% the stress leaves a budget of about 0.5 cores on 2, the
# least a node admits a borrowed cpu job with, so A would refuse it as often as not.
federation -reserve-pct 10
half=$((cores / 2))
"$VESTA" -node A stress "$half" $((seconds + 30)) >/dev/null
sleep 3  # a few samples for the owner's load to show
measure_lent "vesta stress on $half of $cores cores (reserve 10%)" "$(python3 -c "print(max(0, min($offer, $cores * 0.9 - $half)))")"
"$VESTA" -node A stop-stress >/dev/null
stop A
stop B
federation -sysroot "$work/solar-60"
measure_lent "solar 60% fixture" "$(python3 -c "print(0.6 * $offer)")"
stop A
stop B
fi

[[ $parts == *c* ]] || exit 0
echo "== (c) owner's load over the reserve -> borrowed exec command paused"
# A reads a fixture of its own, idle, so it runs the command whatever this shared machine's load;
# the owner's load is then written into that fixture's /proc/stat (every core busy, advanced
# every 50 ms), and the command's own /proc state tells when it stops (T) and runs again.
fixture "$work/owner-c"
federation -allow-exec -sysroot "$work/owner-c"
"$VESTA" -node B exec --on A -- sleep 120.5 >/dev/null 2>&1 &
exec_pid=$!
command_pid() { pgrep -f '^sleep 120.5$'; }
if ! wait_until 20 eval 'command_pid >/dev/null'; then
  echo "  skipped: A did not run B's exec command ($(status_field load))"
else
  python3 - "$work/owner-c/proc/stat" "$(command_pid)" "$cores" "$pairs" <<'PY'
import os, statistics, sys, time
stat_path, pid, cores, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
user, idle = [25] * cores, [1000] * cores

def write(busy):
    # USER_HZ is 100: 50 ms of every core, as user time when busy, else as idle time.
    for c in range(cores):
        if busy: user[c] += 5
        else: idle[c] += 5
    lines = [f"cpu  {sum(user)} 0 100 {sum(idle)} 0 0 0 0 0 0"]
    lines += [f"cpu{c} {user[c]} 0 25 {idle[c]} 0 0 0 0 0 0" for c in range(cores)]
    with open(stat_path + ".new", "w") as f:
        f.write("\n".join(lines) + "\n")
    os.replace(stat_path + ".new", stat_path)  # the sampler never reads half a file

def state():
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()[0]

def until(want, busy, limit):
    start = time.monotonic()
    next_write = start
    while time.monotonic() - start < limit:
        if time.monotonic() >= next_write:
            write(busy)
            next_write += 0.05
        if (state() == "T") == want:
            return time.monotonic() - start
        time.sleep(0.005)
    return None

fmt = lambda t: "not within the limit" if t is None else f"{t:.2f} s"
pauses = []
for r in range(rounds):
    until(False, False, 2 + r * 0.37)  # idle samples first, and a different phase each round
    paused = until(True, True, 15)
    resumed = until(False, False, 60) if paused is not None else None
    print(f"  round {r + 1}: paused {fmt(paused)} after every core turned busy, resumed"
          f" {fmt(resumed)} after that load ended (resume_after_s 10)")
    if paused is None or resumed is None:
        break
    pauses.append(paused)
if pauses:
    print(f"  paused after {statistics.median(pauses):.2f} s median, {max(pauses):.2f} s at most"
          f" (target <= 2 s: one 1 s sample sees the load, then the runner stops the group)")
PY
fi
kill "$exec_pid" 2>/dev/null || true
