#!/bin/bash
# What a member of the federation must not be able to do to another: a runner that writes
# files the submitter never asked for (a program speaking the protocol with the key,
# tests/hostile_runner.cc), --put files larger than the runner's cache or disk allow, and a
# job's processes outliving it. Real vestad processes on a private bus, loopback only; each
# scenario starts its own (hostile_test.sh NAME runs one, no NAME runs them all).
source "$(dirname "$0")/lib.sh"
V() { "$VESTA" -node desk "$@"; }
# small's cache takes 1 MiB; full wants 90% of its disk free.
make_root "$WORK/root-small" 4 4000
SMALL=(small -allow-exec -exec-cache-mb 1 -sysroot "$WORK/root-small")
FULL=(full -allow-exec -min-free-disk-pct 90 -sysroot "$WORK/root-small")
mkdir -p "$WORK/cwd" && cd "$WORK/cwd" || exit 1

# start_hostile NAME RECORDS...: a member that answers every ExecOffer with these --get records.
start_hostile() {
  local name=$1
  shift
  NEXT_LINK_PORT=$((NEXT_LINK_PORT + 1))
  "$HOSTILE_RUNNER" "$@" -- -name "$name" -key "$KEY" -state-dir "$WORK/state-$name" \
    -port "$NEXT_LINK_PORT" -broadcast 127.255.255.255 -dport "$DPORT" >"$WORK/$name.log" 2>&1 &
  echo $! >"$WORK/$name.pid"
}
linked() { [ "$(V --json peers | json_get "len([p for p in d['peers'] if p['name'] == '$1' and p['link'] == 'up'])")" = 1 ]; }

# A runner sends --get records of its own choosing.
scenario_unasked() {
  start_nodes desk -allow-exec
  start_hostile evil .bashrc=pwned unasked.txt=unasked out.txt=asked
  check "desk links with the hostile member" wait_for 30 linked evil
  echo original >.bashrc
  # Its policy frame may trail the link by a moment: the first tries can be refused as "exec off".
  hostile_exec() {
    local try
    for try in 1 2 3 4 5; do
      out=$(V exec --on evil "$@" 2>&1); rc=$?
      [[ "$out" != *"exec is off there"* ]] && return
      sleep 1
    done
  }
  hostile_exec --get out.txt -- true
  check "a job whose runner sends unasked files fails" test $rc -ne 0
  expect_contains "  naming the file it refused" 'refused ".bashrc"' "$out"
  check "  .bashrc is untouched" test "$(cat .bashrc)" = original
  check "  unasked.txt is not created" test ! -e unasked.txt
  check "  and no temporary file is left" test -z "$(ls -A | grep -v '^\.bashrc$')"
  hostile_exec -- true
  check "with no --get at all, a runner's files fail the job" test $rc -ne 0
  expect_contains "  saying none were asked for" 'no --get asked for any' "$out"
  check "  and replace nothing" test "$(cat .bashrc)" = original
  hostile_exec --get '*' -- true
  check "'*' does not match .bashrc" test "$(cat .bashrc)" = original
  expect_contains "  the refusal says so" 'refused ".bashrc"' "$out"
}

# A runner answers a fan-out's batch with records out of order: the commands fail, naming the
# runner and the fault, and none of its forged output is printed as a command's.
scenario_forged_batch() {
  start_nodes desk -allow-exec
  start_hostile evil
  check "desk links with the hostile member" wait_for 30 linked evil
  for try in 1 2 3 4 5; do
    V exec --on evil -- echo {} ::: a b >forged.out 2>forged.err; rc=$?
    [[ "$(cat forged.err)" != *"exec is off there"* ]] && break
    sleep 1
  done
  check "the fan-out's two commands fail" test $rc -eq 2
  expect_contains "naming the runner and the fault" \
    "the batch from evil is broken: batch stream: a record of command 1 while command 0 runs" "$(cat forged.err)"
  check "and nothing it sent is printed" test ! -s forged.out
}

# A stock runner's --get never replaces a file here without --force.
scenario_force() {
  start_nodes desk -allow-exec
  echo old >out.txt
  out=$(V exec --local --get out.txt -- sh -c 'echo new >out.txt' 2>&1); rc=$?
  check "a --get file that exists here is not replaced" test "$(cat out.txt)" = old
  check "  and vesta exits 1" test $rc -eq 1
  expect_contains "  saying how to replace it" "out.txt exists here; use --force to replace it" "$out"
  V exec --local --force --get out.txt -- sh -c 'echo new >out.txt'
  check "--force replaces it" test "$(cat out.txt)" = new
}

# --put is held to exec_cache_mb and min_free_disk_pct.
scenario_put_limits() {
  start_nodes desk -allow-exec -- "${SMALL[@]}" -- "${FULL[@]}"
  check "desk links with small and full" wait_for 30 eval 'linked small && linked full'
  head -c 3000000 /dev/urandom >"$WORK/three-mb"
  out=$(V exec --on small --put "$WORK/three-mb" -- true 2>&1); rc=$?
  check "a put larger than the runner's cache is refused (255)" test $rc -eq 255
  expect_contains "  naming exec_cache_mb" "small refused: small: the --put files (3 MiB) are more than its exec_cache_mb 1 MiB" "$out"
  check "  before a byte of it arrives" test -z "$(ls -A "$WORK/state-small/cache")"
  # Sizes are the submitter's word; a file the runner has cached counts at its real size, or a
  # member could offer one cached file under many names, each "1 byte", and fill the disk.
  head -c 2000000 /dev/urandom >"$WORK/two-mb"
  V exec --local --put "$WORK/two-mb" -- true >/dev/null 2>&1
  start_hostile liar --offer-cached "$(sha256sum "$WORK/two-mb" | cut -d' ' -f1)" 200
  refused_liar() { grep -q "refused: desk: --put file copy0 is announced as 1 bytes, but its content is 2000000 bytes" "$WORK/liar.log"; }
  check "an offer of desk's cached file 200 times as 1 byte each is refused, naming its real size" \
    wait_for 30 refused_liar
  free_pct=$(df --output=avail,size -B1 "$WORK" | awk 'NR == 2 {print int($1 * 100 / $2)}')
  if [ "$free_pct" -ge 89 ]; then
    echo "ok - # SKIP this disk is ${free_pct}% free: min_free_disk_pct 90 would not refuse"
  else
    out=$(V exec --on full --put "$WORK/three-mb" -- true 2>&1)
    expect_contains "a put that would leave the disk under min_free_disk_pct is refused" "under its min_free_disk_pct 90%" "$out"
  fi
}

# A local put of 2 GiB (sparse here, real bytes in the cache) while D-Bus is asked again and
# again: the files are filed and copied on a worker, the frames go one batch per loop turn.
# solo is a federation of one, so it takes the put itself.
scenario_big_put() {  # alone: it writes 2 GiB, and every D-Bus call must be answered within 5 s
  start_nodes solo -allow-exec -exec-cache-mb 4096
  truncate -s 2G "$WORK/two-gib"
  "$VESTA" -node solo exec --local --put "$WORK/two-gib" -- true >"$WORK/big.out" 2>&1 &
  vpid=$!
  asked=0 unanswered=0
  while kill -0 $vpid 2>/dev/null; do
    busctl --address="$VESTA_BUS" --timeout=5 get-property org.vesta.Vestad1.Node.solo \
      /org/vesta/Vestad1 org.vesta.Vestad1.Manager JobsActive >/dev/null 2>&1 || unanswered=$((unanswered + 1))
    asked=$((asked + 1))
    sleep 0.2
  done
  wait_exit $vpid 120
  rc=$?
  if grep -q min_free_disk_pct "$WORK/big.out"; then
    echo "ok - # SKIP too little disk here for a 2 GiB put: $(cat "$WORK/big.out")"
  else
    check "a 2 GiB local put runs" test $rc -eq 0
    check "  while vestad answered every one of $asked D-Bus calls within 5 s" test $unanswered -eq 0
  fi
  rm -f "$WORK/two-gib"
}

# A job's processes end with it.
scenario_processes() {
  start_nodes desk -allow-exec
  # job_procs ID: the pids whose environment says they belong to desk's job ID, in this
  # scenario's desk (HOME is the job's scratch directory, in desk's state directory), so a desk
  # of another scenario running beside this one is never counted.
  job_procs() {
    grep -lsxz "VESTA_JOB=$1" /proc/[0-9]*/environ 2>/dev/null | while read -r f; do
      d=${f%/environ}
      grep -qsxz "VESTA_NODE=desk" "$f" && grep -qsz "^HOME=$WORK/state-desk/" "$f" && echo "${d#/proc/}"
    done
  }
  last_job() { V --json jobs | json_get 'max(int(j["job"]) for j in d["jobs"])'; }
  none_left() { [ -z "$(job_procs "$1")" ]; }
  # Each command gives its escapee a second to leave the process group before the command ends
  # (else the old group kill could catch it first, and the test would prove nothing).
  out=$(V exec --local -- sh -c 'setsid sleep 171 >/dev/null 2>&1 & sleep 1; echo started')
  check "a job that starts setsid sleep reports its output" test "$out" = started
  id=$(last_job)
  check "  and no process of that job remains after it ends" wait_for 10 none_left "$id"
  out=$(V exec --local -- sh -c '(setsid sh -c "sleep 172 >/dev/null 2>&1 &" &); sleep 1; echo started')
  id=$(last_job)
  check "a double fork with setsid does not escape either" wait_for 10 none_left "$id"
  # Holding the job's stdout open: without the kill, vesta would wait for sleep.
  "$VESTA" -node desk exec --local -- sh -c 'setsid sleep 173 & sleep 1; echo started' >"$WORK/held.out" &
  vpid=$!
  wait_exit $vpid 60
  check "an escaped process holding stdout does not keep vesta waiting" test $? -eq 0
  id=$(last_job)
  check "  and is gone with its job" wait_for 10 none_left "$id"
  "$VESTA" -node desk exec --local --timeout 1 -- sh -c 'setsid sleep 174 >/dev/null 2>&1 & sleep 100' &
  vpid=$!
  wait_exit $vpid 60
  check "a timed-out job exits 124" test $? -eq 124
  id=$(last_job)
  check "  and what it started in another session is gone too" wait_for 10 none_left "$id"
  # While a job runs, its processes are found (so "none left" above means something), and a
  # cancelled job takes its escaped ones along.
  "$VESTA" -node desk exec --local -- sh -c 'setsid sleep 175 >/dev/null 2>&1 & sleep 175' &
  vpid=$!
  some_left() { [ -n "$(job_procs "$(last_job)")" ]; }
  check "a running job's processes carry its VESTA_JOB" wait_for 10 some_left
  id=$(last_job)
  escaped() { pgrep -f "^sleep 175" | wc -l | grep -qx 2; }
  check "  both of them" wait_for 10 escaped
  kill -INT $vpid
  wait_exit $vpid 30
  check "a cancelled job ends vesta with 130" test $? -eq 130
  check "  and leaves none of its processes" wait_for 10 none_left "$id"
  # The reaper runs as the same user as the command, so a job can kill it; what it watched over
  # then comes to vestad (a subreaper too), which kills it. And a stopped reaper is woken to act.
  out=$(V exec --local -- sh -c 'setsid sleep 176 >/dev/null 2>&1 & sleep 1; kill -9 $PPID; sleep 177' 2>&1)
  id=$(last_job)
  check "a job that kills its own reaper leaves nothing running" wait_for 15 none_left "$id"
  "$VESTA" -node desk exec --local -- sh -c 'setsid sleep 178 >/dev/null 2>&1 & sleep 1; kill -STOP $PPID; sleep 178' >/dev/null 2>&1 &
  vpid=$!
  stopped() { [ "$(awk '{print $3}' "/proc/$(pgrep -f '^sleep 178' | head -n 1)/stat" 2>/dev/null)" = S ] && [ -n "$(job_procs "$(last_job)")" ]; }
  wait_for 10 stopped
  id=$(last_job)
  V cancel "$id" >/dev/null 2>&1
  wait_exit $vpid 30
  rc=$?
  check "a job that stopped its reaper is still cancelled (vesta exit $rc)" test $rc -ne 124
  check "  and leaves none of its processes" wait_for 15 none_left "$id"
  check "no sleep of these jobs runs anywhere" eval '! pgrep -f "^sleep 17[1-8]"'

}

# A peer's command runs as vestad's own user, whom the bus policy lets call every method: it must
# not turn that into control of the node it runs on. It may read, as everyone may.
scenario_calls_home() {
  make_root "$WORK/root-pi4" 4 4000  # idle, whatever else loads this machine
  start_nodes desk -allow-exec -- pi4 -allow-exec -sysroot "$WORK/root-pi4"
  desk_links 1
  # call METHOD SIGNATURE ARGS...: the method call a job makes on pi4's own vestad. With busctl,
  # not vesta: a sanitizer build's vesta cannot start under a job's address-space limit.
  bus_call="busctl --address=$VESTA_BUS call org.vesta.Vestad1.Node.pi4 /org/vesta/Vestad1 org.vesta.Vestad1.Manager"
  home() { V exec --on pi4 -- $bus_call "$@" 2>&1; }
  stress_cores() { prop pi4 /org/vesta/Vestad1 org.vesta.Vestad1.Manager StressCores; }
  out=$(home Stress uu 1 5)
  check "a peer's job cannot make its runner stress its CPUs" test $? -ne 0
  expect_contains "  and is told why, in one line" "a peer's exec job may not call vestad's methods" "$out"
  check "  and pi4 stresses nothing" test "$(stress_cores)" = "u 0"
  out=$(home SubmitCpu 'tsa{sv}' 1 "" 0)
  check "nor submit work in pi4's owner's name" test $? -ne 0
  expect_contains "  (refused as a peer's job)" "may not call vestad's methods" "$out"
  out=$(V exec --on pi4 -- sh -c "setsid sh -c '$bus_call Stress uu 1 5 2>&1' & wait")
  expect_contains "nor after leaving its session with setsid" "may not call vestad's methods" "$out"
  check "  and pi4 still stresses nothing" test "$(stress_cores)" = "u 0"
  out=$(home ListPeers)
  check "it may still read, as everyone may" test $? -eq 0
  expect_contains "  (pi4's peers, desk among them)" '"desk"' "$out"
  out=$("$VESTA" -node pi4 exec --local -- $bus_call Stress uu 1 1 2>&1)
  check "pi4's owner's own job may call pi4's methods ($out)" test $? -eq 0
  # The kernel's Landlock ABI, as pi4 reports it (0: none).
  abi=$(prop pi4 /org/vesta/Vestad1 org.vesta.Vestad1.Manager ExecConfinement | sed -n 's/^s "Landlock ABI \([0-9]*\).*/\1/p')
  abi=${abi:-0}
  # Nor read its secrets, where Landlock confines jobs.
  if [ "$abi" -ge 1 ]; then
    echo open >"$WORK/open.txt"
    identity="$WORK/state-pi4/vestad-identity-pi4.json"
    check "pi4 has its identity at $identity" test -r "$identity"
    out=$(V exec --on pi4 -- sh -c "cat $identity 2>&1; cat $WORK/open.txt")
    expect_contains "a peer's job cannot read pi4's identity" "Permission denied" "$out"
    expect_contains "  yet reads a file made just before it" "open" "$out"
  else
    echo "# exec jobs are not confined here: no read check"
  fi
  # Nor kill it, where Landlock confines signals (ABI 6, Linux 6.12; the unit tests say more).
  if [ "$abi" -ge 6 ]; then
    spawner=$(pgrep -P "$(cat "$WORK/pi4.pid")" -x vestad-spawner)
    out=$(V exec --on pi4 -- sh -c "kill -9 $(cat "$WORK/pi4.pid") 2>&1; echo vestad=\$?; kill -9 $spawner 2>&1; echo spawner=\$?")
    expect_contains "a peer's job cannot kill pi4's vestad" "vestad=1" "$out"
    expect_contains "  nor its spawner" "spawner=1" "$out"
    check "  and pi4 runs on" eval 'node_up pi4 >/dev/null'
    check "  with the same spawner" kill -0 "$spawner"
  else
    echo "# signals are not confined here (Landlock below ABI 6): a job could kill pi4's vestad"
  fi
  for n in desk pi4; do check "vestad $n stops cleanly" stop_node "$n"; done
}

run_scenarios "$@"
