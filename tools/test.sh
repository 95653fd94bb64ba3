#!/bin/bash
# Installs the build dependencies, builds, and runs every test (unit, integration on a private
# D-Bus, systemd unit checks). With --sanitize: the same in an ASan+UBSan build.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/deps.sh

dir=build
opts=()
if [ "${1:-}" = "--sanitize" ]; then
  dir=build-sanitize
  opts=(-Db_sanitize=address,undefined -Db_lundef=false)
fi
[ -d "$dir" ] || meson setup "$dir" --wrap-mode=nodownload "${opts[@]}"
ninja -C "$dir"
meson test -C "$dir" --print-errorlogs
