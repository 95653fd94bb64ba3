#!/bin/bash
# Builds the Debian packages of Vesta for amd64, arm64 and armhf on one amd64 machine, with
# Debian's cross compilers, multiarch -dev packages and the meson cross files in cross/. Each
# package build runs the unit tests: a foreign architecture's under qemu-user (debian/rules).
# The packages, build logs and lintian reports land in dist/.
#
#   ./build.sh                   all three: amd64 arm64 armhf
#   ./build.sh arm64             only the ones named
#   ./build.sh --keep-going ...  an architecture whose build dependencies apt cannot install
#                                (a mirror whose index for it lags) is reported and skipped
#                                instead of stopping the script
# Installs what it needs with apt (sudo when not root), adding the foreign architectures to dpkg.
set -euo pipefail
cd "$(dirname "$0")"

keep_going=0
archs=()
for a in "$@"; do
  case "$a" in
    --keep-going) keep_going=1 ;;
    amd64 | arm64 | armhf) archs+=("$a") ;;
    -h | --help)
      sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "build.sh: unknown argument \"$a\"; expected amd64, arm64, armhf or --keep-going" >&2
      exit 2
      ;;
  esac
done
[ ${#archs[@]} -eq 0 ] && archs=(amd64 arm64 armhf)

tools/deps.sh --package
native=$(dpkg --print-architecture)
version=$(dpkg-parsechangelog -S Version)
mkdir -p dist
summary=()
failed=0

for arch in "${archs[@]}"; do
  log="dist/build-$arch.log"
  host=()
  sysroot=()
  how="native"
  if [ "$arch" != "$native" ]; then
    how="cross, multiarch libraries"
    rc=0
    tools/deps.sh --cross "$arch" >"dist/deps-$arch.log" 2>&1 || rc=$?
    if [ $rc = 3 ]; then
      # The toolchain is in, but apt cannot install the libraries beside the native ones (the
      # mirror's index for this architecture lags): the same packages, in a sysroot instead.
      echo "== $arch: apt cannot install its multiarch libraries (dist/deps-$arch.log); using a sysroot"
      if tools/sysroot.sh "$arch" "dist/sysroot-$arch" >>"dist/deps-$arch.log" 2>&1; then
        rc=0
        # -d: the build dependencies for $arch are in the sysroot, not known to dpkg.
        sysroot=(env "VESTA_SYSROOT=$PWD/dist/sysroot-$arch")
        host=(-d)
        how="cross, libraries from a sysroot: the mirror's $arch index lags"
      fi
    fi
    if [ $rc != 0 ]; then
      tail -n 5 "dist/deps-$arch.log" >&2
      why="apt could not install its build dependencies (dist/deps-$arch.log)"
      if [ $keep_going = 1 ]; then
        echo "== $arch: SKIPPED: $why" >&2
        summary+=("$arch: skipped: $why")
        continue
      fi
      echo "build.sh: $arch: $why; ./build.sh --keep-going skips such an architecture" >&2
      exit 1
    fi
    host+=(--host-arch "$arch")
  fi
  echo "== $arch: dpkg-buildpackage (log: $log)"
  start=$SECONDS
  if ! "${sysroot[@]}" dpkg-buildpackage -us -uc -b -Jauto "${host[@]}" >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    echo "build.sh: $arch: the package build failed; the whole log is $log" >&2
    exit 1
  fi
  # dpkg-buildpackage writes next to the source tree; keep the results together in dist/.
  for f in ../vesta_"${version}_${arch}".{deb,buildinfo,changes} ../vesta-dbgsym_"${version}_${arch}".deb; do
    [ -e "$f" ] && mv -f "$f" dist/
  done
  deb="dist/vesta_${version}_${arch}.deb"
  # The unit tests are two meson tests (tests/meson.build: unit and unit-coordinator, run side by
  # side); both must have passed.
  tests=""
  for t in unit unit-coordinator; do
    took=$(grep -oE "vesta:unit / $t +OK +[0-9.]+s" "$log" | tail -n 1 | sed 's/.* OK *//' || true)
    [ -n "$took" ] || { tests=""; break; }
    tests="${tests:+$tests, }$t passed in $took"
  done
  lintian --tag-display-limit 0 --info "dist/vesta_${version}_${arch}.changes" >"dist/lintian-$arch.txt" 2>&1 || true
  errors=$(grep -c '^E: ' "dist/lintian-$arch.txt" || true)
  warnings=$(grep -c '^W: ' "dist/lintian-$arch.txt" || true)
  # A package built without its unit tests having passed is no package: the tests did not run
  # (a missing qemu-user, a meson that skipped them), so nothing says it works there.
  if [ -z "$tests" ] && [[ " ${DEB_BUILD_OPTIONS:-} " != *" nocheck "* ]]; then
    echo "build.sh: $arch: no passing unit test run in $log" >&2
    failed=1
  fi
  line="$arch: $deb ($(du -k "$deb" | cut -f1) KiB, $how) in $((SECONDS - start)) s; unit tests ${tests:-not run}; lintian $errors errors, $warnings warnings"
  echo "== $line"
  summary+=("$line")
  if [ "$errors" -gt 0 ]; then
    cat "dist/lintian-$arch.txt" >&2
    failed=1
  fi
done

echo
printf '%s\n' "${summary[@]}"
[ $failed = 0 ] || { echo "build.sh: lintian errors or unit tests that did not pass (above)" >&2; exit 1; }
