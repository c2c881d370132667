#!/usr/bin/env bash
# A/B timing of two attnref binaries on the device machine's CPU (BENCH.md, "Fourth run").
# Usage (on the device, from the repo root): ab_run.sh STAGE_TAR OUT_DIR
#   STAGE_TAR holds stage/bin/attnref_old, stage/bin/attnref_new and stage/lib/ (the shared
#   libraries the device lacks: MPFR, GMP, OpenBLAS, cJSON, libgomp, libgfortran, libquadmath).
# Writes OUT_DIR/ab_runs.txt (alternating `attnref run --path exact64` wall times, three of each,
# on cases A, B, C), OUT_DIR/check.txt (the two binaries' results checked against each other),
# and OUT_DIR/bench_new.{txt,csv} (`attnref bench fast` of the new binary).
set -euo pipefail
tar="$1" out="$2"
work=$(mktemp -d)
tar xJf "$tar" -C "$work"
export LD_LIBRARY_PATH=$work/stage/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
old=$work/stage/bin/attnref_old new=$work/stage/bin/attnref_new
threads=${AB_THREADS:-16}
mkdir -p "$out"
{ echo "host: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"; uptime; } >"$out/ab_runs.txt"
# A: the throughput case (n 4096, d 64, 4 heads); B: the target case (n 65536, d_h 8), both one
# layer, no norm, no MLP, linear loss; C: the whole model (2 layers, layernorm, gelu MLP, xent)
"$new" gen --seed 1 -o "$work/A.case" --config \
  '{"n":4096,"d":64,"heads":4,"layers":1,"causal":false,"residual":false,"norm":"none","mlp":0,"loss":"linear"}'
"$new" gen --seed 1 -o "$work/B.case" --config \
  '{"n":65536,"d":8,"heads":1,"layers":1,"causal":false,"residual":false,"norm":"none","mlp":0,"loss":"linear"}'
"$new" gen --seed 1 -o "$work/C.case" --config \
  '{"n":8192,"d":256,"heads":4,"layers":2,"causal":true,"residual":true,"norm":"layernorm","mlp":512,"activation":"gelu","loss":"xent","vocab":256}'
secs() { local t0 t1; t0=$(date +%s.%N); "$@" >/dev/null; t1=$(date +%s.%N); awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.2f", b-a}'; }
for c in A B C; do
  line="$c:"
  for rep in 1 2 3; do
    line="$line old $(secs "$old" run --path exact64 --threads "$threads" "$work/$c.case" -o "$work/$c.old.out")"
    line="$line new $(secs "$new" run --path exact64 --threads "$threads" "$work/$c.case" -o "$work/$c.new.out")"
  done
  echo "$line" >>"$out/ab_runs.txt"
  "$new" check --profile fp64 --truth "$work/$c.old.out" --candidate "$work/$c.new.out" >>"$out/check.txt" 2>&1 || true
done
uptime >>"$out/ab_runs.txt"
"$new" bench fast --threads "$threads" --budget 15 --csv "$out/bench_new.csv" >"$out/bench_new.txt" 2>&1
