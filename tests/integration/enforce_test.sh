#!/bin/bash
# The owner first while work runs (enforced, not only admitted): a borrowed exec command paused
# while the runner's owner needs the cores and resumed after, one paused past max_pause_s
# stopped with the reason, borrowed CPU time within the offer, borrowed work at SCHED_IDLE, and
# borrowed work stopped when MemAvailable falls into the reserve. Real vestad processes on a
# private bus, loopback only; upper bounds and states, never timings.
source "$(dirname "$0")/lib.sh"
cd "$WORK" || exit 1

# lab submits; its /proc is an idle fixture. pi4 runs the borrowed work: its /proc/stat is a
# symlink, to an idle fixture (a machine whose owner does nothing, whatever else loads this
# test machine) or to the real /proc/stat while `vesta stress` plays its owner.
make_root "$WORK/root-lab" 2 4000
make_root "$WORK/root-pi4" 2 4000
mv "$WORK/root-pi4/proc/stat" "$WORK/root-pi4/proc/stat.idle"
pi4_idle() { ln -sfn stat.idle "$WORK/root-pi4/proc/stat"; }
pi4_real() { ln -sfn /proc/stat "$WORK/root-pi4/proc/stat"; }
pi4_idle
LAB=(lab -sysroot "$WORK/root-lab")
PI4=(pi4 -allow-exec -sysroot "$WORK/root-pi4" -resume-after 1)
L() { "$VESTA" -node lab "$@"; }
P() { "$VESTA" -node pi4 "$@"; }

linked() { [ "$(L --json peers | json_get 'len([p for p in d["peers"] if p["link"] == "up"])')" = 1 ]; }
lab_links() { check "lab links to pi4" wait_for 20 linked; }

# job_state PATH: the job object's State on lab.
job_prop() { busctl --address="$VESTA_BUS" get-property org.vesta.Vestad1.Node.lab "$1" org.vesta.Vestad1.Job "$2"; }
job_path() { L --json jobs | json_get '[j["job"] for j in d["jobs"]][-1]' | sed 's|^|/org/vesta/Vestad1/job/|'; }
state_is() { [ "$(job_prop "$1" State)" = "s \"$2\"" ]; }
# pi4_flow_paused: pi4 shows the lent command paused, with why.
pi4_flow_paused() { P --json status | json_get '[f["paused"] for f in d["flows"] if f["direction"] == "lend"][0]' | grep -q 'the owner needs the cores'; }
# The command's process on pi4 by its unique argument; its state letter from ps.
cmd_pid() { pgrep -f "^sleep $1\$" | head -1 | grep .; }
proc_state() { ps -o stat= -p "$1" | cut -c1; }
stopped() { [ "$(proc_state "$(cmd_pid "$1")")" = T ]; }
not_stopped() { local s; s=$(proc_state "$(cmd_pid "$1")"); [ -n "$s" ] && [ "$s" != T ]; }

scenario_pause_resume() {  # alone: vesta stress keeps every core of the machine busy
  start_nodes "${LAB[@]}" -- "${PI4[@]}"
  lab_links
  L exec --on pi4 -- sleep 45.5 >"$WORK/exec.out" 2>"$WORK/exec.err" &
  local exec_pid=$!
  check "the command starts on pi4" wait_for 20 cmd_pid 45.5
  local path
  path=$(job_path)
  check "and runs there while its owner is idle" wait_for 10 state_is "$path" running
  check "not stopped" not_stopped 45.5
  pi4_real
  P stress 0 60 >/dev/null
  check "vesta stress on pi4 pauses the borrowed command (SIGSTOP)" wait_for 20 stopped 45.5
  check "lab shows the job paused" wait_for 10 state_is "$path" paused
  expect_contains "with why (PauseReason)" "the owner needs the cores" "$(job_prop "$path" PauseReason)"
  expect_contains "vesta jobs on lab says paused, and why" "paused: the owner needs the cores" "$(L jobs)"
  check "pi4 shows its lent command paused, and why" wait_for 10 pi4_flow_paused
  expect_contains "vesta status on pi4 too" "paused: the owner needs the cores" "$(P status)"
  check "vesta exec tells its user" wait_for 10 grep -q "job 1 paused on pi4: the owner needs the cores" "$WORK/exec.err"
  P stop-stress >/dev/null
  pi4_idle  # the owner is done; what else loads this test machine is not pi4's owner
  check "after stress the command runs again (SIGCONT)" wait_for 20 not_stopped 45.5
  check "lab shows the job running again" wait_for 10 state_is "$path" running
  check "vesta exec says it resumed" wait_for 10 grep -q "job 1 resumed on pi4" "$WORK/exec.err"
  wait_exit $exec_pid 60
  check "and the command ends well (exit 0)" test $? -eq 0
}

scenario_paused_too_long() {  # alone: vesta stress keeps every core of the machine busy
  PI4+=(-max-pause 2)
  start_nodes "${LAB[@]}" -- "${PI4[@]}"
  lab_links
  L exec --on pi4 -- sleep 27.5 >"$WORK/exec.out" 2>"$WORK/exec.err" &
  local exec_pid=$!
  check "the command starts on pi4" wait_for 20 cmd_pid 27.5
  pi4_real
  P stress 0 60 >/dev/null
  check "stress pauses it" wait_for 20 stopped 27.5
  wait_exit $exec_pid 40
  local rc=$?
  check "paused past max_pause_s, its job fails (vesta exec exits non-zero)" test $rc -ne 0 -a $rc -ne 124
  expect_contains "with the reason" "pi4: paused 2 s for the owner (max_pause_s); run it elsewhere" "$(cat "$WORK/exec.err")"
  check "and the command is gone from pi4" wait_for 10 bash -c "! pgrep -f '^sleep 27.5\$'"
  P stop-stress >/dev/null
}

# vestad's CPU time (all its threads, utime + stime) in seconds, from /proc.
cpu_seconds() { awk -v hz="$(getconf CLK_TCK)" '{ sub(/.*\) /, ""); print ($12 + $13) / hz }' "/proc/$1/stat"; }
# The CPU time of vestad's borrowed chunk threads (named vesta-borrowed), in seconds.
borrowed_seconds() {
  local t sum=0
  for t in /proc/"$1"/task/*; do
    [ "$(cat "$t/comm" 2>/dev/null)" = vesta-borrowed ] || continue
    sum=$(awk -v hz="$(getconf CLK_TCK)" -v s="$sum" '{ sub(/.*\) /, ""); print s + ($12 + $13) / hz }' "$t/stat")
  done
  echo "$sum"
}

scenario_cpu_within_offer() {
  # 2 cores offered at 75%: 1.5 cores, so borrowed chunks run on one worker all the time and a
  # second half of it.
  start_nodes "${LAB[@]}" -- "${PI4[@]}" -cpu-offer-pct 75
  lab_links
  L cpu 3000 --on pi4 --no-split >/dev/null 2>&1 &
  local pid
  pid=$(cat "$WORK/pi4.pid")
  borrowed_running() { P --json status | json_get '[f["job"] for f in d["flows"] if f["direction"] == "lend"][0]'; }
  check "pi4 lends to lab's cpu job" wait_for 20 borrowed_running
  sleep 1  # its chunks are flowing
  local before after tb ta
  before=$(cpu_seconds "$pid")
  tb=$(borrowed_seconds "$pid")
  sleep 10
  after=$(cpu_seconds "$pid")
  ta=$(borrowed_seconds "$pid")
  local borrowed_cpu
  borrowed_cpu=$(awk -v a="$ta" -v b="$tb" 'BEGIN { printf "%.2f", a - b }')
  local used
  used=$(awk -v a="$after" -v b="$before" 'BEGIN { printf "%.2f", a - b }')
  echo "# pi4 used $used CPU seconds in 10 s, its borrowed chunk threads $borrowed_cpu; offered 1.5 cores"
  check "borrowed CPU time over 10 s stays within the offer + 10% (1.5 cores x 10 s x 1.1)" \
    awk -v u="$used" 'BEGIN { exit !(u <= 16.5) }'
  # The chunk threads: their CPU time over the same window is 1.5 workers' at most (two whole
  # ones would use up to 20 s), and each is SCHED_IDLE (policy 5).
  local policy_ok=1 t st
  for t in /proc/"$pid"/task/*; do
    [ "$(cat "$t/comm" 2>/dev/null)" = vesta-borrowed ] || continue
    st=$(sed 's/.*) //' "$t/stat" 2>/dev/null)
    [ "$(echo "$st" | awk '{print $39}')" = 5 ] || policy_ok=0
  done
  check "borrowed chunk threads used at most 1.5 cores x 10 s x 1.1 ($borrowed_cpu s)" \
    awk -v u="$borrowed_cpu" 'BEGIN { exit !(u <= 16.5) }'
  check "borrowed chunk threads are SCHED_IDLE (policy 5 in /proc/PID/task/TID/stat)" test $policy_ok = 1
  local tid
  tid=$(grep -l '^vesta-borrowed$' /proc/"$pid"/task/*/comm | head -1 | cut -d/ -f5)
  expect_contains "chrt agrees" "SCHED_IDLE" "$(chrt -p "$tid")"
  L cancel 1 >/dev/null
}

scenario_exec_idle() {
  start_nodes "${LAB[@]}" -- "${PI4[@]}"
  lab_links
  L exec --on pi4 -- sleep 31.5 >/dev/null 2>&1 &
  check "a borrowed command starts on pi4" wait_for 20 cmd_pid 31.5
  expect_contains "and runs at SCHED_IDLE" "SCHED_IDLE" "$(chrt -p "$(cmd_pid 31.5)")"
  check "with the idle I/O class" bash -c "ionice -p $(cmd_pid 31.5) | grep -q idle"
  P exec --local -- sleep 32.5 >/dev/null 2>&1 &
  check "pi4's owner's own command starts" wait_for 20 cmd_pid 32.5
  expect_contains "at the normal policy (nice 10)" "SCHED_OTHER" "$(chrt -p "$(cmd_pid 32.5)")"
  L cancel 1 >/dev/null
  P cancel 1 >/dev/null
}

scenario_memory_reserve() {
  start_nodes "${LAB[@]}" -- "${PI4[@]}"
  lab_links
  L mem 100 60000 --on pi4 >"$WORK/mem.out" 2>&1 &
  local mem_pid=$!
  L exec --on pi4 -- sleep 35.5 >"$WORK/exec.out" 2>"$WORK/exec.err" &
  local exec_pid=$!
  lent_kinds() { P --json status | json_get '" ".join(sorted(f["kind"] for f in d["flows"] if f["direction"] == "lend"))'; }
  lends_both() { [ "$(lent_kinds)" = "exec mem" ]; }
  check "pi4 lends a mem job and runs a command" wait_for 20 lends_both
  P exec --local -- sleep 36.5 >/dev/null 2>&1 &
  local own_pid=$!
  check "pi4's own command runs too" wait_for 20 cmd_pid 36.5
  # The owner opens something big: MemAvailable 300 MiB of 8000, reserve 20% = 1600 MiB.
  printf 'MemTotal: %d kB\nMemFree: %d kB\nMemAvailable: %d kB\n' \
    $((8000 * 1024)) $((300 * 1024)) $((300 * 1024)) >"$WORK/root-pi4/proc/meminfo"
  wait_exit $mem_pid 30
  check "the borrowed mem job is stopped (vesta mem fails)" test $? -eq 1
  expect_contains "with the reason" "stopped: the owner needs the memory (MemAvailable 300 MiB, reserve 1600 MiB)" "$(cat "$WORK/mem.out")"
  wait_exit $exec_pid 30
  check "the borrowed command is stopped too" test $? -ne 0
  expect_contains "with the reason" "the owner needs the memory (MemAvailable 300 MiB" "$(cat "$WORK/exec.err")"
  check "pi4's own command is never stopped for this" kill -0 $own_pid
  P cancel 1 >/dev/null
}

run_scenarios "$@"
