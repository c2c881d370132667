#!/bin/bash
# `attnref run --path gpu-*` through the CLI (CUDA builds):  cli.sh ATTNREF WORKDIR
# Every gpu path either runs (a device is there) and writes results that
# `attnref check` grades against the CPU paths, or (no device) exits 2 with
# exactly one line "attnref run: <case>: path <name>: no CUDA device: <CUDA's
# error string>" and writes nothing. Which of the two depends on the machine;
# each is checked in full.
set -u
BIN=$1 W=$2
rm -rf "$W" && mkdir -p "$W" && cd "$W" || exit 3
fail() { echo "FAIL: $*" >&2; exit 1; }
CFG='{"n":40,"d":8,"heads":2,"layers":2,"causal":true,"norm":"layernorm","mlp":6,"loss":"xent","vocab":5}'
"$BIN" gen --config "$CFG" --seed 5 --bound 0.5 -o case.st || fail gen
"$BIN" run --path exact64 case.st -o cpu.st || fail "run exact64"
"$BIN" run --path approx --degree 4 case.st -o cpu_approx.st 2>/dev/null ||
  fail "run approx"
# path, the CPU result it must match, the profile
for spec in "gpu-exact64 cpu.st fp64" "gpu-exact32 cpu.st fp32" \
            "gpu-approx64 cpu_approx.st fp64" "gpu-approx cpu_approx.st fp32"; do
  set -- $spec
  path=$1 peer=$2 profile=$3
  "$BIN" run --path "$path" --degree 4 case.st -o "$path.st" >out.txt 2>err.txt
  rc=$?
  if [ $rc -eq 0 ]; then
    [ -s "$path.st" ] || fail "$path: exit 0 without a result file"
    "$BIN" check --truth "$peer" --candidate "$path.st" --profile "$profile" \
      >check.txt 2>&1 || fail "$path vs $peer ($profile): $(tail -3 check.txt)"
    echo "$path: ran on the device, within $profile of $peer"
  elif [ $rc -eq 2 ]; then
    [ ! -e "$path.st" ] || fail "$path: exit 2 but wrote $path.st"
    [ "$(wc -l <err.txt)" -eq 1 ] || fail "$path: stderr not one line: $(cat err.txt)"
    grep -q "^attnref run: case.st: path $path: no CUDA device: ." err.txt ||
      fail "$path: stderr: $(cat err.txt)"
    echo "$path: no device: $(cat err.txt)"
  else
    fail "$path: exit $rc: $(cat err.txt)"
  fi
done
exit 0
