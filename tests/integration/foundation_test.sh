#!/bin/bash
# Foundation integration test: real vestad processes on a private dbus-daemon, driven by vesta
# and by busctl (a client nobody here wrote). Prints one line per check and a summary. Each
# scenario starts its own bus and nodes (foundation_test.sh NAME runs one, no NAME runs them
# all). vestad's refusals of bad flags and bus arguments, its properties and its identity
# checks are Catch2 tests against one real vestad: tests/daemon_test.cc.
source "$(dirname "$0")/lib.sh"

KAT_SEED=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
KAT_1M=0326425d10833976a29c78d9e5d2898be5852634e117b4e4e9ac0af6ad8fa408
V() { "$VESTA" "$@"; }
ALPHA=(alpha -workers 2)
running() { V jobs | grep -q running; }

# The D-Bus API, seen by busctl, and Exec with descriptors (busctl cannot pass them).
scenario_api() {
  start_nodes "${ALPHA[@]}"
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
  # tests/exec_call.cc.
  out=$("$EXEC_CALL" "$VESTA_BUS" on-empty)
  expect_contains "Exec with an empty \"on\" is refused as invalid" 'InvalidArgument: option "on" is empty' "$out"
  out=$("$EXEC_CALL" "$VESTA_BUS" option-twice)
  expect_contains "Exec with a repeated option is refused as invalid" 'InvalidArgument: option "local" is given twice' "$out"
  out=$("$EXEC_CALL" "$VESTA_BUS" read-end)
  expect_contains "Exec with a pipe's read end as stdout is refused at call time" 'InvalidArgument: stdout: not open for writing' "$out"
}

# vesta cpu, mem, status.
scenario_cli() {
  start_nodes "${ALPHA[@]}"
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
}

# vesta cancel, and Ctrl-C.
scenario_cancel() {
  start_nodes "${ALPHA[@]}"
  "$VESTA" cpu 200000 >"$WORK/long.out" 2>&1 &
  long=$!
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
}

# Stress moves the real CPU measurement.
scenario_stress() {  # alone: it keeps every core of the machine busy
  start_nodes "${ALPHA[@]}"
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
}

# Several nodes on one bus.
scenario_nodes() {
  start_nodes "${ALPHA[@]}" -- beta -sysroot "$DATA/sysroot-laptop"
  expect_contains "vesta -node beta talks to beta" "beta " "$(V -node beta status)"
  expect_contains "vesta -node alpha talks to alpha" "alpha " "$(V -node alpha status)"
  expect_contains "the shared name stays with the first node" "alpha " "$(V status)"
  "$VESTAD" -name beta -key "$KEY" -state-dir "$WORK/state-beta2" -bus "$VESTA_BUS" \
    -broadcast 127.255.255.255 -dport "$DPORT" -port "$(spare_port 0)" >"$WORK/beta2.out" 2>&1; rc=$?
  check "a second vestad with a taken name exits 1" test $rc -eq 1
  expect_contains "and says the name is taken" 'another vestad named "beta" already runs' "$(cat "$WORK/beta2.out")"
  s=$(V -node beta --json status)
  check "a -sysroot node reads its fixture: 4 cores, solar at 72%, a GPU" \
    test "$(echo "$s" | json_get 'd["node"]["cores"] == 4 and d["node"]["power"] == "solar" and abs(d["node"]["willingness"] - 0.72) < 1e-9 and d["node"]["battery_pct"] == 72 and d["node"]["gpus"] == 1 and d["node"]["temperature_c"] == 54')" = True
  start_node gamma -sysroot "$DATA/sysroot-laptop" -power grid || exit 1  # its PowerMode: tests/daemon_test.cc
  check "a node stops cleanly on SIGTERM (exit 0, loop closed)" stop_node gamma
  check "beta stops cleanly too" stop_node beta
}

# vesta's own errors.
scenario_cli_errors() {
  start_nodes "${ALPHA[@]}"
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
}

# A job in flight when vestad stops.
scenario_inflight() {
  start_nodes "${ALPHA[@]}"
  "$VESTA" cpu 200000 >"$WORK/inflight.out" 2>&1 &
  waiter=$!
  check "a long job runs before the stop" wait_for 30 running
  check "vestad stops cleanly on SIGTERM with a job running (exit 0, loop closed)" stop_node alpha
  wait_exit $waiter 60; rc=$?
  check "the waiting vesta exits 1" test $rc -eq 1
  expect_contains "and reports the job cancelled because vestad stopped" "vestad stopped" "$(cat "$WORK/inflight.out")"
  check "the log has no open-handle error" bash -c "! grep -q 'open handles' '$WORK/alpha.log'"
}

# piwork, on its own.
scenario_piwork() {
  out=$("$PIWORK" 2 -threads 2 -seed 9)
  expect_contains "piwork prints an estimate and where it ran" "ran on host $(hostname)" "$out"
  check "piwork is deterministic for a seed and thread count" \
    test "$("$PIWORK" 2 -threads 2 -seed 9 --json | json_get 'd["pi"]')" = "$("$PIWORK" 2 -threads 2 -seed 9 --json | json_get 'd["pi"]')"
  check "piwork's estimate is close to pi" \
    test "$("$PIWORK" 4 -threads 3 --json | json_get 'abs(d["pi"] - 3.141592653589793) < 0.01')" = True
  expect_contains "piwork names the vesta node when run by one" "vesta node pi4" "$(VESTA_NODE=pi4 "$PIWORK" 1)"
  "$PIWORK" 0 >/dev/null 2>&1; rc=$?
  check "piwork 0 is a usage error (exit 2)" test $rc -eq 2
}

run_scenarios "$@"
