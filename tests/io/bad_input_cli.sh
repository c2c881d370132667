#!/usr/bin/env bash
# Bad input at the command line: `attnref ref FILE -o OUT` on every corpus
# file must exit 2, print exactly one line on stderr naming the file, and not
# create OUT. Usage: bad_input_cli.sh ATTNREF CORPUS_DIR
set -u
attnref=$1
corpus=$2
work=$(mktemp -d "${TMPDIR:-/tmp}/attnref-cli-XXXXXX")
trap 'rm -rf "$work"' EXIT
failures=0 count=0

check() { # check FILE: run the CLI on FILE, assert the contract
  local file=$1 out="$work/out.safetensors" code lines
  count=$((count + 1))
  rm -f "$out"
  "$attnref" ref "$file" -o "$out" >"$work/stdout" 2>"$work/stderr"
  code=$?
  lines=$(wc -l <"$work/stderr")
  # a last line without a newline still counts as a line
  [ -s "$work/stderr" ] && [ -n "$(tail -c 1 "$work/stderr")" ] && lines=$((lines + 1))
  local why=""
  [ "$code" -eq 2 ] || why="exit code $code, expected 2"
  [ -z "$why" ] && [ "$lines" -ne 1 ] && why="$lines lines on stderr, expected 1"
  [ -z "$why" ] && ! grep -qF -- "$(basename "$file")" "$work/stderr" &&
    why="stderr does not name the file"
  [ -z "$why" ] && [ -e "$out" ] && why="output was created"
  [ -z "$why" ] && compgen -G "$work/out.safetensors.tmp.*" >/dev/null &&
    why="temporary output left behind"
  if [ -n "$why" ]; then
    failures=$((failures + 1))
    echo "FAIL $(basename "$file"): $why; stderr:" >&2
    sed 's/^/  | /' "$work/stderr" >&2
  else
    echo "ok   $(basename "$file"): $(cat "$work/stderr")"
  fi
}

shopt -s nullglob
files=("$corpus"/*.safetensors)
if [ ${#files[@]} -eq 0 ]; then
  echo "no corpus files in $corpus" >&2
  exit 1
fi
for f in "${files[@]}"; do check "$f"; done
check "$corpus/no-such-file.safetensors"
echo "$count files, $failures failures"
[ "$failures" -eq 0 ]
