#!/bin/bash
# The lending budget over D-Bus and in vesta's words, on fixture machines (tests/data/owner, the
# table in docs/configuration.md): (a) heat: a Pi at 76 °C lends 40% of its offer, says so in
# its status and in its peers' `vesta peers`, and one past thermal_hard_c refuses borrowed work;
# (b) power: on a solar 60% fixture the budget is 0.6 x the offer; (c) someone at the keyboard:
# a fake logind on the private bus drives the in-use rule (in_use_offer_pct 0 here), and without
# logind the presence is unknown and the full offer stands. States only, never timings: every
# wait is an upper bound. budget_test.sh NAME runs one scenario, no NAME all of them.
source "$(dirname "$0")/lib.sh"

OWNER=$DATA/owner
SEED=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f

# status_is NODE EXPR: EXPR (Python, on vesta --json status as d) is True.
status_is() { [ "$("$VESTA" -node "$1" --json status | json_get "$2")" = True ]; }
peer_is() { [ "$("$VESTA" -node "$1" --json peers | json_get "$2")" = True ]; }
links_up() { [ "$("$VESTA" -node "$1" --json peers | json_get 'sum(1 for p in d["peers"] if p["link"] == "up")')" = "$2" ]; }

scenario_heat() {
  export VESTA_LOGIND_BUS=off
  start_nodes desk -workers 1 -sysroot "$OWNER/cool" -- pi -workers 1 -sysroot "$OWNER/pi-hot-76" \
    -- oven -workers 1 -sysroot "$OWNER/hard-82"
  check "the three nodes link" wait_for 30 eval 'links_up desk 2 && links_up pi 2'
  check "pi at 76 °C: thermal factor 0.4 and a budget of 1.2 of its 3 offered cores, on D-Bus" \
    wait_for 10 status_is pi 'd["node"]["thermal_factor"] == 0.4 and d["node"]["budget_cores"] == 1.2 and d["node"]["offer_cores"] == 3'
  check "the CPU sensor's temperature is the one shown" status_is pi 'd["node"]["temperature_c"] == 76'
  expect_contains "vesta status on pi says what cut its budget" "budget 1.2 cores (hot 76 °C: lends 40%)" \
    "$("$VESTA" -node pi status)"
  check "desk hears pi's heat in its beacons and advertises 1.2 spare cores" \
    wait_for 10 peer_is desk '[(p["spare_cores"], p["temperature_c"], p["thermal_factor"]) for p in d["peers"] if p["name"] == "pi"] == [(1.2, 76.0, 0.4)]'
  expect_contains "vesta peers on desk says so in words" "hot 76 °C: lends 40%" "$("$VESTA" -node desk peers)"
  check "oven at 82 °C (past thermal_hard_c) has no budget" \
    wait_for 10 status_is oven 'd["node"]["budget_cores"] == 0 and d["node"]["thermal_factor"] == 0'
  out=$("$VESTA" -node desk cpu 5 --seed $SEED --on oven 2>&1)
  check "a cpu job sent to oven with --on fails: oven lends nothing" test $? -ne 0
  expect_contains "and says why: its budget, advertised as its spare cores" "oven has 0.0 spare cores" "$out"
  check "a cool desk with no borrowed work lends its whole offer" \
    status_is desk 'd["node"]["budget_cores"] == 3 and d["node"]["thermal_factor"] == 1'
}

scenario_solar() {
  export VESTA_LOGIND_BUS=off
  start_nodes sun -workers 1 -sysroot "$OWNER/solar-60"
  check "solar at 60%: willingness 0.6, a budget of 0.6 x the 3 offered cores" \
    wait_for 10 status_is sun 'd["node"]["power"] == "solar" and d["node"]["willingness"] == 0.6 and d["node"]["budget_cores"] == 1.8'
  expect_contains "and vesta status names the power as the cut" "solar: lends 60%" "$("$VESTA" -node sun status)"
}

scenario_keyboard() {
  start_bus
  "$FAKE_LOGIND" "$VESTA_BUS" 0 0 >"$WORK/logind.log" 2>&1 &
  echo $! >"$WORK/logind.pid"
  logind_up() { busctl --address="$VESTA_BUS" status org.freedesktop.login1; }
  check "the fake logind owns org.freedesktop.login1 on the private bus" wait_for 10 logind_up
  set_idle() {
    busctl --address="$VESTA_BUS" call org.freedesktop.login1 /org/freedesktop/login1 \
      org.vesta.test.FakeLogind SetIdle bt "$1" "$2"
  }
  export VESTA_LOGIND_BUS=$VESTA_BUS
  start_nodes laptop -workers 1 -sysroot "$OWNER/cool" -in-use-offer-pct 0 -idle-after 60
  check "someone active at the keyboard: presence active, offer and budget 0 (in_use_offer_pct 0)" \
    wait_for 15 status_is laptop 'd["node"]["user_presence"] == "active" and d["node"]["offer_cores"] == 0 and d["node"]["budget_cores"] == 0'
  prop_is() { [ "$(prop laptop /org/vesta/Vestad1 org.vesta.Vestad1.Manager "$1")" = "$2" ]; }
  check "D-Bus UserPresence says active" prop_is UserPresence 's "active"'
  expect_contains "vesta status says why" "in use: offer 0%" "$("$VESTA" -node laptop status)"
  set_idle true 0  # idle since long ago: away
  check "everyone idle for longer than idle_after_s: away, the full offer of 3 cores is back" \
    wait_for 15 status_is laptop 'd["node"]["user_presence"] == "away" and d["node"]["offer_cores"] == 3 and d["node"]["budget_cores"] == 3'
  set_idle true "$(($(date +%s) * 1000000))"  # just went idle: within idle_after_s, still in use
  check "idle for less than idle_after_s still counts as at the keyboard" \
    wait_for 15 status_is laptop 'd["node"]["user_presence"] == "active" and d["node"]["budget_cores"] == 0'
  set_idle true 0
  check "away again" wait_for 15 status_is laptop 'd["node"]["user_presence"] == "away"'
  kill "$(cat "$WORK/logind.pid")"
  check "logind gone: presence unknown, which is not an error, and the full offer stands" \
    wait_for 15 status_is laptop 'd["node"]["user_presence"] == "unknown" and d["node"]["budget_cores"] == 3'
  expect_contains "logged once, as information" "whether someone is at the keyboard is unknown" \
    "$(cat "$WORK/laptop.log")"
  check "the node keeps running" wait_for 5 node_up laptop
}

run_scenarios "$@"
