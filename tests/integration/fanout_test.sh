#!/bin/bash
# The fan-out for real work, with real vestad processes on a private bus (loopback only):
# arguments after ::: and ::::, dashes included; --retries on a node that has not failed the
# command; --joblog in GNU parallel's format (compared with parallel's own); --resume and
# --resume-failed after a fan-out cut short, counted by the jobs themselves; and no descriptor
# left behind in vestad after thousands of jobs. exec_test.sh has the fan-out's basics.
source "$(dirname "$0")/lib.sh"
make_root "$WORK/root-lab" 4 4000
make_root "$WORK/root-pi4" 4 4000
DESK=(desk -allow-exec)
LAB=(lab -allow-exec -sysroot "$WORK/root-lab")
PI4=(pi4 -allow-exec -sysroot "$WORK/root-pi4")
V() { "$VESTA" -node desk "$@"; }
cd "$WORK" || exit 1

# start_counter: a listener on a spare port that appends every line it is sent to
# $WORK/counter. Jobs cannot write outside their scratch directory (Landlock), so they count
# themselves over loopback: bash -c 'echo {} >/dev/tcp/127.0.0.1/$COUNTER_PORT'.
start_counter() {
  COUNTER_PORT=$(spare_port 1)
  : >"$WORK/counter"
  python3 - "$COUNTER_PORT" "$WORK/counter" <<'PY' &
import socketserver, sys
class Count(socketserver.StreamRequestHandler):
    def handle(self):
        data = self.rfile.read()
        with open(sys.argv[2], "ab") as f:
            f.write(data)
socketserver.ThreadingTCPServer.allow_reuse_address = True
socketserver.ThreadingTCPServer(("127.0.0.1", int(sys.argv[1])), Count).serve_forever()
PY
  echo $! >"$WORK/counter.pid"
  wait_for 10 bash -c "echo probe >/dev/tcp/127.0.0.1/$COUNTER_PORT"
  wait_for 10 grep -q probe "$WORK/counter"  # the probe is in: none can arrive after this
  : >"$WORK/counter"
}
# counted N: how many times the jobs said N.
counted() { grep -cx "$1" "$WORK/counter"; }
all_counted() { wc -l <"$WORK/counter"; }
log_lines() { [ "$(($(wc -l <"$WORK/$1") - 1))" -ge "$2" ]; }

# Every word after ::: is an argument, dashes included; :::: FILE reads them from FILE.
scenario_colons() {
  start_nodes "${DESK[@]}"
  out=$(V exec -- printf '[%s]\n' {} ::: -n --x -x.wav 2>/dev/null | sort | tr '\n' ' ')
  check "::: takes -n, --x and -x.wav as arguments" test "$out" = "[--x] [-n] [-x.wav] "
  out=$(V exec printf '<%s>\n' ::: -a 2>/dev/null)
  check "without --, and with no placeholder (appended)" test "$out" = "<-a>"
  printf 'one\n-two\n\nthree four\n' >args.txt
  out=$(V exec -- printf '[%s]\n' {} :::: args.txt 2>/dev/null | sort | tr '\n' ' ')
  check ":::: FILE: one argument per line, empty lines skipped" test "$out" = "[-two] [one] [three four] "
  echo "inside a dashed file" >./-x.wav
  out=$(V exec --put {} -- sh -c 'cat -- "$1"' sh {} ::: -x.wav 2>/dev/null)
  check "a file named -x.wav is put and read" test "$out" = "inside a dashed file"
  out=$(V exec -- echo ::: 2>&1); rc=$?
  check "::: with nothing after it is a usage error (2)" test $rc -eq 2
  expect_contains "that says what to give" '":::" with nothing after it' "$out"
  out=$(V exec --each a -- echo {} ::: b 2>&1); rc=$?
  check "--each and ::: together is a usage error" test $rc -eq 2
  expect_contains "naming both" "both with --each" "$out"
  out=$(V exec -- echo {} ::: a ::: b 2>&1); rc=$?
  check "two groups of ::: are refused" test $rc -eq 2
  expect_contains "saying combinations are not supported" "only one group" "$out"
  out=$(V exec -- echo {} :::: 2>&1); rc=$?
  check ":::: needs one file" test $rc -eq 2
  out=$(V exec -- echo {} :::: no-such-file 2>&1); rc=$?
  check ":::: of a missing file is a usage error" test $rc -eq 2
  expect_contains "naming it" "no-such-file: cannot read it" "$out"
}

# Bad values of the new options: one line naming the option, the value and what is expected.
scenario_bad_options() {
  start_nodes "${DESK[@]}"
  out=$(V exec --retries -1 -- true 2>&1); rc=$?
  check "--retries -1 is a usage error" test $rc -eq 2
  expect_contains "naming the range" '--retries: "-1" is not a whole number 0..100' "$out"
  out=$(V exec --resume -- echo {} ::: a 2>&1); rc=$?
  check "--resume without --joblog is a usage error" test $rc -eq 2
  expect_contains "saying what it needs" "--resume reads the job log: give it with --joblog FILE" "$out"
  out=$(V exec --joblog jl --resume --resume-failed -- echo {} ::: a 2>&1); rc=$?
  check "--resume with --resume-failed is refused" test $rc -eq 2
  out=$(V exec --joblog jl -- true 2>&1); rc=$?
  check "--joblog without a fan-out is refused" test $rc -eq 2
  expect_contains "saying what it belongs to" "--joblog belongs to a fan-out" "$out"
  printf 'not a job log\n' >bad.log
  out=$(V exec --joblog bad.log --resume -- echo {} ::: a 2>&1); rc=$?
  check "--resume of a file that is not a job log is refused" test $rc -eq 2
  expect_contains "naming the file and the line" "--joblog bad.log: joblog line 1" "$out"
  check "and the file is left as it was" test "$(cat bad.log)" = "not a job log"
}

# A command that fails on pi4 only: without --retries the fan-out fails; with --retries 2 every
# job ends ok, the failed ones again on desk, and the summary and the job log say each attempt.
scenario_retries() {
  start_nodes "${DESK[@]}" -- "${PI4[@]}"
  desk_links 1
  # Held for a while, so that pi4's slots take some of them whatever desk's load.
  cmd=(sh -c 'sleep 0.5; echo "{} ran on $VESTA_NODE"; test "$VESTA_NODE" != pi4')
  V exec --each 1 2 3 4 5 6 -- "${cmd[@]}" >plain.out 2>plain.err; rc=$?
  check "without --retries, the jobs that ran on pi4 fail" test $rc -ge 1
  expect_contains "on pi4" "on pi4: exit 1" "$(cat plain.err)"
  V exec --retries 2 --joblog retries.log --each 1 2 3 4 5 6 -- "${cmd[@]}" >retry.out 2>retry.err; rc=$?
  check "with --retries 2 every job ends ok" test $rc -eq 0
  expect_contains "the summary counts them ok" "6 jobs, 6 ok, 0 failed" "$(cat retry.err)"
  check "only the attempt that counts shows its output, each job once" \
    test "$(sort retry.out | tr '\n' ' ')" = "1 ran on desk 2 ran on desk 3 ran on desk 4 ran on desk 5 ran on desk 6 ran on desk "
  expect_contains "the summary says each attempt" "attempt 1 on pi4: exit 1; attempt 2 on desk: ok" "$(cat retry.err)"
  failed_lines=$(awk -F'\t' 'NR > 1 && $2 == "pi4" && $7 == 1' retries.log | wc -l)
  ok_lines=$(awk -F'\t' 'NR > 1 && $2 == "desk" && $7 == 0' retries.log | wc -l)
  check "the job log has a line for each failed attempt on pi4" test "$failed_lines" -ge 1
  check "and one ok line on desk per job" test "$ok_lines" -eq 6
  # A single command that fails wherever it runs first: the retry goes to the other node.
  # It reads the count before adding itself, and ends only once the listener has appended its
  # line (which the listener does after the connection closes): else, on a loaded machine, the
  # retry could read the count before the first attempt's line is in.
  cmd1=(bash -c 'c='"$WORK"'/counter; n=$(wc -l <$c); echo $VESTA_NODE >/dev/tcp/127.0.0.1/'$(spare_port 1)'
    for _ in $(seq 200); do [ "$(wc -l <$c)" -gt "$n" ] && break; sleep 0.05; done; [ "$n" -ge 1 ]')
  start_counter
  V exec --retries 1 -- "${cmd1[@]}" 2>single.err; rc=$?
  check "a single job with --retries 1 ends ok on its second attempt" test $rc -eq 0
  check "on the other node" test "$(grep . "$WORK/counter" | sort -u | wc -l)" -eq 2
  expect_contains "saying so" "attempt 1 of at most 2 failed on" "$(cat single.err)"
  : >"$WORK/counter"
  V exec -- "${cmd1[@]}" 2>/dev/null; rc=$?
  check "without --retries it fails" test $rc -eq 1
}

# The job log has parallel's columns: the same header, and for the same command and arguments
# the same Seq, Send, Receive, Exitval, Signal and Command; Host is the node, times as parallel's.
scenario_joblog_format() {
  start_nodes "${DESK[@]}"
  if ! command -v parallel >/dev/null; then
    echo "ok - # SKIP GNU parallel is not installed (tools/deps.sh installs it)"
    return
  fi
  V exec --joblog ours.log -- printf '[%s]\n' {} ::: a 'b c' -n x >/dev/null 2>&1
  parallel --will-cite -j1 --joblog theirs.log printf "'[%s]\n'" ::: a 'b c' -n x >/dev/null 2>&1
  check "the same header line" test "$(head -1 ours.log)" = "$(head -1 theirs.log)"
  cols() { tail -n +2 "$1" | awk -F'\t' -v OFS='\t' '{print $1, $5, $6, $7, $8, $9}' | sort -n; }
  if diff <(cols theirs.log) <(cols ours.log) >cols.diff; then ok "Seq, Send, Receive, Exitval, Signal and Command as parallel's"; else not_ok "columns as parallel's" "$(cat cols.diff)"; fi
  check "every line has 9 tab-separated columns" test "$(awk -F'\t' 'NF != 9' ours.log | wc -l)" -eq 0
  check "Host is the node" test "$(tail -n +2 ours.log | cut -f2 | sort -u)" = desk
  check "Starttime and JobRuntime as parallel writes them" \
    test "$(tail -n +2 ours.log | grep -cP '^\d+\t[^\t]+\t\d{10}\.\d{3}\t {0,9}\d+\.\d{3}\t')" -eq 4
  # A command killed by a signal: Exitval 0 and the signal in Signal, as parallel logs it.
  V exec --joblog ours-signal.log -- sh -c 'kill -{} $$' ::: TERM KILL >/dev/null 2>&1
  parallel --will-cite -j1 --joblog theirs-signal.log sh -c "'kill -{} \$\$'" ::: TERM KILL >/dev/null 2>&1
  if diff <(cols theirs-signal.log) <(cols ours-signal.log) >signal.diff; then ok "a command killed by SIGTERM or SIGKILL is logged as parallel logs it"; else not_ok "signals logged as parallel's" "$(cat signal.diff)"; fi
}

# A fan-out interrupted half-way, then --resume'd: every job ran exactly once in total, counted
# by the jobs themselves. Jobs 1-5 end at once; the others wait for a flag file (30 s without
# it), so the interrupt finds them running and they are cancelled before they count.
scenario_resume() {
  start_nodes "${DESK[@]}" -- "${LAB[@]}"
  desk_links 1
  start_counter
  job='if [ {} -gt 5 ] && [ ! -e '"$WORK"'/fast ]; then sleep 30; fi; echo {} >/dev/tcp/127.0.0.1/'$COUNTER_PORT
  # vesta itself in the background, not V: $! must be its pid, not a subshell's.
  "$VESTA" -node desk exec --joblog resume.log -- bash -c "$job" ::: $(seq 20) >/dev/null 2>first.err &
  pid=$!
  check "the first 5 jobs end and are logged" wait_for 60 log_lines resume.log 5
  kill -INT $pid
  wait_exit $pid 60; rc=$?
  check "the interrupted fan-out exits 130" test $rc -eq 130
  check "the log has exactly the 5 that ended" test "$(tail -n +2 resume.log | wc -l)" -eq 5
  touch "$WORK/fast"
  V exec --joblog resume.log --resume -- bash -c "$job" ::: $(seq 20) >/dev/null 2>resume.err; rc=$?
  check "the resumed fan-out ends ok" test $rc -eq 0
  expect_contains "skipping the 5 logged" "5 skipped (--resume: in the job log)" "$(cat resume.err)"
  once=0
  for n in $(seq 20); do [ "$(counted "$n")" -eq 1 ] && once=$((once + 1)); done
  check "every one of the 20 jobs ran exactly once in total" test $once -eq 20
  check "and the log has all 20, once each" test "$(tail -n +2 resume.log | cut -f1 | sort -un | wc -l)" -eq 20
}

# Short commands go in batches: one job runs many of them, one after another, on one node.
# Each still has its own output, exit status and job log line, whatever batch it was in, and
# what one leaves running is gone before the next starts.
scenario_batches() {
  start_nodes "${DESK[@]}" -- "${PI4[@]}"
  desk_links 1
  V exec --joblog batch.log -- sh -c 'echo "{} on $VESTA_NODE"; echo "err {}" >&2; [ $(({} % 7)) -ne 0 ]' \
    ::: $(seq 300) >batch.out 2>batch.err; rc=$?
  check "300 short jobs with 42 failures exit 42" test $rc -eq 42
  expect_contains "the summary counts each" "300 jobs, 258 ok, 42 failed" "$(cat batch.err)"
  check "they went in batches of more than one" grep -qE "a batch of ([2-9]|[1-9][0-9]+)\)" desk.log
  check "every job printed its one line, once" test "$(cut -d' ' -f1 batch.out | sort -n | uniq | wc -l)" -eq 300
  check "and nothing else" test "$(wc -l <batch.out)" -eq 300
  check "each stderr line is its job's" test "$(grep -c '^err ' batch.err)" -eq 300
  expect_contains "a failed one is named with its node" "failed: 7 on " "$(cat batch.err)"
  check "the job log has each job once" test "$(tail -n +2 batch.log | cut -f1 | sort -un | wc -l)" -eq 300
  check "with the 42 failures' exit value 1" \
    test "$(tail -n +2 batch.log | awk -F'\t' '$7 == 1' | wc -l)" -eq 42
  check "and each job's host" test "$(tail -n +2 batch.log | awk -F'\t' '$2 != "desk" && $2 != "pi4"' | wc -l)" -eq 0
  line=$(grep -oE "job [0-9]+ exec .* \(a batch of ([2-9]|[1-9][0-9]+)\)" desk.log | tail -n 1)
  id=$(echo "$line" | cut -d' ' -f2)
  more=$(($(echo "$line" | sed 's/.*a batch of \([0-9]*\))$/\1/') - 1))
  cmd=$(busctl --address="$VESTA_BUS" get-property org.vesta.Vestad1.Node.desk "/org/vesta/Vestad1/job/$id" \
    org.vesta.Vestad1.Job Command)
  expect_contains "a batch's Command says how many more it holds" "(and $more more in its batch)" "$cmd"
  # Long arguments: a batch holds no more than one offer may carry (256 KiB of arguments), so
  # 600 commands of 30 KiB each still all run.
  python3 -c "import sys; [print(str(i) + 'a' * (30720 - len(str(i)))) for i in range(1, 601)]" >long.args
  V exec -- sh -c 'echo "${#0} ${0%%a*}"' :::: long.args >long.out 2>long.err; rc=$?
  check "600 commands of 30 KiB arguments end ok" test $rc -eq 0
  check "each saw its whole argument" test "$(grep -c '^30720 ' long.out)" -eq 600
  check "once each" test "$(cut -d' ' -f2 long.out | sort -un | wc -l)" -eq 600
  # Short commands that fail on pi4 only: those of pi4's batches run again, alone, on desk.
  V exec --retries 1 --joblog retry.log -- sh -c 'echo "{}"; test "$VESTA_NODE" != pi4' ::: $(seq 200) \
    >retry.out 2>retry.err; rc=$?
  check "with --retries 1 all 200 end ok" test $rc -eq 0
  expect_contains "the summary counts them" "200 jobs, 200 ok, 0 failed" "$(cat retry.err)"
  check "some had failed on pi4 first" grep -q "attempt 1 on pi4: exit 1" retry.err
  check "each printed its line once" test "$(sort -n retry.out | uniq | wc -l)" -eq 200
  check "the log has every attempt: pi4's failures and desk's successes" \
    test "$(tail -n +2 retry.log | awk -F'\t' '($2 == "pi4" && $7 == 1) || ($2 == "desk" && $7 == 0)' | wc -l)" \
    -eq "$(tail -n +2 retry.log | wc -l)"
  # A command that leaves a child printing after it ended: the child goes with it.
  V exec -- sh -c '(sleep 0.5; echo "late {}") & echo "early {}"' ::: $(seq 100) >left.out 2>left.err; rc=$?
  check "commands that leave children end ok" test $rc -eq 0
  check "each printed its line" test "$(grep -c '^early ' left.out)" -eq 100
  sleep 1
  check "and no child printed after its command ended" test "$(grep -c '^late ' left.out)" -eq 0
  # A command killed by a signal is told apart from the others of its batch.
  V exec --joblog killed.log -- sh -c '[ {} -ne 50 ] || kill -9 $$' ::: $(seq 100) >/dev/null 2>signal.err; rc=$?
  check "one killed among 100 exits 1" test $rc -eq 1
  expect_contains "named, as 128 + its signal" "failed: 50 on pi4: exit 137" "$(sed 's/on desk/on pi4/' signal.err)"
  check "logged as parallel logs a signal: Exitval 0, Signal 9" \
    test "$(awk -F'\t' '$1 == 50 {print $7 "/" $8}' killed.log)" = "0/9"
  check "and the others as ended well" test "$(awk -F'\t' 'NR > 1 && $7 == 0 && $8 == 0' killed.log | wc -l)" -eq 99
}

# --resume-failed runs again only the jobs that failed; --resume then runs nothing.
scenario_resume_failed() {
  start_nodes "${DESK[@]}" -- "${LAB[@]}"
  desk_links 1
  start_counter
  job='echo {} >/dev/tcp/127.0.0.1/'$COUNTER_PORT'; [ $(({} % 2)) -eq 0 ] || [ -e '"$WORK"'/fixed ]'
  V exec --joblog failed.log -- bash -c "$job" ::: $(seq 10) >/dev/null 2>first.err; rc=$?
  check "the odd jobs fail the first time" test $rc -eq 5
  touch "$WORK/fixed"
  V exec --joblog failed.log --resume-failed -- bash -c "$job" ::: $(seq 10) >/dev/null 2>again.err; rc=$?
  check "--resume-failed ends ok" test $rc -eq 0
  expect_contains "skipping the 5 that succeeded" "5 skipped (--resume-failed: in the job log)" "$(cat again.err)"
  twice=0 once=0
  for n in $(seq 10); do
    c=$(counted "$n")
    if [ $((n % 2)) -eq 1 ]; then [ "$c" -eq 2 ] && twice=$((twice + 1)); else [ "$c" -eq 1 ] && once=$((once + 1)); fi
  done
  check "the failed ones ran twice, the others once" test "$twice.$once" = "5.5"
  V exec --joblog failed.log --resume -- bash -c "$job" ::: $(seq 10) >/dev/null 2>none.err; rc=$?
  check "--resume after that runs nothing" test $rc -eq 0 -a "$(all_counted)" -eq 15
  expect_contains "and says so" "10 skipped" "$(cat none.err)"
}

# After 2,000 jobs through --each, vestad holds no more descriptors than before them.
fd_count() { ls "/proc/$(cat "$WORK/$1.pid")/fd" | wc -l; }
fds_back() { [ "$(fd_count desk)" -le "$1" ]; }
scenario_descriptors() {
  start_nodes "${DESK[@]}"
  # The baseline after a first fan-out: by then vestad holds all it keeps (its link and
  # discovery sockets open while it starts), and the first jobs opened what stays open.
  V exec --each $(seq 100) -- true >/dev/null 2>&1
  before=$(fd_count desk)
  ls -l "/proc/$(cat "$WORK/desk.pid")/fd" >fds.before
  # 2,000 jobs; 500 in a sanitizer build, where each costs several times as much and a
  # descriptor left behind per job shows as well.
  local n=2000
  grep -q __asan_init "$VESTAD" && n=500
  V exec --each $(seq $n) -- true >/dev/null 2>each.err; rc=$?
  check "$n jobs end ok" test $rc -eq 0
  expect_contains "all of them" "$n jobs, $n ok" "$(cat each.err)"
  if wait_for 20 fds_back "$before"; then
    ok "vestad's descriptors are back to $before"
  else
    ls -l "/proc/$(cat "$WORK/desk.pid")/fd" >fds.after
    not_ok "vestad's descriptors are back to $before" "$(cat fds.before)" "$(cat fds.after)"
  fi
}

run_scenarios "$@"
