#!/bin/bash
# CPU time per `true` job of a fan-out, which a shared machine's load inflates far less than
# wall time: each vestad's utime + stime + cutime + cstime (its reapers and commands included,
# from /proc/PID/stat) with its spawner's, the bus daemon's, over one `vesta exec --each-from`
# of N jobs, and the CLI's task-clock. desk + pi4 on loopback as in bench/exec.sh (pi4
# admitting as if idle).
# Usage: bench/exec_cpu.sh [jobs] [rounds] [build dir]   (defaults 1000, 3, build). Needs perf.
cd "$(dirname "$0")/.."
source bench/lib.sh
jobs=${1:-1000}
rounds=${2:-3}
b=${3:-build}
bench_bus
bench_desk_pi4 "$b"
declare -A pid=([desk]=${bench_pid[desk]} [pi4]=${bench_pid[pi4]})
seq "$jobs" >"$work/args"
# vestad and its spawner (a live child, so not in vestad's cutime; none before it existed).
cpu() {
  local spawner
  spawner=$(pgrep -P "$1" -x vestad-spawner)
  cat "/proc/$1/stat" ${spawner:+"/proc/$spawner/stat"} | awk '{t += $14 + $15 + $16 + $17} END {print t}'
}
bus=$(cat "$work/dbus.pid")
hz=$(getconf CLK_TCK)
"$b/cli/vesta" -node desk exec --each-from "$work/args" -- true >/dev/null 2>&1  # warm
echo "CPU ms per job over $jobs true jobs (vestad: itself, its reapers and commands):"
for r in $(seq "$rounds"); do
  d0=$(cpu "${pid[desk]}") p0=$(cpu "${pid[pi4]}") b0=$(cpu "$bus") start=$(date +%s.%N)
  perf stat -x, -e task-clock -o "$work/cli.stat" "$b/cli/vesta" -node desk exec --each-from "$work/args" -- true >/dev/null 2>&1
  end=$(date +%s.%N) d1=$(cpu "${pid[desk]}") p1=$(cpu "${pid[pi4]}") b1=$(cpu "$bus")
  cli=$(grep task-clock "$work/cli.stat" | cut -d, -f1)
  python3 -c "
t = lambda a, b: (b - a) / $hz / $jobs * 1000
d, p, b = t($d0, $d1), t($p0, $p1), t($b0, $b1)
print(f'  round $r: vestad desk {d:.2f} + pi4 {p:.2f} = {d + p:.2f}, dbus-daemon {b:.2f}, CLI {$cli / $jobs:.2f}; {$jobs / ($end - $start):.0f} jobs/s')"
done
