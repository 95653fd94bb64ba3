#!/bin/bash
# The reciprocity ledger and power, with real daemons on loopback. taker never lends
# (-cpu-offer-pct 0); strict lends only within a tiny goodwill (1 core-second, ratio 1); phone is
# on battery at 10% (below battery_min_pct); keeper is killed with -9 over and over while jobs
# finish on it. Scenarios: a peer that never lends hits its cap, and its own placement stops
# asking there; the ledger survives restarts and a crash loop (the file always parses and totals
# never go down); a corrupt ledger is kept aside, never silently reset; a node on battery below
# the minimum receives no work, while its owner's own jobs still run. Each scenario starts its
# own nodes (ledger_test.sh NAME runs one, no NAME runs them all).
source "$(dirname "$0")/lib.sh"

LOOPS=${VESTA_CRASH_LOOPS:-12}
make_root "$WORK/root-idle" 2 4000
make_root "$WORK/root-phone" 2 4000
cp -r "$DATA/power/battery-10/sys/class/power_supply/BAT0" "$WORK/root-phone/sys/class/power_supply/"

idle=(-workers 1 -sysroot "$WORK/root-idle")
TAKER=(taker "${idle[@]}" -cpu-offer-pct 0)
STRICT=(strict "${idle[@]}" -goodwill-core-s 1 -max-borrow-ratio 1)
PHONE=(phone -workers 1 -sysroot "$WORK/root-phone")
links_up() { [ "$("$VESTA" -node "$1" --json peers | json_get 'sum(1 for p in d["peers"] if p["link"] == "up")')" = "$2" ]; }
ledger() { "$VESTA" -node "$1" --json ledger; }
lent_to_taker() { ledger strict | json_get '[p["lent_core_s"] for p in d["peers"] if p["name"] == "taker"][0]'; }
# stops_cleanly NAME...: the scenario's last checks.
stops_cleanly() {
  local n
  for n in "$@"; do check "vestad $n stops cleanly" stop_node "$n"; done
}

# The cap: taker borrows from strict until it is capped; strict remembers across a restart; and
# taker's placement then asks neither the capping strict nor phone, on battery.
scenario_cap() {
  start_nodes "${TAKER[@]}" -- "${STRICT[@]}" -- "${PHONE[@]}"
  check "taker, strict and phone are linked" wait_for 30 eval 'links_up taker 2 && links_up strict 2'
  out=$("$VESTA" -node taker --json cpu 30 --on strict)
  check "taker borrows from strict within its goodwill" test "$(echo "$out" | json_get 'd["node"]')" = strict
  check "strict's ledger counts what it lent taker, measured (over 1 core-second)" \
    python3 -c "import sys; sys.exit(not ($(lent_to_taker) > 1))"
  check "vesta --json ledger has the contract's fields" \
    test "$(ledger strict | json_get 'all(set(p) >= {"name","fingerprint","lent_core_s","borrowed_core_s","lent_mib_s","borrowed_mib_s","capped"} for p in d["peers"])')" = True
  check "taker's ledger counts the same work as borrowed" \
    python3 -c "import sys; a, b = $(lent_to_taker), $(ledger taker | json_get '[p["borrowed_core_s"] for p in d["peers"] if p["name"] == "strict"][0]'); sys.exit(abs(a - b) > 0.05 * a)"
  check "strict shows taker as capped" \
    test "$(ledger strict | json_get '[p["capped"] for p in d["peers"] if p["name"] == "taker"][0]')" = True
  out=$("$VESTA" -node taker --json cpu 5 --on strict)
  check "taker's next job there is refused (exit 1)" test $? -eq 1
  expect_contains "with a reason that names the cap" "over its cap of 1.0 (max_borrow_ratio 1.0" "$out"
  check "and the refusal by its code and node, not only in text" \
    test "$(echo "$out" | json_get '[(r["code"], r["node"]) for r in d["refusals"]]')" = "[('capped', 'strict')]"
  check "taker now knows it is capped at strict" \
    test "$(ledger taker | json_get '[p["capped_there"] for p in d["peers"] if p["name"] == "strict"][0]')" = True
  expect_contains "vesta status shows the ledger" "ledger  taker: lent" "$("$VESTA" -node strict status)"
  # Persistence.
  before=$(lent_to_taker)
  check "strict stops cleanly" stop_node strict
  file="$WORK/state-strict/vestad-ledger-strict.json"
  check "its ledger file is mode 0600" test "$(stat -c %a "$file")" = 600
  start_node "${STRICT[@]}" || exit 1
  check "after a restart strict remembers what it lent" test "$(lent_to_taker)" = "$before"
  check "strict links again" wait_for 30 links_up strict 2
  # A job large enough to split: strict (capped) and phone (battery) are both idle, neither gets any.
  out=$("$VESTA" -node taker --json cpu 60)
  check "a job large enough to split goes to neither the capping strict nor the phone on battery" \
    test "$(echo "$out" | json_get '",".join(p["node"] for p in d["parts"])')" = taker
  reason=$(echo "$out" | json_get 'd["reason"]')
  expect_contains "taker's placement no longer asks strict" "strict would refuse: this node is over its borrowing cap there" "$reason"
  expect_contains "and says phone lends nothing" "phone lends nothing" "$reason"
  stops_cleanly taker strict phone
}

# Battery below the minimum: phone lends nothing, and its owner's own jobs still run.
scenario_battery() {
  start_nodes "${TAKER[@]}" -- "${PHONE[@]}"
  check "taker and phone are linked" wait_for 30 links_up taker 1
  phone_power() { "$VESTA" -node taker --json peers | json_get '[p["power"] for p in d["peers"] if p["name"] == "phone"][0]'; }
  check "phone advertises battery mode" test "$(phone_power)" = battery
  out=$("$VESTA" -node taker cpu 5 --on phone 2>&1)
  check "a job pinned to phone is refused (exit 1)" test $? -eq 1
  expect_contains "naming the battery" "phone lends nothing" "$out"
  out=$("$VESTA" -node phone --json cpu 5 --local)
  check "phone's owner still runs its own jobs" test "$(echo "$out" | json_get 'd["state"]')" = done
  stops_cleanly taker phone
}

# A corrupt ledger is kept aside, never silently reset.
scenario_corrupt() {
  start_nodes "${PHONE[@]}"
  stop_node phone >/dev/null
  echo '{"format":"vesta-ledger-1","peers":[{"fingerprint":' >"$WORK/state-phone/vestad-ledger-phone.json"
  chmod 600 "$WORK/state-phone/vestad-ledger-phone.json"
  start_node "${PHONE[@]}" || exit 1
  check "a corrupt ledger is kept aside" bash -c "ls '$WORK'/state-phone/vestad-ledger-phone.json.corrupt-*"
  expect_contains "with a clear error in the log" "is corrupt" "$(cat "$WORK/phone.log")"
  stops_cleanly phone
}

# Crash loop: the ledger file survives kill -9 at any moment.
scenario_crash_loop() {
  start_nodes "${TAKER[@]}"
  # keeper lends to taker; a background loop keeps jobs going while keeper is killed with -9 at
  # random moments and restarted. After every kill its ledger file must parse, and what it lent
  # taker must never go down.
  start_node keeper "${idle[@]}" || exit 1
  check "keeper is linked" wait_for 30 links_up keeper 1
  touch "$WORK/loop"
  ( while [ -e "$WORK/loop" ]; do "$VESTA" -node taker cpu 3 --on keeper >/dev/null 2>&1; sleep 0.05; done ) &
  keeper_file="$WORK/state-keeper/vestad-ledger-keeper.json"
  last=0 broken=0 down=0
  for i in $(seq "$LOOPS"); do
    wait_for 15 links_up keeper 1 >/dev/null
    sleep "$((RANDOM % 2)).$((RANDOM % 9 + 1))"  # 0.1 to 1.9 s: often mid-job
    kill_node keeper
    if [ -e "$keeper_file" ]; then
      now=$(python3 -c "import json; d=json.load(open('$keeper_file')); print(sum(p['lent_core_ms'] for p in d['peers']) / 1000)" 2>/dev/null) || { broken=$((broken + 1)); now=$last; }
      python3 -c "import sys; sys.exit(not ($now + 1e-9 < $last))" && down=$((down + 1))
      last=$now
    fi
    start_node keeper "${idle[@]}" >/dev/null || break
  done
  rm -f "$WORK/loop"
  check "after $LOOPS kills the ledger file always parsed" test "$broken" -eq 0
  check "and what keeper lent never went down" test "$down" -eq 0
  echo "# keeper lent $last core-seconds over $LOOPS kill -9 cycles"
  # A job that has finished is on disk: kill -9 right after it ends loses nothing of it.
  wait_for 15 links_up keeper 1 >/dev/null
  check "a job run to its end on keeper" "$VESTA" -node taker cpu 3 --on keeper
  kill_node keeper
  after=$(python3 -c "import json; d=json.load(open('$keeper_file')); print(sum(p['lent_core_ms'] for p in d['peers']) / 1000)")
  check "is in keeper's ledger file even after a kill -9 the moment it ended" \
    python3 -c "import sys; sys.exit(not ($after > $last))"
  start_node keeper "${idle[@]}" >/dev/null || exit 1
  stops_cleanly taker keeper
}

run_scenarios "$@"
