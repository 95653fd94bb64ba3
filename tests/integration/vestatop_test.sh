#!/bin/bash
# vestatop against a three-node federation, in tmux, read back with capture-pane: the frame
# shows every node; while a split job runs the flows appear and the receiving node's CPU bar
# rises (pi4 measures the real machine); a vestad that goes away shows "disconnected" and comes
# back; q quits. Needs tmux (installed by tools/deps.sh); skipped without it.
source "$(dirname "$0")/lib.sh"
command -v tmux >/dev/null || { echo "skipped: tmux is not installed"; exit 77; }
VESTATOP=${VESTATOP:?run through meson test}
SESSION=vt$$
export TMUX_TMPDIR=$WORK  # a tmux server of this run's own, removed with $WORK
trap 'tmux kill-server 2>/dev/null; cleanup' EXIT

make_root "$WORK/root-laptop" 2 1500
start_bus
start_node desk -workers 1 || exit 1
# pi4 lends whatever the machine has free, so a busy CI machine still lets it take part.
start_node pi4 -workers 1 -reserve-pct 0 -cpu-offer-pct 100 || exit 1
start_node laptop -workers 1 -sysroot "$WORK/root-laptop" || exit 1
links_up() { [ "$("$VESTA" -node desk --json peers | json_get 'sum(1 for p in d["peers"] if p["link"] == "up")')" = 2 ]; }
check "desk is linked to pi4 and laptop" wait_for 30 links_up

screen() { tmux capture-pane -p -t "$SESSION"; }
shows() { screen | grep -q -- "$1"; }
tmux new-session -d -s "$SESSION" -x 120 -y 32 \
  "LANG=C.UTF-8 VESTA_BUS='$VESTA_BUS' '$VESTATOP' -node desk 2>'$WORK/vestatop.err'"
check "vestatop shows the federation" wait_for 15 shows "3 nodes alive"
check "with a row for each node" bash -c "tmux capture-pane -p -t $SESSION | grep -q '^pi4 ' && tmux capture-pane -p -t $SESSION | grep -q '^laptop '"
pi4_cpu() { screen | awk '/^pi4 /{ for (i = 1; i <= NF; i++) if ($i ~ /%\]$/) { gsub(/[^0-9.]/, "", $i); print int($i); exit } }'; }
before=$(pi4_cpu)
echo "# pi4's CPU bar before the job: ${before:-?}%"

"$VESTA" -node desk cpu 300 >/dev/null 2>&1 &
job=$!
check "a flow from desk appears while the split job runs" wait_for 30 shows "desk → "
rises() { local now; now=$(pi4_cpu); [ -n "$now" ] && [ "$now" -ge 50 ] && { [ "$now" -ge $((${before:-0} + 20)) ] || [ "${before:-0}" -ge 60 ]; }; }
check "and pi4's CPU bar rises" wait_for 30 rises
echo "# pi4's CPU bar during the job: $(pi4_cpu)%"
screen >"$WORK/during.txt"
sed 's/^/#   /' "$WORK/during.txt" | grep -v '^#   *$'
tmux send-keys -t "$SESSION" Down Down Down Down
tmux send-keys -t "$SESSION" k
check "k on our job's flow asks before cancelling" wait_for 10 shows "everywhere? y/n"
tmux send-keys -t "$SESSION" y
check "and y cancels it" wait_for 10 shows "cancelled"
wait "$job" 2>/dev/null

stop_node desk >/dev/null
check "vestatop says disconnected when vestad goes away" wait_for 15 shows "disconnected"
start_node desk -workers 1 || exit 1
check "and reconnects when it returns" wait_for 20 shows " alive ·"

tmux send-keys -t "$SESSION" q
gone() { ! tmux has-session -t "$SESSION" 2>/dev/null; }
check "q quits" wait_for 10 gone
check "without an error" test ! -s "$WORK/vestatop.err"

out=$("$VESTATOP" -node desk --once --ascii)
expect_contains "--once prints a frame as text" "NODE" "$out"
for n in desk pi4 laptop; do check "vestad $n stops cleanly" stop_node "$n"; done
# One frame with no vestad: the reason on stderr and exit 3, not a live view's retry banner.
out=$("$VESTATOP" -node desk --once --ascii 2>"$WORK/once.err"); rc=$?
check "--once with no vestad exits 3 ($rc)" test "$rc" = 3
check "and prints no frame" test -z "$out"
err=$(cat "$WORK/once.err")
expect_contains "but one line saying why" "vestatop: no vestad answers as org.vesta.Vestad1.Node.desk" "$err"
check "that is one line" test "$(wc -l <"$WORK/once.err")" = 1
finish
