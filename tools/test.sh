#!/bin/bash
# Installs the build dependencies, builds, and runs every test (unit, integration on a private
# D-Bus, systemd unit checks). With --sanitize: the same in an ASan+UBSan build; with --clang:
# the same built by clang (both compilers must build it warning-free). With --packages: builds
# the amd64, arm64 and armhf packages (./build.sh, unit tests of each, foreign ones under
# qemu-user; lintian), then installs, checks and purges the native one (root only).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = --packages ]; then
  # --keep-going: an architecture the mirror cannot serve is reported, not fatal, here.
  ./build.sh --keep-going
  exec tests/package/package_test.sh
fi
tools/deps.sh

dir=build
opts=()
case "${1:-}" in
  --sanitize)
    dir=build-sanitize
    opts=(-Db_sanitize=address,undefined -Db_lundef=false)
    ;;
  --clang)
    dir=build-clang
    command -v clang++ >/dev/null || {
      sudo=""
      [ "$(id -u)" -ne 0 ] && sudo="sudo"
      $sudo apt-get install -y -qq --no-install-recommends clang
    }
    export CC=clang CXX=clang++
    ;;
esac
[ -d "$dir" ] || meson setup "$dir" --wrap-mode=nodownload "${opts[@]}"
ninja -C "$dir"
meson test -C "$dir" --print-errorlogs
