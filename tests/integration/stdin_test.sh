#!/bin/bash
# vesta exec's stdin end to end: forwarded byte for byte to a peer's command and to this node's
# own, its end closing the command's stdin, -n, the credit flow that keeps a slow command from
# filling anyone's memory, and --each --pipe over two nodes against the same command run here.
# Real vestad processes on a private bus, loopback only (stdin_test.sh NAME runs one scenario).
source "$(dirname "$0")/lib.sh"
# Both nodes look idle (fixture /proc), so the load of this busy machine cannot make them refuse
# or keep the jobs of --pipe off one of them.
make_root "$WORK/root-desk" 4 4000
make_root "$WORK/root-pi4" 4 4000
DESK=(desk -allow-exec -sysroot "$WORK/root-desk")
PI4=(pi4 -allow-exec -sysroot "$WORK/root-pi4")
V() { "$VESTA" -node desk "$@"; }
cd "$WORK" || exit 1


# 50 MB of random bytes through xz on the command's side and back: equal byte for byte, on a
# peer and on this node (the same path, through the local queue).
scenario_xz_round_trip() {
  start_nodes "${DESK[@]}" -- "${PI4[@]}"
  desk_links 1
  head -c 50M /dev/urandom >in
  V exec --on pi4 -- xz -0 -c <in | xz -d | cmp - in
  check "50 MB through xz on pi4 and back are equal" test "${PIPESTATUS[*]}" = "0 0 0"
  V exec --local -- xz -0 -c <in | xz -d | cmp - in
  check "50 MB through xz on this node and back are equal" test "${PIPESTATUS[*]}" = "0 0 0"
}

# The end of vesta's stdin is the end of the command's: wc ends and counts what came.
scenario_eof() {
  start_nodes "${DESK[@]}" -- "${PI4[@]}"
  desk_links 1
  head -c 1234567 /dev/urandom >file
  check "a file as stdin: wc -c on pi4 counts it all and ends" \
    test "$(V exec --on pi4 -- wc -c <file)" = 1234567
  check "and on this node" test "$(V exec --local -- wc -c <file)" = 1234567
  check "a pipe as stdin ends with its writer" \
    test "$(printf 'abc' | V exec --on pi4 -- wc -c)" = 3
  check "an empty stdin is an empty stdin" test "$(V exec --on pi4 -- wc -c </dev/null)" = 0
  # A stdin that never ends (a FIFO this shell holds open for writing, writing nothing) does
  # not hold vesta once its command has ended.
  mkfifo never
  exec 7<>never
  "$VESTA" -node desk exec --on pi4 -- true <never &
  wait_exit $! 60
  check "a command that never reads its endless stdin ends vesta exec (status 0)" test $? -eq 0
  exec 7>&-
  # The command stops reading early (head): vesta still ends, with head's status.
  out=$(yes | head -c 20000000 | V exec --on pi4 -- head -c 5); rc=$?
  check "a command that stops reading ends the job (status 0)" test $rc -eq 0
  check "with what it read" test "$out" = "y
y
y"
}

# -n as ssh's: the command's stdin is /dev/null even with data waiting; --each (no --pipe) too.
scenario_no_stdin() {
  start_nodes "${DESK[@]}" -- "${PI4[@]}"
  desk_links 1
  check "-n: the command reads nothing" test "$(echo data | V exec -n --on pi4 -- wc -c)" = 0
  check "--no-stdin: the same" test "$(echo data | V exec --no-stdin --local -- wc -c)" = 0
  # (the argument becomes sh's $0: wc reads the job's stdin)
  check "--each jobs get /dev/null" \
    test "$(echo data | V exec --each a -- sh -c 'wc -c' 2>/dev/null)" = 0
}

# A command that reads nothing for 2 s, then everything: 50 MB wait in vesta's stdin, not in
# the daemons. Their peak resident memory (VmHWM) grows by a bounded amount, whatever the size.
scenario_slow_consumer() {
  start_nodes "${DESK[@]}" -- "${PI4[@]}"
  desk_links 1
  head -c 50M /dev/urandom >in
  # The peak is reset to the resident size first (clear_refs 5): vestad's start (scrypt) has a
  # peak of its own that would hide a growth below it.
  status_kb() { awk "/$2/ {print \$2}" "/proc/$(cat "$WORK/$1.pid")/status"; }
  reset_peak() { echo 5 >"/proc/$(cat "$WORK/$1.pid")/clear_refs"; status_kb "$1" VmRSS; }
  hwm() { status_kb "$1" VmHWM; }
  desk0=$(reset_peak desk) pi40=$(reset_peak pi4)
  V exec --on pi4 -- sh -c 'sleep 2; cat' <in >out
  check "50 MB through a slow command arrive whole" cmp -s in out
  desk1=$(hwm desk) pi41=$(hwm pi4)
  echo "# VmRSS -> VmHWM: desk ${desk0} -> ${desk1} kB, pi4 ${pi40} -> ${pi41} kB"
  # AddressSanitizer's quarantine keeps freed memory (256 MiB) from reuse, so in a sanitizer
  # build the peaks say nothing about Vesta's buffers; the gcc build checks them.
  local asan=0
  grep -q __asan_init "$VESTAD" && asan=1 && echo "# sanitizer build: peaks not checked"
  if [ $asan = 0 ]; then
    check "the submitting vestad's peak grew by under 16 MiB" test $((desk1 - desk0)) -lt 16384
    check "the runner's peak grew by under 16 MiB" test $((pi41 - pi40)) -lt 16384
  fi
  desk0=$(reset_peak desk)
  V exec --local -- sh -c 'sleep 2; cat' <in >out
  check "and through this node's own runner" cmp -s in out
  desk2=$(hwm desk)
  echo "# local: VmRSS -> VmHWM: desk ${desk0} -> ${desk2} kB"
  if [ $asan = 0 ]; then
    check "where desk's peak grew by under 16 MiB too" test $((desk2 - desk0)) -lt 16384
  fi
}

# --each --pipe over two nodes: the blocks' outputs, in input order with -k, equal the command
# run here on the whole input; without -k the same lines, in the order jobs end.
scenario_pipe() {
  start_nodes "${DESK[@]}" -- "${PI4[@]}"
  desk_links 1
  seq 1 2000000 | grep 7 >want
  # Each job waits a second, so the 15 blocks are spread over both nodes' slots.
  seq 1 2000000 | V exec --each --pipe --block 1M -k -- sh -c 'sleep 1; grep 7' >got 2>summary
  check "--pipe -k over two nodes equals grep run here" cmp -s want got
  expect_contains "every block was a job that ended well" "15 jobs, 15 ok, 0 failed" "$(cat summary)"
  expect_contains "desk ran some" "desk " "$(cat summary)"
  expect_contains "pi4 ran some" "pi4 " "$(cat summary)"
  seq 1 2000000 | V exec --each --pipe --block 64k -- grep 7 >unordered 2>/dev/null
  check "without -k: the same lines" cmp -s <(sort want) <(sort unordered)
  check "an empty stdin runs no job" test "$(V exec --each --pipe -- wc -c </dev/null 2>&1)" = \
    "vesta: 0 jobs, 0 ok, 0 failed"
  # vesta reads ahead only for free slots: 250 MB of lines pass through a vesta whose address
  # space is held to 160 MB (reading it all ahead dies of bad_alloc under 60 MB: the limit
  # bites). A sanitizer build reserves far more address space than any limit allows.
  if ! grep -q __asan_init "$VESTA"; then
    yes 0123456789abcdef | head -c 250M >lines
    (ulimit -v 160000; "$VESTA" -node desk exec --each --pipe -- wc -l <lines >counts 2>summary)
    check "250 MB through --pipe with vesta's address space under 160 MB" test $? -eq 0
    check "every line counted once" test "$(awk '{s += $1} END {print s}' counts)" = $((250 * 1048576 / 17))
  fi
  printf 'a\nb' | V exec --each --pipe -k -- cat >last 2>/dev/null
  check "a last line without a newline is kept as it is" test "$(od -c <last)" = "$(printf 'a\nb' | od -c)"
}

# A D-Bus caller handing over a stdin vestad cannot use: refused at the call, naming the rule.
scenario_bad_stdin_fd() {
  start_nodes "${DESK[@]}"
  out=$("$EXEC_CALL" "$VESTA_BUS" stdin-write-end)
  check "a pipe's write end as stdin is refused" test $? -eq 0
  expect_contains "saying to pass the read end" "stdin: not open for reading (the write end of a pipe?); pass the read end" "$out"
  out=$("$EXEC_CALL" "$VESTA_BUS" stdin-file)
  expect_contains "a file or terminal as stdin is refused" "stdin: expected a pipe or socket" "$out"
}

# Bad stdin flags: one line naming the flag, what it needs, exit 2; no daemon needed.
scenario_usage() {
  out=$("$VESTA" exec --pipe -- cat 2>&1); rc=$?
  check "--pipe without --each is a usage error" test $rc -eq 2
  expect_contains "saying what it goes with" "--pipe cuts stdin into one job per block, so it goes with --each" "$out"
  out=$("$VESTA" exec --each --pipe --block 0 -- cat 2>&1); rc=$?
  check "--block 0 is a usage error" test $rc -eq 2
  expect_contains "naming the value and an example" '--block: "0" is not a size' "$out"
  out=$("$VESTA" exec --each --pipe --block 5X -- cat 2>&1)
  expect_contains "--block 5X too" '--block: "5X" is not a size; expected bytes with an optional k, M or G suffix' "$out"
  out=$("$VESTA" exec --block 1M -- cat 2>&1)
  expect_contains "--block without --pipe" "--block sets the size of --pipe's blocks" "$out"
  out=$("$VESTA" exec -k -- cat 2>&1)
  expect_contains "-k without --pipe" "orders the outputs of --each --pipe" "$out"
  out=$("$VESTA" exec --each a b --pipe -- cat 2>&1)
  expect_contains "--pipe with --each arguments" "give --each no arguments" "$out"
  out=$("$VESTA" exec --each --pipe -n -- cat 2>&1)
  expect_contains "--pipe with -n" "-n (--no-stdin) closes it" "$out"
}

run_scenarios "$@"
