#!/bin/bash
# On the device machine (H100/H200, CUDA 13), from the repository root, after
# gpu/device_prepare.sh has made build-gpu/gpudev.tar.xz here:
#   device tool: run  command="bash gpu/device_check.sh [STEPS]"
#                     carry=["build-gpu/gpudev.tar.xz"]
# STEPS (default "tests sanitize bench sdpa export"):
#   tests     the gpu tests (t_gpu_*, the CLI test), each PASS/FAIL/SKIP
#   sanitize  compute-sanitizer memcheck, racecheck, synccheck, initcheck on
#             the small head tests
#   bench     attnref_gpu_bench: our exact kernels (fp64, fp32) at n = 4k..64k,
#             8 heads
#   approx    attnref_gpu_bench --approx: gpu-approx (float) heads, d_h:g =
#             8:4, 16:2, 16:4, n = 4k..1M, causal or not, inputs scaled to
#             R <= 1; errors vs gpu-exact64 and the a-priori bound at
#             n <= 64k (approx.jsonl)
#   exact1    attnref_gpu_bench, one head as SDPA is timed: gpu-exact32 at
#             n = 4k..1M (d_h 8, 16; d_h 64 to 256k), gpu-exact64 to 64k
#             (exact.jsonl)
#   sdpa      gpu/bench_sdpa.py: PyTorch SDPA forward+backward, bf16 flash
#             and fp32 efficient at n = 4k..1M, bf16 efficient to 256k,
#             d_h 8/16/64, causal or not, errors vs fp64 at n <= 64k
#             (sdpa.jsonl)
#   export    PyTorch SDPA's results on a 3-layer case (n 256, d 64, 4
#   validate  heads, causal, layernorm, gelu MLP, xent) for every dtype
#             (bf16 fp16 fp32 fp64), backend (flash efficient cudnn math)
#             and mode (model: the whole model at the dtype; attention: SDPA
#             alone at the dtype), each graded by `attnref check` with the
#             dtype's profile and `attnref audit` against the MPFR truth
#             (validate.tar.gz; the result files in sdpa_results.tar.xz).
#             The case and truth come from build-gpu/sdpa/ when carried
#             (made here: attnref gen + ref), else are made on the device.
#             sdpa_errors.jsonl: SDPA alone per layer (its O, dQ, dK, dV vs
#             float64 on its own inputs and cotangent). VALIDATE_RESULTS=0:
#             the result files are not packed.
#   model     the whole model (gpu-exact64, gpu-exact32 on the device; the CPU
#             paths exact64, exact32 for comparison), `attnref run` times
#             (forward + backward, CUDA start-up included) on a 2-layer case
#             (d 512, 8 heads of d_h 64, causal, layernorm, relu MLP 1024,
#             mse) at n = MODEL_N (default 4096 16384 65536; the CPU paths up
#             to MODEL_CPU_MAX_N, default 16384), each gpu result checked
#             against exact64 (fp64 / fp32 profile) and audited (model.txt)
#   msanitize compute-sanitizer memcheck, initcheck, racecheck on
#             t_gpu_exact_paths (the whole device model, small n) and
#             memcheck on t_gpu_approx_paths
#   repeat    the n = 2^20 comparison again (gpu-approx at scan blockings
#             b = 128, 64, 256; SDPA bf16 flash d_h 8, 16): the spread
#             between runs
# A summary, the logs (logs.tar.gz) and the JSON lines go to $OUT (the
# device tool returns them) or /tmp/gpu_out. Every step's time limit is cut
# to what is left of DEVICE_BUDGET_S seconds (default 570) from the start,
# so the whole command ends inside the device tool's 600 s.
# (VALIDATE_BACKENDS=reference VALIDATE_DEVICE=cpu runs the validate step's
# plumbing on a machine without a GPU.)
set -u
STEPS=${*:-tests sanitize msanitize model bench sdpa export}
ROOT=$PWD
OUT=${OUT:-/tmp/gpu_out}
mkdir -p "$OUT"
SUM=$OUT/summary.txt
: >"$SUM"
say() { echo "$*" | tee -a "$SUM"; }
DEADLINE=$(( $(date +%s) + ${DEVICE_BUDGET_S:-570} ))

T=/tmp/gpudev
rm -rf "$T" && mkdir -p "$T"
tar xJf "$ROOT/build-gpu/gpudev.tar.xz" -C "$T" || { say "no build-gpu/gpudev.tar.xz (run gpu/device_prepare.sh here, carry it)"; exit 3; }
BIN=$T/stage/bin
# cuBLAS 13 from the machine: the toolkit, or PyTorch's wheels
CUB=
for d in /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib \
         /usr/local/cuda-13*/lib64 \
         $(python3 -c 'import site; print(" ".join(site.getsitepackages()))' 2>/dev/null | tr ' ' '\n' | sed 's|$|/nvidia/cu13/lib|') \
         $(python3 -c 'import site; print(" ".join(site.getsitepackages()))' 2>/dev/null | tr ' ' '\n' | sed 's|$|/nvidia/cublas/lib|'); do
  if [ -e "$d/libcublas.so.13" ]; then CUB=$d; break; fi
done
export LD_LIBRARY_PATH=$T/stage/lib${CUB:+:$CUB}:${LD_LIBRARY_PATH:-}
say "device_check: $(date -u +%FT%TZ) steps: $STEPS"
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm,clocks.max.mem,power.limit --format=csv 2>&1 | sed 's/^/gpu: /' | tee -a "$SUM"
nvidia-smi >"$OUT/nvidia-smi.log" 2>&1
{ echo "host: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), kernel $(uname -r)"
  echo "nvcc: $(nvcc --version 2>/dev/null | tail -2 | head -1)"
  python3 -c 'import torch; print(f"torch: {torch.__version__}, CUDA {torch.version.cuda}, cuDNN {torch.backends.cudnn.version()}")' 2>&1 | tail -1
} | tee -a "$SUM"
say "cublas from: ${CUB:-not found}"
if ldd "$BIN/attnref" | grep -q "not found"; then
  say "missing libraries:"; ldd "$BIN/attnref" | grep "not found" | tee -a "$SUM"
  exit 3
fi

# runs "$@" with a time limit, output to $OUT/<name>.log; records the outcome
check() {
  local name=$1 limit=$2; shift 2
  local t0=$(date +%s)
  local left=$(( DEADLINE - t0 ))
  [ "$limit" -gt "$left" ] && limit=$left
  if [ "$limit" -lt 10 ]; then
    say "$(printf '%-34s %-14s' "$name" "SKIP (no time left)")"
    return
  fi
  (cd "$T" && timeout "$limit" "$@") >"$OUT/$name.log" 2>&1
  local rc=$? verdict
  case $rc in 0) verdict=PASS ;; 77) verdict=SKIP ;; 124) verdict=TIMEOUT ;; *) verdict="FAIL (exit $rc)" ;; esac
  say "$(printf '%-34s %-14s %4ss  %s' "$name" "$verdict" $(( $(date +%s) - t0 )) "$(tail -1 "$OUT/$name.log")")"
}

for step in $STEPS; do
case $step in
tests)
  check t_gpu_head 300 "$BIN/t_gpu_head"
  check t_gpu_head_seed2 300 "$BIN/t_gpu_head" 777
  check t_gpu_poly_head 300 "$BIN/t_gpu_poly_head"
  check t_gpu_poly_head_seed2 300 "$BIN/t_gpu_poly_head" 778
  check t_gpu_exact_paths 400 "$BIN/t_gpu_exact_paths"
  check t_gpu_approx_paths 400 "$BIN/t_gpu_approx_paths"
  check t_gpu_no_device 60 "$BIN/t_gpu_no_device"
  check t_gpu_cli 300 bash "$ROOT/tests/gpu/cli.sh" "$BIN/attnref" "$T/cli"
  ;;
sanitize)
  CS=$(command -v compute-sanitizer || ls /usr/local/cuda/bin/compute-sanitizer 2>/dev/null)
  if [ -z "$CS" ]; then say "compute-sanitizer: not found"; continue; fi
  for tool in memcheck racecheck synccheck initcheck; do
    check "sanitizer_${tool}_head" 400 "$CS" --tool "$tool" --error-exitcode 9 "$BIN/t_gpu_head" 20261124 quick
  done
  check sanitizer_memcheck_poly_head 400 "$CS" --tool memcheck --error-exitcode 9 "$BIN/t_gpu_poly_head"
  ;;
bench)
  check gpu_bench 400 "$BIN/attnref_gpu_bench" --n 4096,16384,65536 --dh 8,16,64 --heads 8 --causal 0,1 --prec 64,32 --reps 3
  cat "$OUT/gpu_bench.log" >>"$SUM"
  ;;
approx)
  check gpu_approx 200 "$BIN/attnref_gpu_bench" --approx 8:4,16:2,16:4 --prec 0 \
    --n 4096,16384,65536,262144,1048576 --causal 0,1 --reps 3 --R 1 \
    --err-n 65536 --jsonl "$OUT/approx.jsonl"
  cat "$OUT/gpu_approx.log" >>"$SUM"
  ;;
exact1)
  : >"$OUT/exact.jsonl"
  check gpu_exact64_1head 60 "$BIN/attnref_gpu_bench" --prec 64 --heads 1 \
    --dh 8,16,64 --n 4096,16384,65536 --causal 0,1 --reps 3 --jsonl "$T/e64.jsonl"
  cat "$T/e64.jsonl" >>"$OUT/exact.jsonl" 2>/dev/null
  check gpu_exact32_1head_dh64 60 "$BIN/attnref_gpu_bench" --prec 32 --heads 1 \
    --dh 64 --n 4096,16384,65536,262144 --causal 0,1 --reps 3 --jsonl "$T/e32b.jsonl"
  cat "$T/e32b.jsonl" >>"$OUT/exact.jsonl" 2>/dev/null
  check gpu_exact32_1head 200 "$BIN/attnref_gpu_bench" --prec 32 --heads 1 \
    --dh 8,16 --n 4096,16384,65536,262144,1048576 --causal 1,0 --reps 3 --jsonl "$T/e32.jsonl"
  cat "$T/e32.jsonl" >>"$OUT/exact.jsonl" 2>/dev/null
  cat "$OUT"/gpu_exact*_1head*.log >>"$SUM"
  ;;
sdpa)
  check sdpa_bench 300 env PYTHONUNBUFFERED=1 python3 "$ROOT/gpu/bench_sdpa.py" \
    --combos bf16:flash,fp32:efficient --n 4096,16384,65536,262144,1048576 \
    --dh 8,16,64 --causal 0,1 --max-seconds 40 --out "$T/sdpa_main.jsonl"
  grep -v '^#' "$OUT/sdpa_bench.log" >>"$SUM"
  check sdpa_bench_bf16_efficient 60 env PYTHONUNBUFFERED=1 python3 "$ROOT/gpu/bench_sdpa.py" \
    --combos bf16:efficient --n 4096,16384,65536,262144 \
    --dh 8,16,64 --causal 0,1 --max-seconds 10 --out "$T/sdpa_extra.jsonl"
  grep -v '^#' "$OUT/sdpa_bench_bf16_efficient.log" >>"$SUM"
  cat "$T"/sdpa_main.jsonl "$T"/sdpa_extra.jsonl >"$OUT/sdpa.jsonl" 2>/dev/null
  ;;
msanitize)
  CS=$(command -v compute-sanitizer || ls /usr/local/cuda/bin/compute-sanitizer 2>/dev/null)
  if [ -z "$CS" ]; then say "compute-sanitizer: not found"; continue; fi
  for tool in memcheck initcheck racecheck; do
    check "sanitizer_${tool}_model" 200 "$CS" --tool "$tool" --error-exitcode 9 "$BIN/t_gpu_exact_paths" 11 192
  done
  check sanitizer_memcheck_approx_model 200 "$CS" --tool memcheck --error-exitcode 9 "$BIN/t_gpu_approx_paths" 4243 256
  ;;
model)
  A="$BIN/attnref"
  M=$T/model
  mkdir -p "$M"
  : >"$OUT/model.txt"
  NS=${MODEL_N:-4096 16384 65536}
  for n in $NS; do
    CFG="{\"n\":$n,\"d\":512,\"heads\":8,\"layers\":2,\"causal\":true,\"norm\":\"layernorm\",\"mlp\":1024}"
    (cd "$M" && "$A" gen --config "$CFG" --seed 7 --bound 0.5 -o case_$n.st) >"$OUT/model_gen_$n.log" 2>&1 ||
      { say "model: gen n=$n failed"; continue; }
    paths="gpu-exact64 gpu-exact32 ${MODEL_EXTRA:-}"
    [ "$n" -le "${MODEL_CPU_MAX_N:-16384}" ] && paths="$paths exact64 exact32"
    for p in $paths; do
      check "model_${p}_$n" 200 "$A" run --path "$p" --max-memory 64G "$M/case_$n.st" -o "$M/${p}_$n.st"
      tail -1 "$OUT/model_${p}_$n.log" | sed "s/^/n=$n: /" >>"$OUT/model.txt"
    done
    for spec in "gpu-exact64 fp64" "gpu-exact32 fp32" "exact32 fp32"; do
      set -- $spec
      [ -f "$M/exact64_$n.st" ] && [ -f "$M/$1_$n.st" ] || continue
      "$A" check --truth "$M/exact64_$n.st" --candidate "$M/$1_$n.st" --profile "$2" >"$M/check_$1_$n.txt" 2>&1
      say "model n=$n: $1 vs exact64 ($2): exit $? ($(tail -1 "$M/check_$1_$n.txt"))"
      "$A" audit --truth "$M/exact64_$n.st" --candidate "$M/$1_$n.st" >>"$OUT/model.txt" 2>&1
    done
    rm -f "$M"/*_$n.st
  done
  cat "$OUT/model.txt" >>"$SUM"
  ;;
repeat)
  # the 2^20 comparison once more (the spread between runs), and the
  # polynomial head's scan blocking b = 128 (its default), 64, 256
  check gpu_approx_repeat 150 "$BIN/attnref_gpu_bench" --approx 8:4,16:2,16:4 --prec 0 \
    --n 1048576 --causal 0,1 --reps 3 --R 1 --err-n 0 --block-rows 128,64,256 \
    --jsonl "$OUT/approx_repeat.jsonl"
  cat "$OUT/gpu_approx_repeat.log" >>"$SUM"
  check sdpa_repeat 120 env PYTHONUNBUFFERED=1 python3 "$ROOT/gpu/bench_sdpa.py" \
    --combos bf16:flash --n 1048576 --dh 8,16 --causal 0,1 --err-n 0 \
    --out "$OUT/sdpa_repeat.jsonl"
  grep -v '^#' "$OUT/sdpa_repeat.log" >>"$SUM"
  ;;
export|validate)
  A="$BIN/attnref"
  V=$T/validate
  mkdir -p "$V"
  if [ -f "$ROOT/build-gpu/sdpa/sdpa_truth.st" ] && [ -f "$ROOT/build-gpu/sdpa/sdpa_case.st" ]; then
    cp "$ROOT/build-gpu/sdpa/sdpa_case.st" "$ROOT/build-gpu/sdpa/sdpa_truth.st" "$V/"
    say "validate: case and MPFR truth carried in build-gpu/sdpa/"
  else
    CFG='{"n":256,"d":64,"heads":4,"layers":3,"causal":true,"norm":"layernorm","mlp":128,"activation":"gelu","loss":"xent","vocab":16}'
    (cd "$V" && "$A" gen --config "$CFG" --seed 3 --bound 0.7 -o sdpa_case.st &&
       "$A" ref sdpa_case.st -o sdpa_truth.st) >"$OUT/validate_truth.log" 2>&1 ||
      { say "validate: gen/ref failed: $(tail -1 "$OUT/validate_truth.log")"; continue; }
    say "validate: case and MPFR truth made here ($(tail -1 "$OUT/validate_truth.log"))"
  fi
  check sdpa_export 200 env PYTHONUNBUFFERED=1 python3 "$ROOT/gpu/export_sdpa_case.py" \
    "$V/sdpa_case.st" -o "$V/sdpa_{mode}_{dtype}_{backend}.st" \
    --dtype bf16,fp16,fp32,fp64 --backend "${VALIDATE_BACKENDS:-flash,efficient,cudnn,math}" \
    --mode model,attention --device "${VALIDATE_DEVICE:-cuda}" --manifest "$V/manifest.txt" \
    --sdpa-errors "$OUT/sdpa_errors.jsonl"
  cp "$OUT/sdpa_export.log" "$V/export.log"
  while read -r mode dt be file rest; do
    tag=${mode}_${dt}_${be}
    if [ "$file" = "-" ]; then say "sdpa $tag: no result ($rest)"; continue; fi
    (cd "$V" && "$A" check --truth sdpa_truth.st --candidate "$file" --profile "$dt" \
       --json "check_$tag.json") >"$V/check_$tag.txt" 2>&1
    rc=$?
    (cd "$V" && "$A" audit --truth sdpa_truth.st --candidate "$file" \
       --csv "audit_$tag.csv") >"$V/audit_$tag.txt" 2>&1
    arc=$?
    say "sdpa $tag vs MPFR truth, profile $dt: check exit $rc ($(tail -1 "$V/check_$tag.txt")), audit exit $arc"
  done <"$V/manifest.txt"
  (cd "$V" && tar czf "$OUT/validate.tar.gz" manifest.txt export.log check_* audit_*)
  [ "${VALIDATE_RESULTS:-1}" = 0 ] && continue
  for mode in model attention; do
    R=$OUT/sdpa_results_$mode.tar.xz
    (cd "$V" && ls sdpa_${mode}_*.st >/dev/null 2>&1 && tar cJf "$R" sdpa_${mode}_*.st)
    if [ "$(stat -c %s "$R" 2>/dev/null || echo 0)" -gt 15000000 ]; then
      rm -f "$R"; say "validate: $mode result files over 15 MB packed, not returned"
    fi
  done
  ;;
*) say "unknown step $step" ;;
esac
done
say "done $(date -u +%FT%TZ)"
# the device tool returns at most 8 files: every log in one archive
(cd "$OUT" && ls *.log >/dev/null 2>&1 && tar czf logs.tar.gz *.log && rm -f *.log)
