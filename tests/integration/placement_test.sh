#!/bin/bash
# Placement on loopback with four vestad: desk measures the real machine, pi4, laptop and nas read
# fixture /proc trees (idle, with the cores and memory given below), so the nodes differ in load
# while one still exercises real measurement. Scenarios: (a) real stress on desk spills its next
# job to a peer; (b) a large job splits over three nodes and equals a single-node run; (c) kill -9
# of a runner mid-split still gives the exact result, and a dead submitter leaves no orphan work;
# (d) a mem job goes only where it fits, and one that fits nowhere fails with the reason.
# No test asserts a timing. Each scenario starts its own four nodes (placement_test.sh NAME runs
# one, no NAME runs them all).
source "$(dirname "$0")/lib.sh"

SEED=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
# The single-node result of cpu 100 with SEED, computed outside the project (the XOR of
# SHA-256(seed || le64(i)) for i below 100 million, by a separate program on OpenSSL's SHA256).
RESULT_100M=0596fe98c99cf6d79faa4525b7dcdc007d9727666bf28d64a737f37d5775f724

make_root "$WORK/root-pi4" 4 4000
make_root "$WORK/root-laptop" 2 300
make_root "$WORK/root-nas" 2 2000

DESK=(desk -workers 1 -mem-offer-mb 200)
PI4=(pi4 -workers 1 -sysroot "$WORK/root-pi4")
LAPTOP=(laptop -workers 1 -sysroot "$WORK/root-laptop")
NAS=(nas -workers 1 -sysroot "$WORK/root-nas" -mem-offer-mb 100)
links_up() { [ "$("$VESTA" -node "$1" --json peers | json_get 'sum(1 for p in d["peers"] if p["link"] == "up")')" = "$2" ]; }
lending() { [ "$("$VESTA" -node "$1" --json status | json_get 'sum(f["done"] for f in d["flows"] if f["direction"] == "lend")')" -gt 0 ]; }
# federation: the four nodes (one worker each keeps their threads within what a loaded 2-core
# machine can carry), linked.
federation() {
  start_nodes "${DESK[@]}" -- "${PI4[@]}" -- "${LAPTOP[@]}" -- "${NAS[@]}"
  check "every node holds links to the other three" \
    wait_for 30 eval 'links_up desk 3 && links_up pi4 3 && links_up laptop 3 && links_up nas 3'
}

# (a) Real stress on desk: its next job spills to a peer.
scenario_spill() {  # alone: it keeps every core of the machine busy
  federation
  "$VESTA" -node desk stress 0 120 >/dev/null
  busy() { [ "$("$VESTA" -node desk --json status | json_get 'int(d["node"]["cpu_pct"] >= 80)')" = 1 ]; }
  check "stress drives desk's measured CPU over the spill threshold" wait_for 30 busy
  "$VESTA" -node desk --json cpu 10 --seed $SEED >"$WORK/spill.json" 2>"$WORK/spill.err" &
  local submitter=$!
  # The job is placed when it is submitted, under the stress. Once it runs the stress has done
  # its part and ends: the peers lend at SCHED_IDLE on this same machine, where the stress holds
  # every core, so the job would otherwise wait out the stress's 120 s.
  placed() { "$VESTA" -node desk --json jobs | json_get 'any(j["state"] in ("running", "done") for j in d["jobs"])' | grep -qx True; }
  check "the job is placed and runs" wait_for 30 placed
  "$VESTA" -node desk stop-stress >/dev/null
  wait_exit $submitter 300
  check "vesta cpu on stressed desk exits 0" test $? -eq 0
  out=$(cat "$WORK/spill.json")
  check "a cpu job submitted on stressed desk runs on a peer" \
    test "$(echo "$out" | json_get 'd["node"] in ("pi4", "laptop") and all(p["node"] != "desk" for p in d["parts"])')" = True
  expect_contains "and the reason says desk is over its spill threshold" "desk over spill threshold 80%" \
    "$(echo "$out" | json_get 'd["reason"]')"
  check "and it goes to the peer with the most spare cores (pi4: 3.0 of 4)" \
    test "$(echo "$out" | json_get 'd["node"]')" = pi4
  local10=$("$VESTA" -node pi4 --json cpu 10 --seed $SEED --local | json_get 'd["result"]')
  check "and its result equals a run on one node" test "$(echo "$out" | json_get 'd["result"]')" = "$local10"
}

# (b) A large job splits over the nodes with room and equals a single-node run.
scenario_split() {
  federation
  split=$("$VESTA" -node pi4 --json cpu 60 --seed $SEED)
  check "a 60M job splits over pi4, laptop and nas (and desk when it has room)" \
    test "$(echo "$split" | json_get '",".join(sorted(p["node"] for p in d["parts"] if p["iterations"] > 0 and p["node"] != "desk"))')" = laptop,nas,pi4
  check "its parts add up to the whole job" \
    test "$(echo "$split" | json_get 'sum(p["iterations"] for p in d["parts"])')" = 60000000
  expect_contains "and the reason says it split" "split over " "$(echo "$split" | json_get 'd["reason"]')"
  single=$("$VESTA" -node pi4 --json cpu 60 --seed $SEED --local)
  check "the merged result equals the single-node result bit for bit" \
    test "$(echo "$split" | json_get 'd["result"]')" = "$(echo "$single" | json_get 'd["result"]')"
  check "--local ran on pi4 alone" test "$(echo "$single" | json_get 'len(d["parts"]) == 1 and d["parts"][0]["node"] == "pi4"')" = True
  nosplit=$("$VESTA" -node pi4 --json cpu 60 --seed $SEED --no-split)
  check "--no-split runs on one node with the same result" \
    test "$(echo "$nosplit" | json_get 'len(d["parts"]) == 1 and d["result"]')" = "$(echo "$single" | json_get 'd["result"]')"
  on=$("$VESTA" -node pi4 --json cpu 5 --seed $SEED --on laptop)
  check "--on laptop runs there" test "$(echo "$on" | json_get 'd["node"]')" = laptop
}

# (c) kill -9 a runner mid-split: the job still completes with the exact result.
scenario_lost_runner() {
  federation
  "$VESTA" -node pi4 --json cpu 100 --seed $SEED >"$WORK/c.json" 2>"$WORK/c.err" &
  submitter=$!
  check "laptop is lending to pi4 mid-job" wait_for 60 lending laptop
  kill_node laptop
  wait_exit "$submitter" 300
  rc=$?
  check "the job completes after its runner was killed (vesta exit 0)" test $rc -eq 0
  check "with the same result as a single-node run" test "$(json_get 'd["result"]' <"$WORK/c.json")" = "$RESULT_100M"
  check "and the killed node's part shows as lost" \
    test "$(json_get '[p["state"] for p in d["parts"] if p["node"] == "laptop"][0]' <"$WORK/c.json")" = lost
  start_node "${LAPTOP[@]}" || exit 1
  check "laptop is back with its links" wait_for 30 links_up laptop 3
}

# A submitter that dies mid-job leaves no orphan work on its peers.
scenario_dead_submitter() {
  federation
  "$VESTA" -node laptop cpu 500 >/dev/null 2>&1 &
  orphaned=$!
  check "pi4 lends to laptop's job" wait_for 60 lending pi4
  kill_node laptop
  wait_exit "$orphaned" 30 >/dev/null
  idle() { [ "$("$VESTA" -node "$1" --json status | json_get 'len(d["flows"])')" = 0 ]; }
  check "pi4 drops the dead submitter's work" wait_for 15 idle pi4
  check "and so do desk and nas" wait_for 15 eval "idle desk && idle nas"
  start_node "${LAPTOP[@]}" || exit 1
  check "laptop is back again" wait_for 30 links_up laptop 3
}

# (d) Memory: only where it fits. laptop has 300 MiB available minus its 120 MiB reserve; desk
# lends at most 200 MiB, nas 100; pi4 plenty.
scenario_mem() {
  federation
  mem=$("$VESTA" -node laptop --json mem 250 300)
  check "a 250 MiB job submitted on laptop runs on pi4, the only node with room" \
    test "$(echo "$mem" | json_get 'd["state"] + " " + d["node"]')" = "done pi4"
  out=$("$VESTA" -node laptop --json mem 5000 100)
  rc=$?
  check "a mem job that fits nowhere fails (exit 1)" test $rc -eq 1
  reason=$(echo "$out" | json_get 'd["error"]')
  expect_contains "with a clear reason" "no node can take it" "$reason"
  expect_contains "that names laptop's room" "laptop: 5000 MiB is more than its mem_offer_mb 1024 MiB" "$reason"
  expect_contains "and desk's offer" "desk: 5000 MiB is more than its mem_offer_mb 200 MiB" "$reason"
  out=$("$VESTA" -node laptop mem 150 100 --on desk 2>&1)
  check "a job pinned to a node with room runs there" test $? -eq 0
  expect_contains "and says so" "on desk" "$out"
  for n in desk pi4 laptop nas; do
    check "vestad $n stops cleanly" stop_node "$n"
  done
}

run_scenarios "$@"
