# The TAP-like harness of the test scripts: ok, not_ok, check, expect_contains, wait_for; each
# script ends with finish ("N passed, N failed", and its exit status).
PASSED=0
FAILED=0
ok() { PASSED=$((PASSED + 1)); echo "ok - $1"; }
not_ok() {
  FAILED=$((FAILED + 1))
  echo "not ok - $1"
  [ $# -gt 1 ] && printf '    %s\n' "${@:2}"
  return 0
}
# check "description" command...: passes when the command succeeds.
check() {
  local what=$1
  shift
  if "$@"; then ok "$what"; else not_ok "$what" "command failed: $*"; fi
}
# expect_contains "description" "needle" text
expect_contains() {
  if [[ "$3" == *"$2"* ]]; then ok "$1"; else not_ok "$1" "expected to find: $2" "in: $3"; fi
}
finish() {
  echo "$PASSED passed, $FAILED failed"
  [ "$FAILED" -eq 0 ]
}

# wait_for SECONDS command...: polls until the command succeeds.
wait_for() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -ge $deadline ] && return 1
    sleep 0.1
  done
}
