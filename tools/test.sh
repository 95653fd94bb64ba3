#!/bin/bash
# Installs the build dependencies, builds, and runs every test (unit, integration on a private
# D-Bus, systemd unit checks). With --sanitize: the same in an ASan+UBSan build; with --clang:
# the same built by clang (both compilers must build it warning-free).
set -euo pipefail
cd "$(dirname "$0")/.."
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
