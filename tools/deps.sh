#!/bin/bash
# Installs the Debian packages Vesta builds and tests with (Debian 12 "bookworm" or later).
# Installs only what is missing; uses sudo when not root.
set -euo pipefail

PACKAGES=(
  g++ meson ninja-build pkg-config
  libuv1-dev libssl-dev rapidjson-dev libsystemd-dev libncurses-dev libexpected-dev
  catch2
  dbus systemd python3 iproute2 tmux
)
# bench/ compares Vesta with ssh and GNU parallel: `tools/deps.sh --bench` adds them. The bench
# runs its own sshd on 127.0.0.1 with throwaway keys; Debian's package may also start the system
# sshd (`systemctl disable --now ssh` if this machine should not accept ssh logins).
if [ "${1:-}" = --bench ]; then PACKAGES+=(openssh-server openssh-client parallel); fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
echo "Installing: ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
