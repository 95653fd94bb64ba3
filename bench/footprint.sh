#!/bin/bash
# Footprint with company: vestad's RSS (and PSS) and CPU over a quiet period as one of four nodes
# on loopback, vestatop's CPU while it watches them, and the throughput of sealed link frames
# (a remote command's output through `vesta exec`). Figures, not pass/fail.
# Usage: bench/footprint.sh [seconds] [megabytes]   (defaults 60 and 1024)
cd "$(dirname "$0")/.."
source bench/lib.sh
seconds=${1:-60}
mb=${2:-1024}
bench_bus
dport=$((20000 + RANDOM % 10000))
port=$((dport + 1))
for name in desk pi4 laptop nas; do
  build/daemon/vestad -name "$name" -key bench-federation-key-0000 -state-dir "$work/state-$name" \
    -broadcast 127.255.255.255 -dport "$dport" -port "$port" -allow-exec 2>"$work/$name.log" &
  PIDS_TO_KILL+=($!)
  echo $! >"$work/$name.pid"
  port=$((port + 1))
done
for _ in $(seq 150); do
  [ "$(build/cli/vesta -node desk --json peers 2>/dev/null | grep -o '"link":"up"' | wc -l)" -eq 3 ] && break
  sleep 0.1
done
sleep 5  # past the start-up (key derivation, first links)

top_pid=""
if [ -x build/top/vestatop ] && command -v tmux >/dev/null; then
  tmux -L "vb$$" new-session -d -x 100 -y 30 "VESTA_BUS=$VESTA_BUS build/top/vestatop -node desk"
  sleep 2
  top_pid=$(pgrep -f "build/top/vestatop -node desk" | head -1)
fi
pid=$(cat "$work/desk.pid")
# CPU time in ns of every thread (schedstat), finer than /proc/PID/stat's 10 ms ticks.
ticks() { cat "/proc/$1"/task/*/schedstat | awk '{s += $1} END {print s}'; }
before=$(ticks "$pid")
[ -n "$top_pid" ] && top_before=$(ticks "$top_pid")
sleep "$seconds"
after=$(ticks "$pid")
[ -n "$top_pid" ] && top_after=$(ticks "$top_pid")
rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
pss=$(awk '/^Pss:/ {print $2}' "/proc/$pid/smaps_rollup")
anon=$(awk '/RssAnon/ {print $2}' "/proc/$pid/status")
python3 -c "print(f'vestad with three peers, {$seconds} s: RSS {$rss/1024:.1f} MiB (PSS {$pss/1024:.1f} MiB, anonymous {$anon/1024:.1f} MiB), CPU {($after-$before)/1e9/$seconds*100:.3f}% of a core')"
if [ -n "$top_pid" ]; then
  python3 -c "print(f'vestatop watching them, {$seconds} s: CPU {($top_after-$top_before)/1e9/$seconds*100:.3f}% of a core')"
  tmux -L "vb$$" kill-server
fi

start=$(date +%s.%N)
got=$(build/cli/vesta -node desk exec --on pi4 -- head -c "$((mb * 1048576))" /dev/zero | wc -c)
end=$(date +%s.%N)
python3 -c "d=$end-$start; print(f'link throughput: {$got/1048576:.0f} MiB of a remote command\'s output in {d:.2f} s = {$got/1048576/d:.0f} MiB/s (sealed frames, credit flow control, pipes at both ends)')"
