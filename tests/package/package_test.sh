#!/bin/bash
# Installs the Debian package built by ./build.sh on this (disposable, root) machine, checks what
# a user gets, runs the installed programs, then purges it and checks that it left nothing.
#   tests/package/package_test.sh [dist/vesta_VERSION_ARCH.deb]
# Beacons of the vestad it starts stay on loopback (-broadcast 127.255.255.255).
set -u
cd "$(dirname "$0")/../.."

source tests/integration/tap.sh

if [ "$(id -u)" -ne 0 ]; then
  echo "package_test: needs root (it installs and removes the package); skipped"
  exit 77
fi
arch=$(dpkg --print-architecture)
deb=${1:-dist/vesta_$(dpkg-parsechangelog -S Version)_$arch.deb}
if [ ! -f "$deb" ]; then
  echo "package_test: $deb not found; run ./build.sh $arch first" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
WORK=$(mktemp -d /tmp/vesta-pkg-XXXXXX)
cleanup() {
  [ -f "$WORK/vestad.pid" ] && kill "$(cat "$WORK/vestad.pid")" 2>/dev/null
  [ -f "$WORK/dbus.pid" ] && kill "$(cat "$WORK/dbus.pid")" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

if dpkg-query -W -f='${Status}' vesta 2>/dev/null | grep -q "ok installed"; then
  echo "# vesta is installed already; purging it first"
  apt-get purge -y -qq vesta >/dev/null
fi

# --- install ---------------------------------------------------------------------------------
check "apt-get installs $deb with its dependencies" \
  apt-get install -y -qq --no-install-recommends "./$deb"
check "dpkg reports vesta installed" \
  bash -c "dpkg-query -W -f='\${Status}' vesta | grep -q 'install ok installed'"
files=$(dpkg -L vesta)
for f in /usr/bin/vestad /usr/bin/vesta /usr/bin/vestatop /usr/bin/piwork \
  /lib/systemd/system/vestad.service /usr/lib/systemd/user/vestad.service \
  /usr/share/dbus-1/system.d/org.vesta.Vestad1.conf /usr/lib/sysusers.d/vesta.conf \
  /usr/share/man/man8/vestad.8.gz /usr/share/man/man1/vesta.1.gz \
  /usr/share/man/man1/vestatop.1.gz /usr/share/man/man1/piwork.1.gz \
  /usr/share/man/man5/vestad.json.5.gz /usr/share/bash-completion/completions/vesta \
  /usr/share/doc/vesta/examples/vestad.json /usr/share/doc/vesta/copyright; do
  if grep -qx "$f" <<<"$files" && [ -e "$f" ]; then ok "installs $f"; else not_ok "installs $f"; fi
done
version=$(/usr/bin/vestad --version)
check "vestad --version runs from /usr/bin ($version)" \
  test "$version" = "vestad $(dpkg-query -W -f='${Version}' vesta)"
check "vesta --version runs from /usr/bin" bash -c "/usr/bin/vesta --version | grep -q '^vesta '"
check "vestatop --version runs from /usr/bin" bash -c "/usr/bin/vestatop --version | grep -q '^vestatop '"
check "piwork runs from /usr/bin" bash -c "/usr/bin/piwork 1 -threads 1 | grep -q '^pi ~ 3.1'"
check "piwork is static (no dynamic section)" bash -c "! readelf -d /usr/bin/piwork | grep -q NEEDED"

# The vesta user, from sysusers.d, as a system account that cannot log in.
entry=$(getent passwd vesta)
check "installing created the vesta user ($entry)" test -n "$entry"
IFS=: read -r _ _ uid _ _ home shell <<<"$entry"
check "vesta is a system user (uid $uid < 1000)" test "${uid:-1000}" -lt 1000
check "its home is the state directory" test "$home" = /var/lib/vesta
check "it has no login shell ($shell)" bash -c "case '$shell' in */nologin|*/false) exit 0;; *) exit 1;; esac"
check "the vesta group exists (it may submit work on the system bus)" bash -c "getent group vesta >/dev/null"

# Installed, not enabled, not started: the admin decides (systemctl enable --now vestad).
check "vestad.service is not enabled" test ! -e /etc/systemd/system/multi-user.target.wants/vestad.service
check "deb-systemd-helper recorded no enablement" \
  test ! -e /var/lib/systemd/deb-systemd-helper-enabled/multi-user.target.wants/vestad.service
check "the user unit is not enabled for every user" test ! -e /etc/systemd/user/default.target.wants/vestad.service
check "no vestad runs after installing" bash -c "! pgrep -x vestad"
if [ -d /run/systemd/system ]; then
  check "systemctl says vestad is disabled" bash -c "[ \"\$(systemctl is-enabled vestad)\" = disabled ]"
  check "and inactive" bash -c "! systemctl is-active --quiet vestad"
fi
check "systemd-analyze verifies the installed unit" \
  bash -c "systemd-analyze verify /lib/systemd/system/vestad.service 2>&1 | { ! grep -v 'Failed to create\|Cannot add dependency\|network-online'; }"

# man finds every page, and renders it without a warning.
for page in vestad.8 vesta.1 vestatop.1 piwork.1 vestad.json.5; do
  name=${page%.*}
  section=${page##*.}
  check "man $section $name finds the installed page" test "$(man -w "$section" "$name")" = "/usr/share/man/man$section/$page.gz"
  err=$(MANWIDTH=80 man --warnings "$section" "$name" 2>&1 >/dev/null)
  check "man $section $name renders without warnings" test -z "$err"
done
check "bash completion for vesta loads from its installed place" \
  bash -c "source /usr/share/bash-completion/completions/vesta && complete -p vesta | grep -q _vesta"

# The installed programs work together: vestad (from /usr/bin, on a private bus, loopback
# beacons) answers the installed vesta.
dbus-daemon --session --fork --address="unix:path=$WORK/bus" --print-address=3 --print-pid=4 \
  3>"$WORK/bus.address" 4>"$WORK/dbus.pid"
bus=$(cat "$WORK/bus.address")
dport=$((20000 + RANDOM % 10000))
/usr/bin/vestad -name pkgtest -key package-test-federation-key -bus "$bus" -state-dir "$WORK/state" \
  -broadcast 127.255.255.255 -dport "$dport" -port $((dport + 1)) >"$WORK/vestad.log" 2>&1 &
echo $! >"$WORK/vestad.pid"
up=0
for _ in $(seq 100); do
  /usr/bin/vesta -bus "$bus" -node pkgtest status >/dev/null 2>&1 && { up=1; break; }
  sleep 0.2
done
check "the installed vestad starts and the installed vesta reaches it" test $up = 1
[ $up = 1 ] || cat "$WORK/vestad.log"
check "and runs a cpu job for it" bash -c "/usr/bin/vesta -bus '$bus' -node pkgtest cpu 1 | grep -q 'ran on pkgtest'"
kill "$(cat "$WORK/vestad.pid")" && rm -f "$WORK/vestad.pid"

# --- remove ----------------------------------------------------------------------------------
# What the service would have left in its state directory: purge must delete it, remove not.
install -d -o vesta -g vesta -m 0700 /var/lib/vesta
echo '{}' >/var/lib/vesta/vestad-ledger-pkgtest.json
check "apt-get remove removes vesta" apt-get remove -y -qq vesta
check "remove keeps the node's state" test -f /var/lib/vesta/vestad-ledger-pkgtest.json
check "and the binaries are gone" test ! -e /usr/bin/vestad
check "apt-get purge removes what is left of vesta" apt-get purge -y -qq vesta
check "purge deletes the state directory" test ! -e /var/lib/vesta
check "dpkg no longer knows vesta" bash -c "! dpkg-query -W -f='\${Status}' vesta 2>/dev/null | grep -q installed"
left=()
while read -r f; do
  [ -z "$f" ] && continue
  # Directories shared with other packages stay; every file of ours must be gone.
  [ -e "$f" ] && [ ! -d "$f" ] && left+=("$f")
done <<<"$files"
check "every file it installed is gone" test ${#left[@]} -eq 0
[ ${#left[@]} -gt 0 ] && printf '    left: %s\n' "${left[@]}"
check "no systemd state of it is left" bash -c "! ls /var/lib/systemd/deb-systemd-helper-enabled/*vestad* 2>/dev/null | grep -q ."
# Debian keeps system users on purge (files they own may remain anywhere); so does this.
echo "# the vesta user stays after purge, as Debian does for system users: $(getent passwd vesta || echo gone)"

finish
