#!/bin/bash
# The whole benchmark suite in one command (about 6 minutes): every script below, its full
# output, then one table of the figures next to the targets we hold ourselves to. Figures, not
# pass/fail. Needs a build in ./build, openssh-server and parallel (tools/deps.sh --bench), and
# root for the namespace part (skipped without it).
# Usage: bench/run-all.sh
cd "$(dirname "$0")/.."
set -uo pipefail
out=$(mktemp -d /tmp/vesta-bench-all-XXXXXX)
trap 'rm -rf "$out"' EXIT
start=$(date +%s)
run() {
  local name=$1
  shift
  echo "== $name: $*"
  "$@" 2>&1 | tee "$out/$name.txt"
  echo
}
run foundation bench/foundation.sh 60
run exec bench/exec.sh 30 1000
run placement bench/placement.sh 2 100
run footprint bench/footprint.sh 60 1024
run relink_flood bench/relink_flood.sh 3
run put_stall bench/put_stall.sh 2G
if [ "$(id -u)" -eq 0 ]; then run discovery bench/discovery.sh 3; fi
echo "suite took $(( $(date +%s) - start )) s on $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'))"
echo
python3 - "$out" <<'PY'
import re, sys, pathlib
d = pathlib.Path(sys.argv[1])
def text(name):
    p = d / f"{name}.txt"
    return p.read_text() if p.exists() else ""
def find(name, pattern, group=1, conv=float):
    m = re.search(pattern, text(name), re.M)
    return conv(m.group(group)) if m else None
rows = []
def row(what, value, target, met):
    rows.append((what, value, target, "-" if met is None else ("met" if met else "NOT met")))
true_ms = find("exec", r"^  true \(plain, local\)\s+([\d.]+)")
vesta_ms = find("exec", r"^  vesta exec --on pi4 -- true\s+([\d.]+)")
local_ms = find("exec", r"^  vesta exec --local -- true\s+([\d.]+)")
ssh_ms = find("exec", r"^  ssh 127.0.0.1 true \(fresh connection\)\s+([\d.]+)")
cm_ms = find("exec", r"^  ssh 127.0.0.1 true \(ControlMaster\)\s+([\d.]+)")
fmt = lambda v, unit: "?" if v is None else f"{v:.2f} {unit}"
row("remote true: vesta exec --on pi4", fmt(vesta_ms, "ms"), "< ssh ControlMaster",
    None if vesta_ms is None or cm_ms is None else vesta_ms < cm_ms)
row("  (vesta exec --local / ssh fresh / ssh ControlMaster / plain true)",
    f"{fmt(local_ms,'ms')} / {fmt(ssh_ms,'ms')} / {fmt(cm_ms,'ms')} / {fmt(true_ms,'ms')}", "", None)
fan = find("exec", r"vesta exec --each.*\(([\d.]+) jobs/s\)")
par = find("exec", r"parallel -j\d+ true \(local\).*\(([\d.]+) jobs/s\)")
parssh = find("exec", r"parallel -S.*\(([\d.]+) jobs/s\)")
row("fan-out: 1000 true through vesta exec --each", fmt(fan, "jobs/s"), ">= parallel locally",
    None if fan is None or par is None else fan >= par)
row("  (GNU parallel locally / parallel -S over ssh)", f"{fmt(par,'jobs/s')} / {fmt(parssh,'jobs/s')}", "", None)
rt = find("exec", r"^  vesta exec --on pi4 -- true / ssh ControlMaster.*ratio ([\d.]+)")
row("  interleaved: vesta exec --on pi4 / ssh ControlMaster", fmt(rt, "x"), "<= 0.8",
    None if rt is None else rt <= 0.8)
m = re.search(r"jobs/s: vesta exec --each / xargs -P\d+\s+(\d+) / (\d+) jobs/s, ratio ([\d.]+)", text("exec"))
if m:
    row("  interleaved: 1000 true, vesta exec --each / xargs -P", f"{m.group(1)} / {m.group(2)} jobs/s ({m.group(3)})",
        ">= 1000 jobs/s or >= 0.75", int(m.group(1)) >= 1000 or float(m.group(3)) >= 0.75)
hwm = re.findall(r"vesta exec --each-from \((\d+) jobs\)\s+VmHWM ([\d.]+) MiB, at most (\d+) descriptors", text("exec"))
if len(hwm) == 2:
    row("fan-out scale: CLI VmHWM, descriptors (1,000 / 10,000 jobs)",
        f"{hwm[0][1]} / {hwm[1][1]} MiB, {hwm[0][2]} / {hwm[1][2]}", "flat",
        float(hwm[1][1]) - float(hwm[0][1]) < 0.5 and int(hwm[1][2]) <= int(hwm[0][2]))
ratio = find("foundation", r"ratio vesta/openssl:\s+([\d.]+)")
row("hashing: vesta cpu per worker / openssl speed sha256 -bytes 16", fmt(ratio, "x"), ">= 0.80",
    None if ratio is None else ratio >= 0.8)
scale = find("placement", r"^  median: one node .* ratio ([\d.]+)")
row("scaling: two nodes / one node, one worker each", fmt(scale, ""), "<= 0.55",
    None if scale is None else scale <= 0.55)
rss = find("foundation", r"RSS ([\d.]+) MiB")
cpu = find("foundation", r"CPU ([\d.]+)% of a core")
row("vestad idle RSS (alone)", fmt(rss, "MiB"), "<= 8 MiB", None if rss is None else rss <= 8)
row("vestad idle CPU (alone)", fmt(cpu, "% of a core"), "< 0.1%", None if cpu is None else cpu < 0.1)
m = re.search(r"RSS ([\d.]+) MiB \(PSS ([\d.]+) MiB.*CPU ([\d.]+)%", text("footprint"))
if m:
    row("vestad with three peers: RSS (PSS), CPU", f"{m.group(1)} MiB ({m.group(2)} MiB), {m.group(3)}%", "", None)
top = find("footprint", r"vestatop watching them.*CPU ([\d.]+)%")
row("vestatop watching four nodes: CPU", fmt(top, "% of a core"), "", None)
link = find("footprint", r"= ([\d.]+) MiB/s")
row("link throughput (remote output through vesta exec)", fmt(link, "MiB/s"), "", None)
m = re.search(r"median over \d+ runs: full view (\d+) ms.*cut to dead (\d+) ms", text("discovery"))
if m:
    row("discovery: full view / cut to dead (namespaces)", f"{m.group(1)} ms / {m.group(2)} ms", "< 2 s / < 3 s",
        int(m.group(1)) < 2000 and int(m.group(2)) < 3000)
w = max(len(r[0]) for r in rows)
v = max(len(r[1]) for r in rows)
print(f"| {'figure':<{w}} | {'value':<{v}} | target | |")
print(f"| {'-'*w} | {'-'*v} | --- | --- |")
for r in rows:
    print(f"| {r[0]:<{w}} | {r[1]:<{v}} | {r[2]} | {r[3]} |")
PY
