#!/bin/bash
# `vesta exec --each` placeholders against GNU parallel itself, on a table of awkward
# arguments: spaces, dots, hidden files, slashes (leading, doubled, trailing), dashes, braces.
# Both sides expand the same command for every argument; the outputs must be equal.
source "$(dirname "$0")/tap.sh"
set -u
if ! command -v parallel >/dev/null; then
  echo "1..0 # SKIP GNU parallel is not installed (tools/deps.sh installs it)"
  exit 77
fi
work=$(mktemp -d /tmp/vesta-placeholders-XXXXXX)
trap 'rm -rf "$work"' EXIT
args=("a.txt" "dir/a.txt" "/abs/dir/file.tar.gz" ".hidden" "dir/.hidden" "dir.d/file" "dir/"
  "dir//" "/" "a b.c" "noext" "x." "./rel/y.z" "..." "a/b/" "" "-n" "--x" "{}" "a.b/c.d/" "/a"
  "//x" "..a" "a..b" "take 1.wav" "ünï.cödé")
printf '%s\0' "${args[@]}" > "$work/args"
expand=${EXPAND_PLACEHOLDERS:?run through meson test}

compare() {  # description, then the command words (printf's format first)
  local what=$1
  shift
  # parallel runs printf through a shell, one call per argument: "[%s]\n" reaches printf.
  (cd "$work" && parallel --will-cite -0 -k -j1 -a args printf '[%s]\\n' "$@") > "$work/parallel.out"
  # Ours prints each word of the expanded command the same way (printf's format has no
  # placeholder, so leaving it out changes nothing).
  "$expand" "$@" < "$work/args" > "$work/vesta.out"
  if diff -u "$work/parallel.out" "$work/vesta.out" > "$work/diff"; then
    ok "$what"
  else
    not_ok "$what"
    sed 's/^/# /' "$work/diff"
  fi
}
compare "each placeholder alone, every argument" {} {.} {/} {//} {/.} {#}
compare "placeholders inside words" "pre-{}-post" "{.}.flac" "{//}/out/{/.}.mp3" "{#}-{/}"
compare "no placeholder: the argument is appended" -v
finish
