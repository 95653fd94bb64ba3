#!/bin/bash
# Installs the Debian packages Vesta builds and tests with (Debian 12 "bookworm" or later).
# Installs only what is missing; uses sudo when not root.
#   tools/deps.sh                  build and test
#   tools/deps.sh --bench          also ssh, which bench/ compares with
#   tools/deps.sh --package        also what dpkg-buildpackage and lintian need, and what the
#                                  system test boots the package with (debootstrap, nspawn)
#   tools/deps.sh --cross ARCH     also Debian's cross compiler for ARCH (arm64, armhf), its
#                                  multiarch -dev packages and runtime, and qemu-user-static
set -euo pipefail

PACKAGES=(
  g++ meson ninja-build pkg-config
  libuv1-dev libssl-dev rapidjson-dev libsystemd-dev libncurses-dev libexpected-dev
  catch2 scdoc
  dbus systemd python3 iproute2 tmux man-db
  parallel  # the oracle tests/integration/placeholders_test.sh compares `--each` with
)
cross=""
CROSS_LIBS=()
case "${1:-}" in
  # The bench runs its own sshd on 127.0.0.1 with throwaway keys; Debian's package may also
  # start the system sshd (`systemctl disable --now ssh` if this machine should not accept
  # ssh logins).
  --bench) PACKAGES+=(openssh-server openssh-client) ;;
  --package) PACKAGES+=(debhelper dpkg-dev lintian debootstrap systemd-container) ;;
  --cross)
    cross="${2:?--cross needs an architecture: arm64 or armhf}"
    case "$cross" in
      arm64 | armhf) ;;
      *) echo "deps: --cross $cross: expected arm64 or armhf" >&2; exit 2 ;;
    esac
    # The libraries' multiarch -dev packages for ARCH, and the runtime the emulated unit
    # tests load (libc6 comes with them; libstdc++6 does not).
    PACKAGES+=(debhelper dpkg-dev lintian "crossbuild-essential-$cross" qemu-user-static)
    for p in libuv1-dev libssl-dev libsystemd-dev libncurses-dev libstdc++6; do
      CROSS_LIBS+=("$p:$cross")
    done
    ;;
esac

sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
# A mirror caught mid-sync can fail one index (say armhf's) while the rest are fine: say so and
# go on with the lists apt has; installing then fails, clearly, only if a package is missing.
update() {
  $sudo apt-get update -qq || echo "deps: apt-get update reported errors (above); going on" >&2
}
if [ -n "$cross" ] && ! dpkg --print-foreign-architectures | grep -qx "$cross"; then
  echo "Adding the $cross architecture to dpkg (for its multiarch -dev packages)"
  $sudo dpkg --add-architecture "$cross"
  update
fi

# install PACKAGE...: installs the ones that are missing.
install() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "Installing: ${missing[*]}"
  update
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}
install "${PACKAGES[@]}"
# Exit status 3: the toolchain is there, but not ARCH's libraries (./build.sh then falls back
# to a sysroot: tools/sysroot.sh).
if [ -n "$cross" ] && ! install "${CROSS_LIBS[@]}"; then
  echo "deps: apt cannot install the $cross libraries as multiarch packages (above)" >&2
  exit 3
fi
