#!/bin/bash
# GPUs as a resource of exec jobs, on fixture sysroots (this machine needs no GPU): desk lends
# one NVIDIA card (the driver's /proc view), pi4 has an AMD card it does not lend (gpu_offer
# off), laptop has none and submits. `vesta exec --gpu` goes to desk with the card's index in
# its environment, one job per GPU (a second waits, saying why, and runs when the first ends),
# and a node that does not lend is never chosen. Real vestad processes on a private bus,
# loopback only; gpu_test.sh NAME runs one scenario.
source "$(dirname "$0")/lib.sh"
for n in desk pi4 laptop; do make_root "$WORK/root-$n" 4 4000; done
cp -r "$DATA/gpu/nvidia/proc/driver" "$WORK/root-desk/proc/"
cp -r "$DATA/gpu/amdgpu/sys/class" "$WORK/root-pi4/sys/"
DESK=(desk -allow-exec -gpu-offer -sysroot "$WORK/root-desk")
PI4=(pi4 -allow-exec -sysroot "$WORK/root-pi4")
LAPTOP=(laptop -allow-exec -sysroot "$WORK/root-laptop")
L() { "$VESTA" -node laptop "$@"; }
cd "$WORK" || exit 1

peers_linked() { [ "$(L --json peers | json_get 'len([p for p in d["peers"] if p["link"] == "up"])')" = 2 ]; }
# gpu_state NODE STATE: laptop's view of NODE's first GPU (from NODE's beacons) is STATE.
gpu_state() {
  [ "$(L --json peers | json_get '",".join(g["state"] for p in d["peers"] if p["name"] == "'"$1"'" for g in p["gpu_list"])')" = "$2" ]
}
start_all() {
  start_nodes "${DESK[@]}" -- "${PI4[@]}" -- "${LAPTOP[@]}"
  check "laptop links to desk and pi4" wait_for 20 peers_linked
  check "desk's beacons advertise its GPU as lent and free" wait_for 20 gpu_state desk free
}

scenario_placement() {
  start_all
  s=$("$VESTA" -node desk --json status)
  check "desk reads its NVIDIA card from the driver's /proc view" \
    test "$(echo "$s" | json_get 'd["node"]["gpus"] == 1 and d["node"]["gpu_list"][0]["model"] == "NVIDIA GeForce RTX 3080" and d["node"]["gpu_list"][0]["driver"] == "nvidia"')" = True
  check "pi4's GPU shows as not lent" gpu_state pi4 "not lent"
  peers=$(L peers)
  expect_contains "vesta peers names pi4's card and why it is not lent" \
    "AMD Radeon RX 6800 XT (amdgpu, 16368 MiB, 37% busy): not lent (gpu_offer is off)" "$peers"
  expect_contains "and desk's as lent" "NVIDIA GeForce RTX 3080 (nvidia): lent, free" "$peers"
  # Without --gpu, laptop would run this itself (local first): --gpu sends it to desk.
  out=$(L exec --gpu -- sh -c 'echo "$VESTA_NODE $CUDA_VISIBLE_DEVICES $VESTA_GPU $CUDA_DEVICE_ORDER"' 2>&1)
  check "vesta exec --gpu runs on the node lending a GPU, given its index" \
    test "$out" = "desk 0 0 PCI_BUS_ID"
  out=$(L exec -- sh -c 'echo "$VESTA_NODE ${CUDA_VISIBLE_DEVICES-unset}"' 2>&1)
  check "a job without --gpu is not handed a GPU" test "$out" = "laptop unset"
  out=$(L exec --gpu --on pi4 -- true 2>&1); rc=$?
  check "--gpu on a node with gpu_offer off fails with 255" test $rc -eq 255
  expect_contains "naming the rule" "pi4 lends no GPU (gpu_offer is off)" "$out"
  out=$(L exec --gpu=2 -- true 2>&1); rc=$?
  check "--gpu=2 in a federation lending one GPU fails at once" test $rc -eq 255
  expect_contains "saying what desk has" "desk has 1 GPU, not 2" "$out"
  expect_contains "and why the others cannot" "laptop has no GPU" "$out"
  out=$(L exec --gpu=x -- true 2>&1); rc=$?
  check "a bad --gpu value is a usage error" test $rc -eq 2
  expect_contains "naming it" '--gpu: "x" is not a whole number 1..16' "$out"
}

scenario_one_job_per_gpu() {
  start_all
  L exec --gpu -- sh -c 'echo started; while [ ! -e "$0" ]; do sleep 0.1; done; echo "first $CUDA_VISIBLE_DEVICES"' "$WORK/release" >"$WORK/first.out" 2>&1 &
  first=$!
  check "the first --gpu job starts on desk" wait_for 30 grep -q started "$WORK/first.out"
  check "desk's beacons then show its GPU busy" wait_for 20 gpu_state desk busy
  L exec --gpu -- sh -c 'echo "second $VESTA_NODE $CUDA_VISIBLE_DEVICES"' >"$WORK/second.out" 2>&1 &
  second=$!
  queued() { [ "$(L --json jobs | json_get '[j["state"] for j in d["jobs"] if j["job"] == "2"]')" = "['queued']" ]; }
  check "a second --gpu job waits while the only GPU is busy" wait_for 10 queued
  reason=$(busctl --address="$VESTA_BUS" get-property org.vesta.Vestad1.Node.laptop \
    /org/vesta/Vestad1/job/2 org.vesta.Vestad1.Job Reason | tr -d '\\')  # busctl escapes the '

  expect_contains "and says why" "desk's 1 GPU is busy" "$reason"
  check "it has not run" test ! -s "$WORK/second.out"
  touch "$WORK/release"
  wait_exit $first 30
  check "the first job ends well" test $? -eq 0
  check "having seen GPU 0" grep -qx "first 0" "$WORK/first.out"
  wait_exit $second 30
  check "then the second runs on the freed GPU" test "$(cat "$WORK/second.out")" = "second desk 0"
  check "and desk's GPU is free again" wait_for 20 gpu_state desk free
  # What the jobs held counts in both ledgers as GPU-seconds beside the core-seconds.
  # (the file is written within a second of a change).
  gpu_s() { python3 -c "import json; d=json.load(open('$WORK/state-$1/vestad-ledger-$1.json')); print(sum(p.get('$2', 0) for p in d['peers']))"; }
  counted() { [ "$(gpu_s "$1" "$2")" -gt 0 ]; }
  check "desk's ledger counts GPU-seconds lent to laptop" wait_for 10 counted desk lent_gpu_ms
  check "laptop's counts them borrowed" wait_for 10 counted laptop borrowed_gpu_ms
}

run_scenarios "$@"
