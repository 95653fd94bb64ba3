#!/bin/bash
# Prints the path of a minimal Debian 12 root file system for the system test, building it first
# when the cache has none: debootstrap --variant=minbase from this machine's configured Debian
# mirror, with systemd, D-Bus and the libraries the vesta package needs (a booted container has
# no network, so everything it installs must be there already). The cache lives outside the
# work tree, so a second run takes seconds:
#   tests/system/rootfs.sh [CACHE_DIR]     (default /var/cache/vesta-system-test)
# Needs root and debootstrap. A run that stops half-way leaves no cache entry (it builds in a
# temporary directory and renames it).
set -euo pipefail

cache=${1:-/var/cache/vesta-system-test}
suite=bookworm
# The package's Depends (libc, libstdc++, libuv1, libssl3, libsystemd0, libncursesw6/libtinfo6,
# systemd for sysusers), the service's world (systemd as init, dbus, logind), and the tools the
# test runs inside (ip, ps, runuser from util-linux).
include=systemd,systemd-sysv,dbus,libpam-systemd,libuv1,libssl3,libncursesw6,libtinfo6,libstdc++6,procps,iproute2,util-linux
# The entry is named by what it holds: changing the list builds a new one.
tag=$(printf '%s %s' "$suite" "$include" | sha256sum | cut -c1-12)
root="$cache/$suite-minbase-$tag"
if [ -x "$root/usr/lib/systemd/systemd" ] || [ -x "$root/lib/systemd/systemd" ]; then
  echo "$root"
  exit 0
fi

# The mirror apt uses here: the first http(s) URI of a Debian main archive in the sources.
# Only the files that exist (Debian 12's cloud images have no sources.list, and a failing cat
# would end this script, silently, under pipefail), and the first match taken by reading all
# of them (head would close the pipe early: a SIGPIPE, which pipefail counts too).
mirror=$(
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    if [ -f "$f" ]; then cat "$f"; fi
  done |
    sed -n -e 's/^URIs: *\(http[^ ]*\/debian\/\{0,1\}\)$/\1/p' \
      -e 's/^deb  *\(\[[^]]*\] *\)\{0,1\}\(http[^ ]*\/debian\/\{0,1\}\) .*/\2/p' | sed -n 1p
)
mirror=${mirror:-http://deb.debian.org/debian}
mkdir -p "$cache"
tmp=$(mktemp -d "$cache/.build-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
echo "rootfs: debootstrap $suite from $mirror into $root (once; cached)" >&2
debootstrap --variant=minbase --include="$include" "$suite" "$tmp/root" "$mirror" >"$tmp/log" 2>&1 || {
  tail -n 20 "$tmp/log" >&2
  echo "rootfs: debootstrap failed (log above)" >&2
  exit 1
}
# No host name or machine id of the build machine's; each container gets its own.
rm -f "$tmp/root/etc/hostname" "$tmp/root/etc/machine-id"
: >"$tmp/root/etc/machine-id"
rm -rf "$tmp/root/var/cache/apt/archives/"*.deb
mv "$tmp/root" "$root"
echo "$root"
