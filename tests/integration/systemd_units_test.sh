#!/bin/bash
# The shipped units pass systemd-analyze verify, and the system unit's hardening keeps its
# exposure at 2.5 or less. Both work without systemd as PID 1.
source "$(dirname "$0")/lib.sh"

units="$VESTA_BUILD_ROOT/systemd"
# verify needs the ExecStart binary to exist: point copies of the units at the built one. The
# man pages of Documentation= are not installed from the build tree (--man=no); the package
# test verifies the installed unit with them.
for unit in vestad.service vestad-user.service; do
  sed "s#^ExecStart=[^ ]*vestad#ExecStart=$VESTAD#" "$units/$unit" >"$WORK/$unit"
  out=$(systemd-analyze verify --man=no "$WORK/$unit" 2>&1); rc=$?
  if [ $rc -eq 0 ] && [ -z "$out" ]; then ok "systemd-analyze verify $unit"; else not_ok "systemd-analyze verify $unit" "$out"; fi
done
exposure=$(systemd-analyze security --offline=true "$WORK/vestad.service" 2>&1 |
  sed -n 's/.*Overall exposure level for vestad.service: \([0-9.]*\).*/\1/p')
check "the system unit's exposure ($exposure) is at most 2.5" \
  python3 -c "import sys; sys.exit(0 if 0 < float('${exposure:-99}') <= 2.5 else 1)"
unit=$(cat "$units/vestad.service")
expect_contains "the system unit is Type=notify" "Type=notify" "$unit"
expect_contains "the system unit names its bus name" "BusName=org.vesta.Vestad1" "$unit"
expect_contains "the system unit keeps /proc/stat readable (no ProcSubset=pid)" "ProtectProc=invisible" "$unit"
# What tests/system/system_test.sh proves under a booted systemd, checked here on every build.
expect_contains "the system unit does not restart after a configuration error" "RestartPreventExitStatus=2" "$unit"
expect_contains "its syscall filter lets vestad nice jobs, run borrowed work at idle priority and confine it with Landlock" \
  "SystemCallFilter=setpriority sched_setscheduler ioprio_set landlock_create_ruleset landlock_add_rule landlock_restrict_self" "$unit"
check "the system unit does not set ProcSubset=pid" bash -c "! grep -q '^ProcSubset=pid' '$units/vestad.service'"
check "the D-Bus policy is well-formed XML" python3 -c "import xml.dom.minidom,sys; xml.dom.minidom.parse(sys.argv[1])" "$VESTA_SOURCE_ROOT/systemd/org.vesta.Vestad1.conf"
finish
