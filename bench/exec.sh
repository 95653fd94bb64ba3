#!/bin/bash
# Exec figures side by side with what users would use instead: the round trip of a remote `true`
# (vesta exec --on PEER vs ssh, fresh and with ControlMaster, vs plain true) and the throughput of
# many short jobs (vesta exec --each vs GNU parallel locally and over ssh). Two vestad on loopback
# and an sshd on 127.0.0.1 with throwaway keys, all of this run's own. Figures, not pass/fail.
# Usage: bench/exec.sh [runs] [jobs]   (defaults 30 and 1000). Needs openssh-server and parallel.
cd "$(dirname "$0")/.."
source bench/lib.sh
runs=${1:-30}
jobs=${2:-1000}
for tool in /usr/sbin/sshd parallel; do
  command -v "$tool" >/dev/null || { echo "bench/exec.sh: $tool is missing: apt-get install openssh-server parallel" >&2; exit 1; }
done
vesta() { build/cli/vesta "$@"; }

# An sshd for this run only: loopback, its own port, host key and user key. As root, the login is
# a throwaway user with /bin/sh and an empty home, so a heavy ~/.bashrc (which bash reads for
# every ssh command) does not weigh on ssh's figures; without root, the current user.
ssh_user=$(id -un)
if [ "$(id -u)" -eq 0 ]; then
  ssh_user="vbench$$"
  # "*": no password, yet not locked (sshd refuses locked accounts even for keys).
  useradd --system --no-create-home --home-dir "$work" --shell /bin/sh -p "*" "$ssh_user"
  CLEANUP_HOOKS+=("pkill -u $ssh_user; userdel $ssh_user")
fi
ssh_port=$((30000 + RANDOM % 10000))
ssh-keygen -q -t ed25519 -N '' -f "$work/host_key"
ssh-keygen -q -t ed25519 -N '' -f "$work/user_key"
cp "$work/user_key.pub" "$work/authorized_keys"
chmod 755 "$work"
chmod 644 "$work/authorized_keys"
cat >"$work/sshd_config" <<CONF
Port $ssh_port
ListenAddress 127.0.0.1
HostKey $work/host_key
AuthorizedKeysFile $work/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PidFile $work/sshd.pid
CONF
mkdir -p /run/sshd
/usr/sbin/sshd -f "$work/sshd_config" -D -E "$work/sshd.log" &
PIDS_TO_KILL+=($!)
ssh_opts=(-l "$ssh_user" -p "$ssh_port" -i "$work/user_key" -o BatchMode=yes -o StrictHostKeyChecking=no
  -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR)
cm_opts=("${ssh_opts[@]}" -o ControlMaster=auto -o "ControlPath=$work/cm-%C" -o ControlPersist=120)
for _ in $(seq 50); do ssh "${ssh_opts[@]}" 127.0.0.1 true 2>/dev/null && break; sleep 0.1; done

bench_bus
bench_desk_pi4 build

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
echo
echo "round trip of a remote true, median of $runs (min, max), ms:"
t() { printf '  %-44s %s\n' "$1" "$(bench/timeit.py "$runs" "${@:2}")"; }
t "true (plain, local)" true
t "vesta exec --on pi4 -- true" build/cli/vesta -node desk exec --on pi4 -- true
t "vesta exec --local -- true" build/cli/vesta -node desk exec --local -- true
t "ssh 127.0.0.1 true (fresh connection)" ssh "${ssh_opts[@]}" 127.0.0.1 true
ssh "${cm_opts[@]}" 127.0.0.1 true  # open the master
t "ssh 127.0.0.1 true (ControlMaster)" ssh "${cm_opts[@]}" 127.0.0.1 true

echo
echo "throughput of $jobs true jobs, seconds (jobs/s):"
tp() {
  local start end
  start=$(date +%s.%N)
  "${@:2}" >/dev/null 2>&1
  end=$(date +%s.%N)
  python3 -c "d=$end-$start; print(f'  {\"$1\":<44} {d:.2f} s ({$jobs/d:.0f} jobs/s)')"
}
tp "vesta exec --each (desk + pi4)" build/cli/vesta -node desk exec --each $(seq "$jobs") -- true
tp "parallel -j$(nproc) true (local)" sh -c "seq $jobs | parallel -j$(nproc) true"
tp "parallel -S 127.0.0.1 over ssh (ControlMaster)" sh -c "seq $jobs | parallel -j$(nproc) --ssh 'ssh ${cm_opts[*]}' -S $ssh_user@127.0.0.1 true"

# The same figures against their anchors, interleaved run by run (the machine may be shared:
# both sides of a ratio see the same load).
echo
echo "interleaved with the anchor, median of $runs (min, max), ms | anchor | ratio:"
printf '  %-44s %s\n' "vesta exec --on pi4 -- true / ssh ControlMaster" \
  "$(bench/pairs.py "$runs" build/cli/vesta -node desk exec --on pi4 -- true --vs-- ssh "${cm_opts[@]}" 127.0.0.1 true)"
printf '  %-44s %s\n' "vesta --version / true" "$(bench/pairs.py "$runs" build/cli/vesta --version --vs-- true)"
seq "$jobs" >"$work/args-$jobs"
fan=$(bench/pairs.py 3 build/cli/vesta -node desk exec --each-from "$work/args-$jobs" -- true --vs-- \
  sh -c "seq $jobs | xargs -P$(nproc) -n1 true")
printf '  %-44s %s\n' "$jobs true: vesta exec --each / xargs -P$(nproc)" "$fan"
python3 -c "import sys; a, b = (float(x.split()[0]) for x in sys.argv[1].split('|')[:2]); print(f'  {\"jobs/s: vesta exec --each / xargs -P$(nproc)\":<44} {$jobs/a*1000:.0f} / {$jobs/b*1000:.0f} jobs/s, ratio {b/a:.2f}')" "$fan"

# A long fan-out: the CLI's peak memory and descriptors do not grow with the number of jobs,
# and vestad holds as many descriptors after as before.
echo
echo "fan-out scale, desk + pi4 (--each-from FILE of N lines, command true):"
vestad_fds() { ls "/proc/$1/fd" | wc -l; }
desk_pid=${bench_pid[desk]}
for n in 1000 10000; do
  seq "$n" >"$work/args-$n"
  before=$(vestad_fds "$desk_pid")
  printf '  %-44s %s\n' "vesta exec --each-from ($n jobs)" \
    "$(bench/peak.py build/cli/vesta -node desk exec --each-from "$work/args-$n" -- true)"
  sleep 1  # ended runs are freed on vestad's next tick
  printf '  %-44s %s\n' "  vestad desk descriptors before / after" "$before / $(vestad_fds "$desk_pid")"
done
