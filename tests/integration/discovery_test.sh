#!/bin/bash
# Discovery on loopback: three vestad with one key find each other with no -seed, a fourth with
# another key stays invisible (its beacons dropped and counted), a clean stop disappears at once,
# a killed node turns dead, and a restarted one comes back. No test here asserts a timing. Each
# scenario starts its own nodes (discovery_test.sh NAME runs one, no NAME runs them all).
source "$(dirname "$0")/lib.sh"

peer_names() { "$VESTA" -node "$1" --json peers | json_get '",".join(sorted(p["name"] for p in d["peers"] if p["state"] == "alive"))'; }
sees() { [ "$(peer_names "$1")" = "$2" ]; }
links_up() { [ "$("$VESTA" -node "$1" --json peers | json_get 'sum(1 for p in d["peers"] if p["link"] == "up")')" = "$2" ]; }
BEACONS="$(dirname "$0")/beacons.py"
# three: alpha, beta and gamma, found and linked.
three() {
  start_nodes alpha -- beta -- gamma
  check "alpha sees beta and gamma, linked" wait_for 20 eval 'sees alpha beta,gamma && links_up alpha 2'
}

# Three nodes with one key find each other; one with another key stays invisible.
scenario_find() {
  start_nodes alpha -- beta -- gamma -- mallory -key "not-the-federation-key-at-all"
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
}

# Encrypted links, their round-trip time, and garbage and floods at a link port.
scenario_links() {
  start_nodes alpha -- beta -- gamma
  check "alpha holds an encrypted link to beta and gamma" wait_for 20 links_up alpha 2
  check "gamma holds links to alpha and beta" wait_for 20 links_up gamma 2
  check "links measure a round-trip time" wait_for 10 bash -c \
    "'$VESTA' -node alpha --json peers | python3 -c 'import json,sys; d=json.load(sys.stdin); sys.exit(0 if all(p[\"rtt_ms\"] is not None and p[\"rtt_ms\"] >= 0 for p in d[\"peers\"]) else 1)'"
  # Garbage and a too-large handshake at alpha's link port: refused, counted, alpha unharmed.
  python3 - "$(cat "$WORK/alpha.port")" <<'PY'
import socket, sys, os
for payload in (os.urandom(300), b"\x00\x30" + os.urandom(48), b"\xff\xff" + b"x" * 10):
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
    s.sendall(payload)
    s.settimeout(5)
    try:
        data = s.recv(100)  # the node must close without answering
        assert data == b"", data
    except socket.timeout:
        pass
    s.close()
PY
  check "garbage at a link port gets no answer" test $? -eq 0
  refused() { [ "$("$VESTA" -node alpha --json status | json_get 'd["dropped"]["link_refused"]')" -ge 2 ]; }
  check "and is counted as refused" wait_for 10 refused
  check "alpha keeps its links through it" links_up alpha 2
  # A flood of half-open connections: at most 256 stay in their handshake, silent ones for about a
  # second; the rest are closed (evicted, or timed out) and counted.
  before=$("$VESTA" -node alpha --json status | json_get 'd["dropped"]["link_refused"]')
  python3 - "$(cat "$WORK/alpha.port")" <<'PY' &
import socket, sys, time
# All 100 at once (non-blocking connects), held open until the test kills this process: alpha
# must close them while they are still open on this side.
held = []
for _ in range(100):
    s = socket.socket()
    s.setblocking(False)
    s.connect_ex(("127.0.0.1", int(sys.argv[1])))
    held.append(s)
time.sleep(60)
PY
  flood=$!
  flood_refused() { [ "$("$VESTA" -node alpha --json status | json_get 'd["dropped"]["link_refused"]')" -ge $((before + 60)) ]; }
  check "a flood of 100 idle connections is cut down and closed" wait_for 20 flood_refused
  check "and alpha still answers and keeps its links meanwhile" links_up alpha 2
  kill $flood 2>/dev/null
  wait $flood 2>/dev/null
}

# A member restarted while the link port it dials is flooded (300 silent connections held, more
# than the 256 slots, reopened as they are closed, up to 300 new ones a second) must link again while the flood goes
# on. Of alpha and beta the lower fingerprint dials: restart that one, flood the other. Before
# the slots evicted, every dial was refused for as long as the flood lasted.
scenario_flood_restart() {
  three
  fp_of() { "$VESTA" -node "$1" --json status | json_get 'd["node"]["fingerprint"]'; }
  if [[ "$(fp_of alpha)" < "$(fp_of beta)" ]]; then dialler=alpha acceptor=beta; else dialler=beta acceptor=alpha; fi
  linked() { [ "$("$VESTA" -node "$1" --json peers | json_get '",".join(p["link"] for p in d["peers"] if p["name"] == "'"$2"'")')" = up ]; }
  refused_at() { "$VESTA" -node "$1" --json status | json_get 'd["dropped"]["link_refused"]'; }
  flood_before=$(refused_at $acceptor)
  python3 "$(dirname "$0")/link_flood.py" 100 300 300 "$(cat "$WORK/$acceptor.port")" >"$WORK/flood.out" &
  flood=$!
  flooding() { [ "$(refused_at $acceptor)" -ge $((flood_before + 300)) ]; }
  check "the flood is on ($acceptor closes hundreds of silent connections)" wait_for 30 flooding
  kill_node $dialler
  start_node $dialler -port "$(cat "$WORK/$dialler.port")" || exit 1
  check "$dialler, restarted during the flood, links to $acceptor again while it lasts" \
    wait_for 60 linked $dialler $acceptor
  check "the flood was still on then" kill -0 $flood
  check "and $acceptor kept its link to gamma" linked $acceptor gamma
  kill $flood 2>/dev/null
  wait $flood 2>/dev/null
  wait_for 20 links_up alpha 2
}

# Beacons recorded off the air and sent back (no key needed): alpha's own come back to it.
scenario_reflected() {
  three
  captured=$(python3 "$BEACONS" capture "$DPORT" 4 "$WORK/own.beacons")
  # The newest two of its own are taken for its broadcast looping back: let alpha send more first,
  # so every recorded one of its own is older than that.
  sleep 3
  reflected_count() { "$VESTA" -node alpha --json status | json_get 'd["dropped"].get("reflected", 0)'; }
  # Counted from just before the replay, so an echo of alpha's own broadcast cannot pass for it.
  reflected_before=$(reflected_count)
  python3 "$BEACONS" replay "$DPORT" "$WORK/own.beacons" >/dev/null
  reflected() { [ "$(reflected_count)" -gt "${reflected_before:-0}" ]; }
  check "alpha's own beacons sent back to it are counted as reflected ($captured recorded)" \
    wait_for 10 reflected
  check "and the others' as replays" wait_for 10 bash -c \
    "[ \"\$('$VESTA' -node alpha --json status | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"dropped\"][\"replay\"])')\" -gt 0 ]"
}

# Leaving: a clean stop, a kill, and a restart under the same identity.
scenario_leave() {
  three
  stop_node gamma
  check "a node stopped with SIGTERM leaves alpha's view at once" wait_for 3 sees alpha beta
  check "and its link closes at once" wait_for 3 links_up alpha 1
  kill_node beta
  beta_state() { "$VESTA" -node alpha --json peers | json_get '[p["state"] for p in d["peers"] if p["name"] == "beta"][0]'; }
  is_dead() { [ "$(beta_state)" = dead ]; }
  check "a killed node turns dead in alpha's view" wait_for 15 is_dead
  start_node beta -port "$(cat "$WORK/beta.port")" || exit 1
  check "restarted with its identity, it is alive again under the same fingerprint" wait_for 20 sees alpha beta
  check "alpha keeps one entry for it" test "$("$VESTA" -node alpha --json peers | json_get 'len(d["peers"])')" = 1
}

# A receiver that restarts forgets every sender's sequence. Beta's beacons, recorded, replayed to
# a fresh alpha after beta was killed: they are within the clock window, so alpha hears "beta",
# but its link cannot come up, so alpha must never call it alive.
scenario_dead_replay() {
  start_nodes alpha -- beta
  check "alpha sees beta, linked" wait_for 20 eval 'sees alpha beta && links_up alpha 1'
  python3 "$BEACONS" capture "$DPORT" 3 "$WORK/beta.beacons" >/dev/null
  kill_node beta
  stop_node alpha
  start_node alpha || exit 1
  states=""
  for round in 1 2 3 4 5; do
    python3 "$BEACONS" replay "$DPORT" "$WORK/beta.beacons" >/dev/null
    states="$states $("$VESTA" -node alpha --json peers | json_get '",".join(p["state"] for p in d["peers"] if p["name"] == "beta") or "absent"')"
  done
  check "replayed beacons of a dead node reach a restarted receiver (seen as:$states)" \
    bash -c "[[ '$states' == *unlinked* ]]"
  check "but it never shows the dead node alive" bash -c "[[ '$states' != *alive* ]]"
}

run_scenarios "$@"
