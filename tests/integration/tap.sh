# The TAP-like harness of the test scripts: ok, not_ok, check; finish with
#   echo "$PASSED passed, $FAILED failed"
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
