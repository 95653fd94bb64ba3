#!/bin/bash
# Makes a sysroot of Debian's ARCH libraries for ./build.sh, for when apt cannot install them
# as multiarch packages: a mirror whose index for ARCH lags the native one (caught mid-sync, or
# missing a security update) offers ARCH versions that cannot sit beside the installed native
# ones (Multi-Arch: same needs equal versions). The same Debian packages, fetched by apt (so
# checked against the signed index) and unpacked into DIR instead of installed, have no such
# constraint.
#   tools/sysroot.sh ARCH DIR
# Writes DIR/root (the unpacked packages), DIR/cross.txt (a meson cross file to add after
# cross/ARCH.txt: pkg-config from DIR, qemu-user loading DIR's own loader and libc) and
# DIR/shlibs (the packages' shlibs entries, so dpkg-shlibdeps can name the built package's
# dependencies). debian/rules uses all three when VESTA_SYSROOT=DIR.
set -euo pipefail
arch=${1:?usage: tools/sysroot.sh ARCH DIR}
dir=${2:?usage: tools/sysroot.sh ARCH DIR}
case "$arch" in
  arm64) triplet=aarch64-linux-gnu qemu=qemu-aarch64-static ;;
  armhf) triplet=arm-linux-gnueabihf qemu=qemu-arm-static ;;
  *) echo "sysroot: $arch: expected arm64 or armhf" >&2; exit 2 ;;
esac
dir=$(realpath -m "$dir")

# The -dev packages and everything their libraries load. libc6-dev and the kernel headers are
# left out: the cross toolchain has its own, and the compiler must not mix two.
packages=(
  libuv1-dev libuv1 libssl-dev libssl3 libsystemd-dev libsystemd0
  libncurses-dev libncurses6 libncursesw6 libtinfo6
  libc6 libstdc++6 libgcc-s1 libcap2 liblzma5 libzstd1 liblz4-1 libgcrypt20 libgpg-error0
)
rm -rf "$dir"
mkdir -p "$dir/debs" "$dir/root" "$dir/control"
(cd "$dir/debs" && apt-get download -q "${packages[@]/%/:$arch}" 2>&1 | grep -v '^W: Download is performed unsandboxed' || true)
: >"$dir/shlibs"
for deb in "$dir"/debs/*.deb; do
  dpkg-deb -x "$deb" "$dir/root"
  rm -rf "$dir/control"/*
  dpkg-deb -e "$deb" "$dir/control"
  [ -f "$dir/control/shlibs" ] && cat "$dir/control/shlibs" >>"$dir/shlibs"
done
# Debian's development symlinks may be absolute (libtinfo.so -> /lib/.../libtinfo.so.6): point
# them into the sysroot, or the linker misses them and quietly takes the static library.
while read -r link; do
  target=$(readlink "$link")
  case "$target" in /*) ln -sfn "$(realpath -m --relative-to="$(dirname "$link")" "$dir/root$target")" "$link" ;; esac
done < <(find "$dir/root" -type l)
[ "$(ls "$dir"/debs/*.deb | wc -l)" -eq ${#packages[@]} ] || {
  echo "sysroot: apt fetched $(ls "$dir"/debs/*.deb | wc -l) of ${#packages[@]} packages for $arch" >&2
  exit 1
}

sys="$dir/root"
# Only what meson needs to find and run things; debian/rules adds the compiler and linker flags
# (-isystem, -L, -rpath-link) through dpkg-buildflags, so Debian's own flags stay in force.
cat >"$dir/cross.txt" <<EOF
# Made by tools/sysroot.sh: $arch libraries from $sys, to be given after cross/$arch.txt.
[binaries]
exe_wrapper = ['$qemu', '-L', '$sys']

[properties]
pkg_config_libdir = ['$sys/usr/lib/$triplet/pkgconfig', '/usr/share/pkgconfig']
EOF
echo "sysroot: $arch libraries from $(ls "$dir"/debs | sed -n 's/^libssl3_\(.*\)_.*/libssl3 \1/p') etc. in $sys"
