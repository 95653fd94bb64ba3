#!/bin/bash
# Placement figures on loopback (no root). Figures, not pass/fail.
#   bench/placement.sh [runs] [millions]   (defaults 3 and 100): prints each run and the medians.
# (i) scaling: a cpu job on one node with one worker (--local) against the same job split over
#     two nodes with one worker each. Ideal ratio 0.5; both nodes share this machine's cores, so
#     the ratio is only meaningful with at least two idle cores.
# (ii) spill: from `vesta stress 0 30` on node a to a's own CPU reading crossing the spill
#     threshold (CpuPercent polled with busctl every 50 ms), and to the end of a 1M-iteration job submitted right then,
#     which must run on node b.
# (iii) recovery: kill -9 of the runner b mid-split; from the kill to a's job showing b's part
#     lost (its chunks back in the pool), and the job's wall time against an undisturbed split.
# Node a measures the real machine; b reads an idle 2-core fixture so the stress on a does not
# make it look busy (its work still runs on this machine). Beacons stay on loopback.
cd "$(dirname "$0")/.."
source bench/lib.sh
runs=${1:-3}
millions=${2:-100}
bench_bus
now_ms() { date +%s%3N; }
vesta() { build/cli/vesta "$@"; }
jget() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
median() { tr ' ' '\n' | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

mkdir -p "$work/root-b/proc" "$work/root-b/sys/class/power_supply"
printf 'cpu  100 0 100 2000 0 0 0 0 0 0\ncpu0 50 0 50 1000 0 0 0 0 0 0\ncpu1 50 0 50 1000 0 0 0 0 0 0\n' \
  >"$work/root-b/proc/stat"
printf 'MemTotal: 8000000 kB\nMemAvailable: 4000000 kB\n' >"$work/root-b/proc/meminfo"
dport=$((20000 + RANDOM % 10000))
start_node() {  # start_node NAME LINKPORT [flags]
  local name=$1 port=$2
  shift 2
  build/daemon/vestad -name "$name" -key bench-federation-key-0000 -state-dir "$work/state" \
    -broadcast 127.255.255.255 -dport "$dport" -port "$port" -bus "$VESTA_BUS" -workers 1 "$@" \
    2>>"$work/$name.log" &
  echo $! >"$work/$name.pid"
  PIDS_TO_KILL+=($!)
}
linked() { [ "$(vesta -node a --json peers 2>/dev/null | grep -o '"link":"up"' | wc -l)" -eq 1 ]; }
wait_linked() { until linked; do sleep 0.05; done; }
a_cpu() { vesta -node a --json status | jget 'int(d["node"]["cpu_pct"])'; }
wait_a_idle() { until [ "$(a_cpu)" -lt 40 ]; do sleep 0.2; done; }

start_node a $((dport + 1))
start_node b $((dport + 2)) -sysroot "$work/root-b"
wait_linked

echo "(i) cpu $millions on one node with one worker vs split over two nodes with one worker each"
singles=() splits=() ratios=()
for run in $(seq "$runs"); do
  wait_a_idle
  one=$(vesta -node a --json cpu "$millions" --local | jget 'd["elapsed_ms"]')
  wait_a_idle
  two_json=$(vesta -node a --json cpu "$millions")
  two=$(echo "$two_json" | jget 'd["elapsed_ms"]')
  nodes=$(echo "$two_json" | jget '"+".join(p["node"] for p in d["parts"] if p["iterations"])')
  ratio=$(python3 -c "print(f'{$two / $one:.3f}')")
  echo "  run $run: one node $one ms, two nodes ($nodes) $two ms, ratio $ratio"
  singles+=("$one") splits+=("$two") ratios+=("$ratio")
done
echo "  median: one node $(echo "${singles[@]}" | median) ms, two nodes $(echo "${splits[@]}" | median) ms, ratio $(echo "${ratios[@]}" | median)"

echo "(ii) from vesta stress 0 30 on a to a's CPU reading over 80%, and to a job placed on b"
crossings=() spills=()
for run in $(seq "$runs"); do
  wait_a_idle
  start=$(now_ms)
  vesta -node a stress 0 30 >/dev/null
  # busctl, not vesta --json and python: a light poll, so the stressed machine does not slow it.
  until [ "$(busctl --address="$VESTA_BUS" get-property org.vesta.Vestad1.Node.a /org/vesta/Vestad1 \
    org.vesta.Vestad1.Manager CpuPercent | cut -d' ' -f2 | cut -d. -f1)" -ge 80 ]; do sleep 0.05; done
  crossed=$(($(now_ms) - start))
  node=$(vesta -node a --json cpu 1 | jget 'd["node"]')
  t=$(($(now_ms) - start))
  vesta -node a stop-stress >/dev/null
  echo "  run $run: over the threshold after $crossed ms; the next job ran on $node, done $t ms after the stress began"
  crossings+=("$crossed") spills+=("$t")
done
echo "  median: crossing $(echo "${crossings[@]}" | median) ms, spilled job done $(echo "${spills[@]}" | median) ms"

echo "(iii) kill -9 of runner b mid-split ($millions M on a and b)"
detects=() totals=() baselines=()
for run in $(seq "$runs"); do
  wait_a_idle
  base=$(vesta -node a --json cpu "$millions" | jget 'd["elapsed_ms"]')
  wait_a_idle
  vesta -node a --json cpu "$millions" >"$work/job.json" &
  submitter=$!
  # Kill b once it has delivered a chunk or two.
  until [ "$(vesta -node b --json status | jget 'sum(f["done"] for f in d["flows"])')" -gt 4000000 ]; do sleep 0.05; done
  path=$(busctl --address="$VESTA_BUS" call org.vesta.Vestad1.Node.a /org/vesta/Vestad1 \
    org.vesta.Vestad1.Manager ListJobs | grep -o '"/org/vesta/Vestad1/job/[0-9]*"' | tail -1 | tr -d '"')
  killed=$(now_ms)
  kill -9 "$(cat "$work/b.pid")"
  until busctl --address="$VESTA_BUS" get-property org.vesta.Vestad1.Node.a "$path" \
    org.vesta.Vestad1.Job Parts | grep -q '"lost"'; do sleep 0.01; done
  detect=$(($(now_ms) - killed))
  wait "$submitter"
  total=$(jget 'd["elapsed_ms"]' <"$work/job.json")
  echo "  run $run: lost after $detect ms; job $total ms against $base ms undisturbed"
  detects+=("$detect") totals+=("$total") baselines+=("$base")
  start_node b $((dport + 2)) -sysroot "$work/root-b"
  wait_linked
done
echo "  median: detected in $(echo "${detects[@]}" | median) ms; job $(echo "${totals[@]}" | median) ms vs $(echo "${baselines[@]}" | median) ms"
