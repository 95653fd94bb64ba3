#!/bin/bash
# Foundation integration test: real vestad processes on a private dbus-daemon, driven by vesta
# and by busctl (a client nobody here wrote). Prints one line per check and a summary.
source "$(dirname "$0")/lib.sh"

KAT_SEED=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
KAT_1M=0326425d10833976a29c78d9e5d2898be5852634e117b4e4e9ac0af6ad8fa408
V() { "$VESTA" "$@"; }

start_bus
start_node alpha -workers 2 || exit 1

# --- The D-Bus API, seen by busctl -------------------------------------------------------------
xml=$(busctl --address="$VESTA_BUS" introspect --xml-interface org.vesta.Vestad1 /org/vesta/Vestad1)
expect_contains "introspection names SubmitCpu's arguments" '<arg type="t" name="millions" direction="in"/>' "$xml"
expect_contains "introspection names the returned job path" '<arg type="o" name="job" direction="out"/>' "$xml"
expect_contains "introspection marks CpuPercent as emitting changes" 'name="CpuPercent" type="d" access="read">' "$xml"
path=$(busctl --address="$VESTA_BUS" call org.vesta.Vestad1 /org/vesta/Vestad1 org.vesta.Vestad1.Manager \
  SubmitCpu 'tsa{sv}' 1 "$KAT_SEED" 0 | awk '{print $2}' | tr -d '"')
job_done() { [ "$(prop alpha "$path" org.vesta.Vestad1.Job State)" = 's "done"' ]; }
check "a job submitted with busctl finishes" wait_for 60 job_done
expect_contains "busctl reads the known answer from the job object" "$KAT_1M" \
  "$(prop alpha "$path" org.vesta.Vestad1.Job Result)"
opt_err=$(busctl --address="$VESTA_BUS" call org.vesta.Vestad1 /org/vesta/Vestad1 org.vesta.Vestad1.Manager \
  SubmitCpu 'tsa{sv}' 1 "" 1 warp b true 2>&1)
expect_contains "an unknown option is refused by name" 'option "warp" is not known' "$opt_err"
mcall() { busctl --address="$VESTA_BUS" call org.vesta.Vestad1 /org/vesta/Vestad1 org.vesta.Vestad1.Manager "$@" 2>&1; }
for id in -1 18446744073709551616 99999999999999999999 ' 7'; do
  out=$(mcall CancelJob s -- "$id")
  expect_contains "CancelJob \"$id\" is refused as not a job number" 'is not a job number' "$out"
  check "  and never names a wrapped id" eval '[[ "$out" != *18446744073709551615\ * && "$out" != *"job 18446744073709551615"* ]]'
done
out=$(mcall SubmitCpu 'tsa{sv}' 1 "" 1 on s "")
expect_contains "an empty \"on\" is refused" 'option "on" is empty' "$out"
out=$(mcall SubmitCpu 'tsa{sv}' 1 "" 2 local b true local b false)
expect_contains "a repeated option is refused" 'option "local" is given twice' "$out"
# Exec with descriptors (busctl cannot pass them): tests/exec_call.cc.
out=$("$EXEC_CALL" "$VESTA_BUS" on-empty)
expect_contains "Exec with an empty \"on\" is refused as invalid" 'InvalidArgument: option "on" is empty' "$out"
out=$("$EXEC_CALL" "$VESTA_BUS" option-twice)
expect_contains "Exec with a repeated option is refused as invalid" 'InvalidArgument: option "local" is given twice' "$out"
out=$("$EXEC_CALL" "$VESTA_BUS" read-end)
expect_contains "Exec with a pipe's read end as stdout is refused at call time" 'InvalidArgument: stdout: not open for writing' "$out"

# --- vesta cpu, mem, status ----------------------------------------------------------------------
out=$(V cpu 1 --seed "$KAT_SEED")
expect_contains "vesta cpu prints the known answer" "result $KAT_1M" "$out"
expect_contains "vesta cpu says where it ran and how long it took" "ran on alpha (2 workers): 1 M iterations in" "$out"
expect_contains "vesta cpu prints the rate" "it/s per worker" "$out"
json=$(V --json cpu 2)
check "vesta --json cpu parses and has the contract's fields" \
  test "$(echo "$json" | json_get 'sorted(k for k in ["job","state","iterations","seed","result","elapsed_ms","parts"] if k in d) == sorted(["job","state","iterations","seed","result","elapsed_ms","parts"]) and d["iterations"] == 2000000 and d["parts"][0]["node"] == "alpha" and len(d["result"]) == 64')" = True
status_json=$(V --json status)
check "vesta --json status parses with node, flows and dropped" \
  test "$(echo "$status_json" | json_get 'd["node"]["name"] == "alpha" and d["node"]["cores"] >= 1 and 0 <= d["node"]["cpu_pct"] <= 100 and d["node"]["mem_available_mb"] > 0 and d["node"]["power"] in ("grid","solar","battery") and d["flows"] == [] and set(d["dropped"]) >= {"bad_key","malformed","replay","oversize"}')" = True
expect_contains "vesta status shows the fingerprint" "$(prop alpha /org/vesta/Vestad1 org.vesta.Vestad1.Manager Fingerprint | cut -d'"' -f2)" "$(V status)"
out=$(V mem 16 100)
expect_contains "a mem job that fits runs" "mem 16 MiB held 100 ms on alpha" "$out"
out=$(V mem 999999 10 2>&1); rc=$?
check "a mem job over mem_offer_mb fails with exit 1" test $rc -eq 1
expect_contains "and says which limit and how to change it" "more than its mem_offer_mb 1024 MiB" "$out"
out=$(V --json mem 999999 10); rc=$?
check "a failed --json command still prints JSON with error and exits non-zero" \
  test $rc -ne 0 -a "$(echo "$out" | json_get '"mem_offer_mb" in d["error"]')" = True

# --- cancel, Ctrl-C --------------------------------------------------------------------------------
"$VESTA" cpu 200000 >"$WORK/long.out" 2>&1 &
long=$!
running() { V jobs | grep -q running; }
check "a long job shows as running" wait_for 30 running
id=$(V --json jobs | json_get '[j["job"] for j in d["jobs"] if j["state"] == "running"][0]')
check "vesta cancel ID cancels it" V cancel "$id"
wait_exit $long 60; rc=$?
check "the waiting vesta exits 1 when its job is cancelled" test $rc -eq 1
expect_contains "and says so" "cancelled" "$(cat "$WORK/long.out")"
out=$(V cancel "$id" 2>&1)
expect_contains "cancelling it again says it already ended" "already cancelled" "$out"
"$VESTA" cpu 200000 >/dev/null 2>&1 &  # not via V(): $! must be vesta itself
long=$!
check "a second long job runs" wait_for 30 running
kill -INT $long
wait_exit $long 60; rc=$?
check "Ctrl-C in vesta exits 130" test $rc -eq 130
no_running() { ! V jobs | grep -q running; }
check "and cancels the job on the node" wait_for 10 no_running

# --- stress moves the real CPU measurement ---------------------------------------------------------
check "vesta stress 0 30 starts" V stress 0 30
busy() {
  local pct
  pct=$(prop alpha /org/vesta/Vestad1 org.vesta.Vestad1.Manager CpuPercent | awk '{print int($2)}')
  [ "$pct" -ge 60 ]
}
check "the node's measured CPU rises above 60% within a few samples" wait_for 15 busy
check "StressCores shows every core stressed" test "$(prop alpha /org/vesta/Vestad1 org.vesta.Vestad1.Manager StressCores)" = \
  "$(prop alpha /org/vesta/Vestad1 org.vesta.Vestad1.Manager Cores)"
check "vesta stop-stress ends it" V stop-stress
check "StressCores returns to 0" test "$(prop alpha /org/vesta/Vestad1 org.vesta.Vestad1.Manager StressCores)" = "u 0"

# --- several nodes on one bus ----------------------------------------------------------------------
start_node beta -sysroot "$DATA/sysroot-laptop" || exit 1
expect_contains "vesta -node beta talks to beta" "beta " "$(V -node beta status)"
expect_contains "vesta -node alpha talks to alpha" "alpha " "$(V -node alpha status)"
expect_contains "the shared name stays with the first node" "alpha " "$(V status)"
"$VESTAD" -name beta -key "$KEY" -state-dir "$WORK/state-beta2" -bus "$VESTA_BUS" \
  -broadcast 127.255.255.255 -dport "$DPORT" -port "$((DPORT + 999))" >"$WORK/beta2.out" 2>&1; rc=$?
check "a second vestad with a taken name exits 1" test $rc -eq 1
expect_contains "and says the name is taken" 'another vestad named "beta" already runs' "$(cat "$WORK/beta2.out")"
s=$(V -node beta --json status)
check "a -sysroot node reads its fixture: 4 cores, solar at 72%, a GPU" \
  test "$(echo "$s" | json_get 'd["node"]["cores"] == 4 and d["node"]["power"] == "solar" and abs(d["node"]["willingness"] - 0.72) < 1e-9 and d["node"]["battery_pct"] == 72 and d["node"]["gpus"] == 1 and d["node"]["temperature_c"] == 54')" = True
start_node gamma -sysroot "$DATA/sysroot-laptop" -power grid || exit 1
expect_contains "-power grid forces grid on a discharging laptop" 's "grid"' \
  "$(prop gamma /org/vesta/Vestad1 org.vesta.Vestad1.Manager PowerMode)"
check "a node stops cleanly on SIGTERM (exit 0, loop closed)" stop_node gamma
check "beta stops cleanly too" stop_node beta

# --- bad input to vestad ---------------------------------------------------------------------------
bad_flags() {
  local expect=$1
  shift
  local out rc
  out=$(timeout 20 "$VESTAD" -state-dir "$WORK/state-bad" -bus "$VESTA_BUS" "$@" 2>&1); rc=$?
  if [ $rc -eq 2 ] && [[ "$out" == *"$expect"* ]] && [ "$(echo "$out" | wc -l)" -eq 1 ]; then
    ok "vestad $* -> exit 2: $out"
  else
    not_ok "vestad $* should exit 2 with one line containing '$expect'" "got rc=$rc: $out"
  fi
}
bad_flags "-port: 99999 is out of range; expected 1..65535" -name x -key "$KEY" -port 99999
bad_flags "-reserve-pct: 120 is out of range; expected 0..90" -name x -key "$KEY" -reserve-pct 120
bad_flags "-name: is empty" -name "" -key "$KEY"
bad_flags "name: \"a/b\" contains '/'" -name a/b -key "$KEY"
bad_flags "unknown flag --colour" -name x -key "$KEY" --colour blue
bad_flags "key: missing" -name x
echo '{"reserve_pct": 120}' >"$WORK/bad1.json"
bad_flags "field \"reserve_pct\": 120 is out of range; expected 0..90" -name x -key "$KEY" -config "$WORK/bad1.json"
echo '{"cpu_offer_pct": "lots"}' >"$WORK/bad2.json"
bad_flags "field \"cpu_offer_pct\": expected a whole number 0..100, got the string \"lots\"" -name x -key "$KEY" -config "$WORK/bad2.json"
echo '{"nmae": "x"}' >"$WORK/bad3.json"
bad_flags "unknown field \"nmae\"" -key "$KEY" -config "$WORK/bad3.json"
bad_flags "-port: \"0x10\" is not a whole number" -name x -key "$KEY" -port 0x10
bad_flags "-port: \" 80\" is not a whole number" -name x -key "$KEY" -port " 80"
printf '{"key": "abc\\u0000%s"}' "$KEY" >"$WORK/nul.json"
bad_flags "field \"key\": contains a NUL character" -name x -config "$WORK/nul.json"
printf '{"name": "desk\\u0000evil"}' >"$WORK/nulname.json"
bad_flags "field \"name\": contains a NUL character" -key "$KEY" -config "$WORK/nulname.json"
mkfifo "$WORK/key.fifo"
chmod 600 "$WORK/key.fifo"
# timeout: before the fix vestad waited forever for a writer to the FIFO.
bad_flags "key_file: \"$WORK/key.fifo\" is a FIFO; expected a regular file" -name x \
  -key-file "$WORK/key.fifo" -bus "$VESTA_BUS"
mkdir -p "$WORK/open-state" "$WORK/shared-state"
chmod 0777 "$WORK/open-state"
chmod 1777 "$WORK/shared-state"
bad_flags "is writable by every user (mode 0777); expected a private directory: run chmod 700" \
  -name x -key "$KEY" -broadcast 127.255.255.255 -dport "$DPORT" -state-dir "$WORK/open-state"
bad_flags "is a shared directory (mode 1777, like /tmp); expected a directory of vestad's own" \
  -name x -key "$KEY" -broadcast 127.255.255.255 -dport "$DPORT" -state-dir "$WORK/shared-state"
printf '{"key": "%s", "reserve_pct": 10, "name": "fromfile"}' "$KEY" >"$WORK/good.json"
start_node delta -config "$WORK/good.json" -reserve-pct 30 || exit 1
check "a config file loads and the command line overrides it" test "$(prop delta /org/vesta/Vestad1 org.vesta.Vestad1.Manager Name)" = 's "delta"'
stop_node delta
check "vestad -help lists the flags" bash -c "'$VESTAD' -help | grep -q -- '-advertise-spare MS'"
check "vestad --version prints the version" bash -c "'$VESTAD' --version | grep -q '^vestad [0-9]'"

# --- identity --------------------------------------------------------------------------------------
idfile="$WORK/state-alpha/vestad-identity-alpha.json"
check "the identity file is mode 0600" test "$(stat -c %a "$idfile")" = 600
check "the state dir is mode 0700" test "$(stat -c %a "$WORK/state-alpha")" = 700
cp "$idfile" "$WORK/id.copy"
mkdir -p "$WORK/state-eps"
cp "$idfile" "$WORK/state-eps/vestad-identity-eps.json"
chmod 644 "$WORK/state-eps/vestad-identity-eps.json"
out=$("$VESTAD" -name eps -key "$KEY" -state-dir "$WORK/state-eps" -bus "$VESTA_BUS" -broadcast 127.255.255.255 -dport "$DPORT" 2>&1); rc=$?
check "a world-readable identity stops vestad (exit 1)" test $rc -eq 1
expect_contains "with the fix in the message" "chmod 600" "$out"
check "and the file is left as it was" cmp -s "$idfile" "$WORK/state-eps/vestad-identity-eps.json"
echo '{"format":"vesta-identity-1","private_key":"00"}' >"$WORK/state-eps/vestad-identity-eps.json"
chmod 600 "$WORK/state-eps/vestad-identity-eps.json"
out=$("$VESTAD" -name eps -key "$KEY" -state-dir "$WORK/state-eps" -bus "$VESTA_BUS" -broadcast 127.255.255.255 -dport "$DPORT" 2>&1); rc=$?
check "a corrupt identity stops vestad (exit 1)" test $rc -eq 1
expect_contains "and says it is corrupt, not replaced" "is corrupt" "$out"

# --- vesta's own errors ----------------------------------------------------------------------------
out=$(V cpu abc 2>&1); rc=$?
check "vesta cpu abc is a usage error (exit 2)" test $rc -eq 2
expect_contains "naming the argument" 'cpu N: "abc" is not a whole number' "$out"
out=$(V 2>&1); rc=$?
check "vesta with no command exits 2" test $rc -eq 2
out=$(V --json frobnicate); rc=$?
check "vesta --json with an unknown command prints a JSON error and exits 2" \
  test $rc -eq 2 -a "$(echo "$out" | json_get '"frobnicate" in d["error"]')" = True
out=$(V -node nosuch status 2>&1); rc=$?
check "vesta -node with no such vestad exits 3" test $rc -eq 3
expect_contains "and names the bus name it tried" "no vestad answers as org.vesta.Vestad1.Node.nosuch" "$out"
out=$(VESTA_BUS="unix:path=$WORK/no-such-bus" "$VESTA" status 2>&1); rc=$?
check "vesta with no bus exits 3" test $rc -eq 3

# --- a job in flight when vestad stops --------------------------------------------------------------
"$VESTA" cpu 200000 >"$WORK/inflight.out" 2>&1 &
waiter=$!
check "a long job runs before the stop" wait_for 30 running
check "vestad stops cleanly on SIGTERM with a job running (exit 0, loop closed)" stop_node alpha
wait_exit $waiter 60; rc=$?
check "the waiting vesta exits 1" test $rc -eq 1
expect_contains "and reports the job cancelled because vestad stopped" "vestad stopped" "$(cat "$WORK/inflight.out")"
check "the log has no open-handle error" bash -c "! grep -q 'open handles' '$WORK/alpha.log'"

# --- piwork ----------------------------------------------------------------------------------------
out=$("$PIWORK" 2 -threads 2 -seed 9)
expect_contains "piwork prints an estimate and where it ran" "ran on host $(hostname)" "$out"
check "piwork is deterministic for a seed and thread count" \
  test "$("$PIWORK" 2 -threads 2 -seed 9 --json | json_get 'd["pi"]')" = "$("$PIWORK" 2 -threads 2 -seed 9 --json | json_get 'd["pi"]')"
check "piwork's estimate is close to pi" \
  test "$("$PIWORK" 4 -threads 3 --json | json_get 'abs(d["pi"] - 3.141592653589793) < 0.01')" = True
expect_contains "piwork names the vesta node when run by one" "vesta node pi4" "$(VESTA_NODE=pi4 "$PIWORK" 1)"
"$PIWORK" 0 >/dev/null 2>&1; rc=$?
check "piwork 0 is a usage error (exit 2)" test $rc -eq 2

finish
