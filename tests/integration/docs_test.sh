#!/bin/bash
# The man pages and the bash completion, as a user meets them: every page renders with man
# without a warning and has the sections users look for; the pages name every flag, command and
# config field the programs themselves list; completion offers commands, flags, and node names
# asked of a running vestad (two nodes on a private bus, beacons on loopback). Two scenarios:
# docs_test.sh NAME runs one, no NAME runs both.
source "$(dirname "$0")/lib.sh"

MAN_DIR=${VESTA_BUILD_ROOT:?run through meson test}/docs/man
COMPLETION=${VESTA_SOURCE_ROOT:?run through meson test}/cli/vesta.bash-completion

# Plain text (man-db keeps bold and underline as overstrikes when MAN_KEEP_FORMATTING is set).
render() {
  MANWIDTH=100 man --warnings -E UTF-8 -l "$MAN_DIR/$1" 2>"$WORK/man.err" | sed 's/.\x08//g'
}

# The man pages: they render, have their sections, and name what the programs list.
scenario_man() {
  for page in vestad.8 vesta.1 vestatop.1 piwork.1 vestad.json.5; do
    if [ ! -s "$MAN_DIR/$page" ]; then
      not_ok "$page is built" "missing: $MAN_DIR/$page (is scdoc installed?)"
      continue
    fi
    text=$(render "$page")
    check "man -l $page renders without warnings" test ! -s "$WORK/man.err"
    [ -s "$WORK/man.err" ] && cat "$WORK/man.err"
    for section in NAME SYNOPSIS DESCRIPTION FILES D-BUS "SEE ALSO"; do
      expect_contains "$page has a $section section" $'\n'"$section"$'\n' $'\n'"$text"
    done
    echo "$text" >"$WORK/$page.txt"
  done

  # Every flag vestad -help lists is in vestad(8); every config field in vestad.json(5).
  help=$("$VESTAD" -help)
  missing=()
  for flag in $(echo "$help" | sed -n 's/^  \(-[a-z-]*\).*/\1/p'); do
    grep -qe "$flag" "$WORK/vestad.8.txt" || missing+=("$flag")
  done
  check "vestad(8) describes every flag of vestad -help" test ${#missing[@]} -eq 0
  [ ${#missing[@]} -gt 0 ] && echo "    missing: ${missing[*]}"
  fields=$(echo "$help" | sed -n 's/.*\[\([a-z_]*\)\]$/\1/p')
  check "vestad -help names at least 20 config fields" test "$(echo "$fields" | wc -w)" -ge 20
  missing=()
  for field in $fields; do
    grep -qE "^ *$field \(" "$WORK/vestad.json.5.txt" || missing+=("$field")
  done
  check "vestad.json(5) documents every config field, with its type and default" test ${#missing[@]} -eq 0
  [ ${#missing[@]} -gt 0 ] && echo "    missing: ${missing[*]}"
  # And every field the annotated example holds.
  missing=()
  for field in $(sed -n 's/^ *\(\/\/ \)\{0,1\}"\([a-z_]*\)":.*/\2/p' "$VESTA_SOURCE_ROOT/config.example.json"); do
    grep -qE "^ *$field \(" "$WORK/vestad.json.5.txt" || missing+=("$field")
  done
  check "vestad.json(5) documents every field of config.example.json" test ${#missing[@]} -eq 0
  [ ${#missing[@]} -gt 0 ] && echo "    missing: ${missing[*]}"
  # Every command vesta -help lists is in vesta(1).
  missing=()
  for cmd in $("$VESTA" -help | sed -n '/^Commands:/,/^$/s/^  \([a-z-]*\) .*/\1/p' | sort -u); do
    grep -qE "^ *$cmd( |$)" "$WORK/vesta.1.txt" || missing+=("$cmd")
  done
  check "vesta(1) describes every command of vesta -help" test ${#missing[@]} -eq 0
  [ ${#missing[@]} -gt 0 ] && echo "    missing: ${missing[*]}"
}

# The bash completion, with node names asked of a running vestad.
scenario_completion() {
  start_nodes desk -- pi4
  linked() { [ "$("$VESTA" -node desk --json peers | json_get 'sum(1 for p in d["peers"] if p["link"] == "up")')" = 1 ]; }
  check "desk and pi4 are linked" wait_for 30 linked

  # complete WORDS...: what the completion offers for the command line WORDS (the last is the
  # word being completed), one per line, sorted, with the built vesta first on PATH.
  mkdir -p "$WORK/bin"
  ln -sf "$VESTA" "$WORK/bin/vesta"
  complete_words() {
    PATH="$WORK/bin:$PATH" bash -c '
      source "$1"; shift
      COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
      _vesta
      printf "%s\n" "${COMPREPLY[@]}" | sort' _ "$COMPLETION" "$@"
  }
  words() { complete_words "$@" | tr '\n' ' ' | sed 's/ $//'; }

  check "the completion registers itself for vesta" \
    bash -c "source '$COMPLETION' && complete -p vesta | grep -q _vesta"
  expect_contains "vesta <TAB> offers every command" \
    "cancel cpu exec jobs ledger mem peers status stop-stress stress submit" "$(words vesta '')"
  check "vesta st<TAB> offers status, stop-stress and stress" \
    test "$(words vesta st)" = "status stop-stress stress"
  check "vesta -<TAB> offers the global flags" test "$(words vesta -)" = "--json -bus -help -node -version"
  check "vesta cpu --<TAB> offers the cpu flags" \
    test "$(words vesta cpu --)" = "--json --local --no-split --on --seed"
  check "vesta exec --<TAB> offers the exec flags" \
    test "$(words vesta exec --)" = "-- --arch --block --cpu-time --each --each-from --force --get --gpu --joblog --json --keep-order --local --mem --no-stdin --on --pipe --put --resume --resume-failed --retries --timeout"
  check "vesta -bus <TAB> offers system and user" test "$(words vesta -bus '')" = "system user"
  check "vesta cpu --on <TAB> offers this node and its peer, asked of vestad" \
    test "$(words vesta -node desk cpu --on '')" = "desk pi4"
  check "vesta -node pi4 mem --on d<TAB> completes desk" test "$(words vesta -node pi4 mem --on d)" = "desk"
  check "vesta -bus ADDRESS -node <TAB> offers the vestad instances on that bus" \
    test "$(words vesta -bus "$VESTA_BUS" -node '')" = "desk pi4"
  check "vesta exec -- pi<TAB> completes programs on PATH" \
    bash -c "PATH='$(dirname "$PIWORK"):$PATH'; source '$COMPLETION'; COMP_WORDS=(vesta exec -- piw); COMP_CWORD=3; _vesta; printf '%s\n' \"\${COMPREPLY[@]}\" | grep -qx piwork"
  "$VESTA" -node desk --json --local cpu 5000 >/dev/null 2>&1 &
  submitter=$!
  running_job() { [ -n "$(words vesta -node desk cancel '')" ]; }
  check "vesta cancel <TAB> offers the running job's id" wait_for 20 running_job
  job_ids=$(words vesta -node desk cancel '')
  "$VESTA" -node desk cancel "$job_ids" >/dev/null 2>&1
  wait $submitter 2>/dev/null
  check "and the id it offered is one vesta cancel accepts" \
    test "$("$VESTA" -node desk --json jobs | json_get "[j['state'] for j in d['jobs'] if j['job'] == '$job_ids'][0]")" = cancelled

  # With no vestad to ask, names are simply not offered: no error text, no hang.
  out=$(VESTA_BUS="unix:path=$WORK/no-such-bus" complete_words vesta cpu --on '' 2>&1)
  check "with no vestad, --on offers nothing and prints nothing" test -z "$out"
}

run_scenarios "$@"
