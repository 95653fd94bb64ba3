#!/bin/bash
# Installs the build dependencies, builds, and runs every test (unit, integration on a private
# D-Bus, systemd unit checks).
#   tools/test.sh [--sanitize] [--clang] [SUITE...]
# --sanitize: the same in an ASan+UBSan build; --clang: built by clang (both compilers must
# build it warning-free); both together: one clang build with the sanitizers. SUITE names limit
# the run to those meson suites (unit, daemon, integration, discovery, placement, ledger, exec,
# hostile, netns, vestatop, docs, systemd-units); each integration script's scenarios are tests
# of its suite (meson test -C build --list).
#   tools/test.sh --packages
# builds the amd64, arm64 and armhf packages (./build.sh, unit tests of each, foreign ones under
# qemu-user; lintian), installs, checks and purges the native one, then boots it under a real
# systemd in containers (tests/system/system_test.sh). Root only.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = --packages ]; then
  # --keep-going: an architecture the mirror cannot serve is reported, not fatal, here; a
  # build or unit test that fails still stops the script.
  ./build.sh --keep-going
  tests/package/package_test.sh
  rc=0
  tests/system/system_test.sh || rc=$?
  # 77: skipped (no root, no nspawn, or a machine where containers cannot boot); it said why.
  [ $rc = 0 ] || [ $rc = 77 ] || exit $rc
  exit 0
fi
tools/deps.sh

sanitize=0 clang=0 tests=()
for a in "$@"; do
  case "$a" in
    --sanitize) sanitize=1 ;;
    --clang) clang=1 ;;
    -*)
      echo "test.sh: unknown option $a; expected --sanitize, --clang, --packages or test names" >&2
      exit 2
      ;;
    *) tests+=(--suite "$a") ;;
  esac
done
dir=build
opts=()
if [ $sanitize = 1 ]; then
  dir=build-sanitize
  opts=(-Db_sanitize=address,undefined -Db_lundef=false)
fi
if [ $clang = 1 ]; then
  dir=${dir/build/build-clang}
  command -v clang++ >/dev/null || {
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get install -y -qq --no-install-recommends clang
  }
  export CC=clang CXX=clang++
fi
[ -d "$dir" ] || meson setup "$dir" --wrap-mode=nodownload "${opts[@]}"
ninja -C "$dir"
meson test -C "$dir" --print-errorlogs "${tests[@]}"
