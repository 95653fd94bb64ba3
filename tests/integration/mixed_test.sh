#!/bin/bash
# A mixed household on loopback: the native vestad (desk) beside an arm64 vestad (pi4) and an
# armhf one (pi2), both run by qemu-user from the packages ./build.sh made. They find each other
# and link; a split cpu job equals --local; a mem job runs on pi4; a shipped ELF program is placed
# by its architecture and refused, naming both sides, where nothing runs it; pi2 offers no more
# memory than one 32-bit process can map; `vesta peers` on desk shows what each peer is.
# Under qemu-user a foreign node's children run on the host kernel, so this checks placement and
# refusal, not a foreign exec.
#
# The foreign daemons come from the environment (.ci/run sets them after the package builds):
#   VESTA_FOREIGN_ARM64  the arm64 vestad, run by qemu-aarch64-static
#   VESTA_FOREIGN_ARMHF  the armhf vestad, run by qemu-arm-static
#   VESTA_FOREIGN_ROOT_ARM64, VESTA_FOREIGN_ROOT_ARMHF  a sysroot for qemu's -L, when the
#                        libraries are not installed as multiarch packages
# Without one, its scenario is skipped (77), unless VESTA_MIXED_REQUIRED=1 (CI) makes that fail.
source "$(dirname "$0")/lib.sh"

SEED=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f

# foreign NAME QEMU BINARY ROOT: a wrapper that starts BINARY under QEMU (start_node runs
# "$VESTAD"), or exit 77/1 when the binary or qemu is missing.
foreign() {
  local name=$1 qemu=$2 binary=$3 root=$4
  if [ -z "$binary" ] || [ ! -x "$binary" ] || ! command -v "$qemu" >/dev/null; then
    echo "# no foreign vestad for $name (binary \"$binary\", $qemu)"
    [ "${VESTA_MIXED_REQUIRED:-0}" = 1 ] && exit 1
    exit 77
  fi
  {
    echo '#!/bin/sh'
    echo "exec $qemu ${root:+-L $root} $binary \"\$@\""
  } >"$WORK/vestad-$name"
  chmod +x "$WORK/vestad-$name"
  echo "$WORK/vestad-$name"
}

# expect_not_contains "description" "needle" text
expect_not_contains() {
  if [[ "$3" != *"$2"* ]]; then ok "$1"; else not_ok "$1" "expected not to find: $2" "in: $3"; fi
}
peers_json() { "$VESTA" -node desk --json peers; }
linked() { [ "$(peers_json | json_get "sum(1 for p in d['peers'] if p['name'] == '$1' and p['link'] == 'up')")" = 1 ]; }
peer_field() { peers_json | json_get "[p['$2'] for p in d['peers'] if p['name'] == '$1'][0]"; }

# elf_head FILE MACHINE CLASS: a file that starts as an ELF program for MACHINE (e_machine) of
# CLASS (1: 32-bit, 2: 64-bit). Placement reads only the header; nothing runs it.
elf_head() {
  python3 - "$1" "$2" "$3" <<'PY'
import struct, sys
path, machine, cls = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
head = b"\x7fELF" + bytes([cls, 1, 1]) + bytes(9) + struct.pack("<HH", 2, machine)
open(path, "wb").write(head + bytes(64 - len(head)))
PY
  chmod +x "$1"
}

make_root "$WORK/root-desk" 2 4000
make_root "$WORK/root-pi4" 4 4000
make_root "$WORK/root-pi2" 4 8000
DESK=(desk -workers 1 -sysroot "$WORK/root-desk" -allow-exec -allow-shipped-exec)

# arm64 beside amd64: discovery, link, what it is, a split equal to --local, mem there, and
# placement of shipped programs by architecture.
scenario_arm64() {
  local vestad
  vestad=$(foreign pi4 qemu-aarch64-static "${VESTA_FOREIGN_ARM64:-}" "${VESTA_FOREIGN_ROOT_ARM64:-}") || exit $?
  start_nodes "${DESK[@]}"
  VESTAD=$vestad start_nodes pi4 -workers 1 -sysroot "$WORK/root-pi4" -allow-exec -allow-shipped-exec
  check "desk and the emulated pi4 find each other and link" wait_for 90 linked pi4
  check "desk's peers say pi4 is aarch64" test "$(peer_field pi4 machine)" = aarch64
  check "with Debian's name arm64 and a 64-bit word" \
    test "$(peer_field pi4 debian_arch)/$(peer_field pi4 word_bits)" = arm64/64
  expect_contains "vesta peers on desk shows pi4's architecture" "aarch64" "$("$VESTA" -node desk peers)"
  check "pi4's own status says aarch64 too" \
    test "$("$VESTA" -node pi4 --json status | json_get 'd["node"]["machine"]')" = aarch64

  # How many chunks pi4 finishes in a split is a race it may lose: its borrowed worker runs at
  # SCHED_IDLE on this machine's real CPUs, under emulation, and desk takes a copy of a chunk
  # that is long overdue. So the split only asserts who took part; pi4's arithmetic is checked
  # on a job of its own, whose every iteration it must compute.
  split=$("$VESTA" -node desk --json cpu 60 --seed $SEED)
  check "a 60M cpu job splits over desk and pi4" \
    test "$(echo "$split" | json_get '",".join(sorted(p["node"] for p in d["parts"]))')" = desk,pi4
  local single
  single=$("$VESTA" -node desk --json cpu 60 --seed $SEED --local)
  check "its result equals --local bit for bit" \
    test "$(echo "$split" | json_get 'd["result"]')" = "$(echo "$single" | json_get 'd["result"]')"
  local there here
  there=$("$VESTA" -node desk --json cpu 4 --seed $SEED --on pi4)
  here=$("$VESTA" -node desk --json cpu 4 --seed $SEED --local)
  check "a 4M cpu job is computed on pi4, all of it" \
    test "$(echo "$there" | json_get 'd["node"] + " " + str(d["iterations"])')" = "pi4 4000000"
  check "and pi4's AArch64 result equals desk's x86-64 result bit for bit" \
    test "$(echo "$there" | json_get 'd["result"]')" = "$(echo "$here" | json_get 'd["result"]')"

  mem=$("$VESTA" -node desk --json mem 64 200 --on pi4)
  check "a mem job runs on pi4" test "$(echo "$mem" | json_get 'd["state"] + " " + d["node"]')" = "done pi4"

  cd "$WORK" || exit 1
  elf_head "$WORK/prog.aarch64" 183 2
  elf_head "$WORK/prog.x86_64" 62 2
  out=$("$VESTA" -node desk exec --on desk --put ./prog.aarch64 -- ./prog.aarch64 2>&1)
  expect_contains "an AArch64 program is refused on desk, naming both" \
    "desk is x86_64; ./prog.aarch64 is an AArch64 program" "$out"
  # Placed on pi4 (the only node that runs it); its run there is the host kernel's business.
  out=$("$VESTA" -node desk exec --put ./prog.aarch64 -- ./prog.aarch64 2>&1)
  expect_contains "without --on it is placed on pi4" "pi4" "$out"
  expect_not_contains "and never on desk" "desk is x86_64" "$out"
  out=$("$VESTA" -node desk exec --arch aarch64 --put ./prog.x86_64 -- ./prog.x86_64 2>&1)
  expect_contains "an x86-64 program kept to --arch aarch64 is refused by pi4, naming both" \
    "pi4 is aarch64; ./prog.x86_64 is an x86-64 program" "$out"
  expect_contains "and by desk, for --arch" "desk is x86_64, not one of --arch aarch64" "$out"
}

# armhf beside amd64: a 32-bit node offers no more memory than one process can map there.
scenario_armhf() {
  local vestad
  vestad=$(foreign pi2 qemu-arm-static "${VESTA_FOREIGN_ARMHF:-}" "${VESTA_FOREIGN_ROOT_ARMHF:-}") || exit $?
  start_nodes "${DESK[@]}"
  VESTAD=$vestad start_nodes pi2 -workers 1 -sysroot "$WORK/root-pi2" -mem-offer-mb 6000
  check "desk and the emulated pi2 find each other and link" wait_for 90 linked pi2
  check "desk's peers say pi2 is a 32-bit armhf node" \
    test "$(peer_field pi2 debian_arch)/$(peer_field pi2 word_bits)" = armhf/32
  check "pi2 caps its 6000 MiB offer to what one 32-bit process can map (2560 MiB)" \
    test "$("$VESTA" -node pi2 --json status | json_get 'd["node"]["mem_offer_mb"]')" = 2560
  out=$("$VESTA" -node desk --json mem 3500 1000 --on pi2 2>&1)
  expect_contains "a 3500 MiB job for pi2 is refused for its offer, not lost" "mem_offer_mb 2560" "$out"
  expect_not_contains "and nothing calls pi2 lost" "lost" "$out"
}

run_scenarios "$@"
