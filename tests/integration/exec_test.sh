#!/bin/bash
# Exec jobs end to end: consent and the allowlist, streaming (large, binary, unmixed, with
# backpressure), exit codes and signals, Ctrl-C and a dead submitter, --timeout, --put/--get and
# the cache, shipped programs, the fan-out, Landlock confinement, and piwork spilling from a
# stressed node. Real vestad processes on a private bus, loopback only; each scenario starts
# its own (exec_test.sh NAME runs one, no NAME runs them all).
source "$(dirname "$0")/lib.sh"
# piwork is "installed" on every node: its directory is on the daemons' PATH.
export PATH="$(dirname "$PIWORK"):$PATH"
# desk measures the real machine; the peers look idle (fixture /proc), so the load of this busy
# test machine cannot make them refuse.
make_root "$WORK/root-pi4" 4 4000
make_root "$WORK/root-lab" 4 4000
make_root "$WORK/root-off" 2 2000
DESK=(desk -allow-exec)
PI4=(pi4 -allow-exec -exec-allowlist echo,cat,sh,head,sleep,piwork,/usr/bin/tr -sysroot "$WORK/root-pi4")
LAB=(lab -allow-exec -allow-shipped-exec -sysroot "$WORK/root-lab")
OFF=(off -sysroot "$WORK/root-off")
V() { "$VESTA" -node desk "$@"; }
cd "$WORK" || exit 1

# desk_links N: the scenario's nodes are up; desk waits for its N peers' links.

# off sends its own command to a peer that allows it: pi4, idle whatever the machine's load.
scenario_consent() {
  start_nodes "${DESK[@]}" -- "${PI4[@]}" -- "${OFF[@]}"
  desk_links 2
  out=$(V exec --on off -- echo hi 2>&1); rc=$?
  check "exec on a node without allow_exec fails with 255" test $rc -eq 255
  expect_contains "and names the node and the rule" "off: exec is off there (allow_exec)" "$out"
  out=$("$VESTA" -node off exec -- echo hi 2>&1); rc=$?
  check "a node without allow_exec sends its own command to a peer that allows it" test $rc -eq 0
  expect_contains "and it ran there" "hi" "$out"
}

# pi4's allowlist, and lab, which allows any program.
scenario_allowlist() {
  start_nodes "${DESK[@]}" -- "${PI4[@]}" -- "${LAB[@]}"
  desk_links 2
  check "a basename on the allowlist runs" test "$(V exec --on pi4 -- echo hi)" = hi
  check "the same program by full path runs" test "$(V exec --on pi4 -- /usr/bin/echo hi)" = hi
  out=$(V exec --on pi4 -- ls / 2>&1); rc=$?
  check "a program not on the allowlist is refused (255)" test $rc -eq 255
  expect_contains "with the node and the rule" "pi4: ls is not in its exec_allowlist" "$out"
  out=$(V exec --on pi4 -- /usr/bin/../bin/ls / 2>&1)
  expect_contains "a .. path is judged by what it names" "not in its exec_allowlist" "$out"
  out=$(V exec --on pi4 -- ./../../bin/echo hi 2>&1)
  expect_contains "a relative path may not climb out of the job's directory" "exec" "$out"
  mkdir -p "$WORK/links" && ln -sf /usr/bin/tr "$WORK/links/tr" && ln -sf /usr/bin/ls "$WORK/links/lsx"
  V exec --on pi4 -- "$WORK/links/tr" a-z A-Z </dev/null
  check "a symlink to a full-path entry runs as that program" test $? -eq 0
  out=$(V exec --on pi4 -- "$WORK/links/lsx" 2>&1)
  expect_contains "a symlink to another program is refused" "not in its exec_allowlist" "$out"
  out=$(V exec --on lab -- no-such-program-here 2>&1); rc=$?
  check "a program that does not exist fails (255)" test $rc -eq 255
  expect_contains "saying so" "no such program" "$out"
  out=$(V exec -- '' 2>&1); rc=$?
  check "an empty argv[0] is a usage error (2)" test $rc -eq 2
}

# Right after a link comes up, the peer's consent is already known: it rides in the Hello, so
# no ExecPolicy frame can still be on its way (which once made placement call it "exec is off").
scenario_relink() {
  start_nodes "${DESK[@]}" -- "${PI4[@]}"
  desk_links 1
  link_to() { [ "$(V --json peers | json_get '",".join(p["link"] for p in d["peers"] if p["name"] == "'"$1"'")')" = "$2" ]; }
  for round in 1 2 3; do
    stop_node pi4
    wait_for 20 link_to pi4 down
    start_node "${PI4[@]}" -port "$(cat "$WORK/pi4.port")" || exit 1
    wait_for 20 link_to pi4 up
    out=$(V exec --on pi4 -- echo "round $round" 2>&1)
    check "exec on pi4 the moment its link is up again (round $round)" test "$out" = "round $round"
  done
}

scenario_streaming() {
  start_nodes "${DESK[@]}" -- "${PI4[@]}"
  desk_links 1
  head -c 5000000 /dev/urandom >"$WORK/blob"
  want=$(sha256sum <"$WORK/blob" | cut -d' ' -f1)
  got=$(V exec --on pi4 -- cat "$WORK/blob" | sha256sum | cut -d' ' -f1)
  check "5 MB of binary output arrive byte for byte" test "$got" = "$want"
  V exec --on pi4 -- sh -c 'echo to-out; echo to-err >&2' >"$WORK/o" 2>"$WORK/e"
  check "stdout reaches stdout only" test "$(cat "$WORK/o")" = to-out
  check "stderr reaches stderr only" test "$(cat "$WORK/e")" = to-err
  # A reader that waits: the command must wait too, not pile its output up in memory.
  rss() { awk '/VmRSS/ {print $2}' "/proc/$(cat "$WORK/$1.pid")/status"; }
  before=$(($(rss desk) + $(rss pi4)))
  V exec --on pi4 -- head -c 300000000 /dev/zero | (sleep 4; wc -c >"$WORK/count") &
  reader=$!
  sleep 3
  during=$(($(rss desk) + $(rss pi4)))
  wait $reader
  check "300 MB arrive whole through a slow reader" test "$(cat "$WORK/count")" = 300000000
  check "while both daemons grow by under 32 MiB (backpressure)" test $((during - before)) -lt 32768
}

scenario_exit_codes() {
  start_nodes "${DESK[@]}" -- "${PI4[@]}"
  desk_links 1
  V exec --on pi4 -- sh -c 'exit 7'
  check "the command's exit code is vesta's" test $? -eq 7
  V exec --on pi4 -- sh -c 'kill -TERM $$'
  check "a signal death is 128+N" test $? -eq 143
  V exec --on pi4 --timeout 1 -- sleep 30
  check "--timeout kills the command: 124" test $? -eq 124
}

# Ctrl-C, and a submitter that dies.
scenario_interrupt() {
  start_nodes "${DESK[@]}" -- "${PI4[@]}"
  desk_links 1
  # Started directly (not through V), so $! is vesta itself.
  "$VESTA" -node desk exec --on pi4 -- sleep 987 &
  vpid=$!
  # Anchored: vesta's own command line holds "sleep 987" too.
  running() { pgrep -f "^sleep 987" >/dev/null; }
  check "a remote command runs" wait_for 10 running
  kill -INT $vpid
  wait_exit $vpid 30
  check "Ctrl-C ends vesta exec with 130" test $? -eq 130
  check "and kills the remote command" wait_for 5 eval '! running'
  "$VESTA" -node desk exec --on pi4 -- sleep 988 &
  vpid=$!
  running2() { pgrep -f "^sleep 988" >/dev/null; }
  check "another remote command runs" wait_for 10 running2
  kill -9 $vpid
  wait_exit $vpid 30 2>/dev/null
  check "killing vesta exec kills the remote command too" wait_for 5 eval '! running2'
  # A fan-out's jobs share one submitter: all of them end with it, here and on the peer.
  "$VESTA" -node desk exec --each 9891 9892 9893 -- sleep &
  vpid=$!
  fanned() { test "$(pgrep -fc "^sleep 989[123]")" -eq 3; }
  check "a fan-out's commands run" wait_for 10 fanned
  kill -9 $vpid
  wait_exit $vpid 30 2>/dev/null
  check "killing its vesta exec kills all of them" wait_for 5 eval '! pgrep -f "^sleep 989[123]" >/dev/null'
}

# vestad stopped (SIGTERM, as systemctl stop does) while exec commands run on it, its owner's and
# a peer's (lab: idle, whatever the machine's load): it ends them and exits, and nothing of theirs is left. It used to spin on their
# reapers' pidfds and never exit, until systemd killed it.
scenario_stop_while_running() {
  start_nodes "${DESK[@]}" -- "${LAB[@]}"
  desk_links 1
  "$VESTA" -node lab exec --local -- sleep 977 >/dev/null 2>&1 &
  "$VESTA" -node desk exec --on lab -- sleep 978 >/dev/null 2>&1 &
  both() { [ "$(pgrep -fc '^sleep 97[78]')" -eq 2 ]; }
  check "lab runs its owner's command and desk's" wait_for 10 both
  stop_node lab; rc=$?
  check "SIGTERM stops lab's vestad, exit 0 ($rc)" test $rc -eq 0
  check "and its commands are gone" wait_for 5 eval '! pgrep -f "^sleep 97[78]" >/dev/null'
}

# --put, --get, the cache, and shipped programs.
scenario_files() {
  start_nodes "${DESK[@]}" -- "${PI4[@]}" -- "${LAB[@]}"
  desk_links 2
  mkdir -p "$WORK/cwd" && cd "$WORK/cwd" || exit 1
  printf 'hello files\n' >in.txt
  V exec --on pi4 --put in.txt --get 'out*' -- sh -c 'tr a-z A-Z <in.txt >out.txt'
  check "--put ships a file and --get brings the result back" test "$(cat out.txt 2>/dev/null)" = "HELLO FILES"
  sha=$(sha256sum in.txt | cut -d' ' -f1)
  check "pi4 keeps the shipped file by its SHA-256" test -f "$WORK/state-pi4/cache/$sha"
  V exec --on pi4 --put in.txt -- cat in.txt >/dev/null
  check "a repeated input is not sent again" grep -q "1 shipped file, 1 from the cache" "$WORK/pi4.log"
  scratch_empty() { [ -z "$(ls -A "$WORK/state-pi4/scratch")" ]; }
  check "the job's scratch directories are gone afterwards" wait_for 5 scratch_empty
  printf '#!/bin/sh\necho "shipped ran on $VESTA_NODE"\n' >tool.sh && chmod +x tool.sh
  out=$(V exec --on pi4 -- ./tool.sh 2>&1)
  expect_contains "a shipped program is refused without allow_shipped_exec" "allow_shipped_exec" "$out"
  check "and runs where it is allowed" test "$(V exec --on lab -- ./tool.sh)" = "shipped ran on lab"
}

# Nothing outside the job's directory is writable (Landlock).
scenario_confinement() {
  start_nodes "${DESK[@]}" -- "${LAB[@]}"
  desk_links 1
  target="$WORK/escape-$DPORT"
  V exec --on lab -- sh -c "echo x > $target"
  rc=$?
  if grep -q "no Landlock" "$WORK/lab.log"; then
    echo "ok - # SKIP the kernel has no Landlock: writes outside the scratch directory are not confined"
  else
    check "a command cannot write outside its scratch directory" test $rc -ne 0 -a ! -e "$target"
  fi
  check "but writes inside it" test "$(V exec --on lab -- sh -c 'echo in >f && cat f')" = in
}

# A fan-out with one failing job, over every kind of node.
scenario_fanout() {
  start_nodes "${DESK[@]}" -- "${PI4[@]}" -- "${LAB[@]}" -- "${OFF[@]}"
  desk_links 3
  V exec --each 1 2 3 4 5 6 -- sh -c 'test {} != 3' 2>"$WORK/each.err"
  rc=$?
  check "a fan-out with one failure exits 1" test $rc -eq 1
  expect_contains "its summary counts the jobs" "6 jobs, 5 ok, 1 failed" "$(cat "$WORK/each.err")"
  expect_contains "and names the failed one" "failed: 3 on" "$(cat "$WORK/each.err")"
  out=$(V exec --each a b c -- echo item {} 2>/dev/null | sort | tr '\n' ' ')
  check "each job's output arrives whole" test "$out" = "item a item b item c "
}

# piwork from a stressed desk goes to a peer and says where it ran.
scenario_spill() {  # alone: it keeps every core of the machine busy
  start_nodes "${DESK[@]}" -- "${PI4[@]}" -- "${LAB[@]}" -- "${OFF[@]}"
  desk_links 3
  V stress 0 60 >/dev/null
  busy() { [ "$(V --json status | json_get 'int(d["node"]["cpu_pct"] >= 80)')" = 1 ]; }
  check "stress pushes desk over its spill threshold" wait_for 10 busy
  # AddressSanitizer reserves terabytes of address space, more than a borrowed job's memory
  # limit (RLIMIT_AS) allows: the sanitizer build checks the spill with sh instead.
  if grep -q __asan_init "$PIWORK"; then
    out=$(V exec -- sh -c 'echo "ran on host $(uname -n), vesta node $VESTA_NODE"' 2>&1)
  else
    out=$(V exec -- piwork 20 2>&1)
  fi
  V stop-stress >/dev/null
  expect_contains "piwork through exec ran on a peer" "vesta node " "$out"
  check "not on the stressed desk" eval '[[ "$out" != *"vesta node desk"* ]]'
}

# Every node says what it is; a shipped ELF program goes only where its architecture runs, and a
# relative -state-dir still runs shipped programs (the runner execs them from its scratch dir).
scenario_architectures() {
  local machine
  machine=$(uname -m)
  start_nodes "${DESK[@]}" -- "${LAB[@]}" -state-dir relstate
  desk_links 1
  check "desk's peers say lab is $machine" \
    test "$(V --json peers | json_get '[p["machine"] for p in d["peers"] if p["name"] == "lab"][0]')" = "$machine"
  expect_contains "vesta status names this machine's architecture" "arch    $machine" "$(V status)"
  mkdir -p "$WORK/arch" && cd "$WORK/arch" || exit 1
  # A shipped program of this machine's architecture that says where it ran: piwork, except in
  # a sanitizer build, whose AddressSanitizer reserves more address space than a job's RLIMIT_AS
  # allows; there a copy of sh (an ELF program as well) says it.
  local run=(1)
  if grep -q __asan_init "$PIWORK"; then
    cp "$(readlink -f /bin/sh)" piwork
    run=(-c 'echo "vesta node $VESTA_NODE"')
  else
    cp "$PIWORK" piwork
  fi
  out=$(V exec -- ./piwork "${run[@]}" 2>&1)
  expect_contains "a shipped program of this machine's architecture runs (on lab)" "vesta node lab" "$out"
  check "from lab's relative state dir, made absolute" test -d "$WORK/relstate/cache"
  # An AArch64 program's header: placement reads only that, so nothing needs to run it.
  python3 -c 'import sys; sys.stdout.buffer.write(b"\x7fELF\x02\x01\x01" + bytes(9) + b"\x02\x00\xb7\x00" + bytes(44))' >prog
  chmod +x prog
  if [ "$machine" != aarch64 ]; then
    out=$(V exec -- ./prog 2>&1); rc=$?
    check "an AArch64 program that no node runs fails with 255" test $rc -eq 255
    expect_contains "naming the node and the program's architecture" \
      "lab is $machine; ./prog is an AArch64 program" "$out"
  fi
  cp piwork "piwork.$machine"
  out=$(V exec -- "./piwork.{arch}" "${run[@]}" 2>&1)
  expect_contains "{arch} ships this machine's variant and runs it" "vesta node lab" "$out"
  out=$(V exec -- "./missing.{arch}" 2>&1); rc=$?
  check "a {arch} program with no variant here is a usage error" test $rc -eq 2
  expect_contains "that says so" "missing.{arch}: no file here for any architecture" "$out"
  out=$(V exec --arch riscv64 -- ./piwork 1 2>&1)
  expect_contains "--arch keeps a job off nodes of other architectures" \
    "lab is $machine, not one of --arch riscv64" "$out"
  out=$(V exec --arch arm65 -- ./piwork 1 2>&1); rc=$?
  check "an unknown --arch is a usage error" test $rc -eq 2
  expect_contains "that names the value" '--arch: "arm65"' "$out"
}

run_scenarios "$@"
