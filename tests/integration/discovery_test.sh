#!/bin/bash
# Discovery on loopback: three vestad with one key find each other with no -seed, a fourth with
# another key stays invisible (its beacons dropped and counted), a clean stop disappears at once,
# a killed node turns dead, and a restarted one comes back. No test here asserts a timing.
source "$(dirname "$0")/lib.sh"

start_bus
for n in alpha beta gamma; do start_node "$n" -port $((DPORT + 1000 + ${#n})) || exit 1; done
start_node mallory -key "not-the-federation-key-at-all" || exit 1

peer_names() { "$VESTA" -node "$1" --json peers | json_get '",".join(sorted(p["name"] for p in d["peers"] if p["state"] == "alive"))'; }
sees() { [ "$(peer_names "$1")" = "$2" ]; }

check "alpha sees beta and gamma (no seed, loopback broadcast)" wait_for 20 sees alpha beta,gamma
check "beta sees alpha and gamma" wait_for 20 sees beta alpha,gamma
check "gamma sees alpha and beta" wait_for 20 sees gamma alpha,beta
check "the node with another key sees nobody" sees mallory ""
dropped() { [ "$("$VESTA" -node alpha --json status | json_get 'd["dropped"]["bad_key"]')" -gt 0 ]; }
check "and its beacons are dropped and counted as bad_key" wait_for 10 dropped
json=$("$VESTA" -node alpha --json peers)
check "vesta --json peers has the contract's fields" \
  test "$(echo "$json" | json_get 'all(set(p) >= {"name","fingerprint","address","state","cores","cpu_pct","mem_available_mb","power","link"} for p in d["peers"])')" = True
check "a peer's fingerprint is the one it reports itself" \
  test "$(echo "$json" | json_get '[p["fingerprint"] for p in d["peers"] if p["name"] == "beta"][0]')" = \
  "$("$VESTA" -node beta --json status | json_get 'd["node"]["fingerprint"]')"
expect_contains "vesta peers prints a table" "STATE" "$("$VESTA" -node alpha peers)"

stop_node gamma
check "a node stopped with SIGTERM leaves alpha's view at once" wait_for 3 sees alpha beta
kill -9 "$(cat "$WORK/beta.pid")"
rm -f "$WORK/beta.pid"
beta_state() { "$VESTA" -node alpha --json peers | json_get '[p["state"] for p in d["peers"] if p["name"] == "beta"][0]'; }
is_dead() { [ "$(beta_state)" = dead ]; }
check "a killed node turns dead in alpha's view" wait_for 15 is_dead
start_node beta -port $((DPORT + 1004)) || exit 1
check "restarted with its identity, it is alive again under the same fingerprint" wait_for 20 sees alpha beta
check "alpha keeps one entry for it" test "$("$VESTA" -node alpha --json peers | json_get 'len(d["peers"])')" = 1
finish
