#!/bin/bash
# Fan-outs of commands of three lengths, each build's wall time side by side: what batches
# (short commands run many to a job) change for commands that are not short. desk + pi4 on
# loopback as in bench/exec.sh, started afresh for each build and round; the builds alternate.
# Usage: bench/exec_lengths.sh [rounds] BUILD_DIR...   (e.g. 2 ../old/build build)
cd "$(dirname "$0")/.."
source bench/lib.sh
rounds=${1:-2}
shift
[ $# -gt 0 ] || set -- build
bench_bus
seconds() {
  local start
  start=$(date +%s.%N)
  "$@" >/dev/null 2>&1
  python3 -c "print(f'{$(date +%s.%N) - $start:.2f}')"
}
echo "wall seconds: 200 x sleep 0.01 | 30 x sleep 0.2 | 40 x a shell loop of 20,000 steps"
for r in $(seq "$rounds"); do
  for b in "$@"; do
    bench_desk_pi4 "$b"
    v=("$b/cli/vesta" -node desk exec --)
    short=$(seconds "${v[@]}" sh -c 'sleep 0.01; : {}' ::: $(seq 200))
    long=$(seconds "${v[@]}" sh -c 'sleep 0.2; : {}' ::: $(seq 30))
    busy=$(seconds "${v[@]}" sh -c 'i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; : {}' ::: $(seq 40))
    printf '  round %s %-40s %s | %s | %s\n' "$r" "$b" "$short" "$long" "$busy"
    bench_stop_nodes
  done
done
