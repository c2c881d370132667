#!/bin/bash
# On the device machine (H100/H200, CUDA 13), from the repository root, after
# gpu/device_prepare.sh has made build-gpu/gpudev.tar.xz here:
#   device tool: run  command="bash gpu/device_check.sh [STEPS]"
#                     carry=["build-gpu/gpudev.tar.xz"]
# STEPS (default "tests sanitize bench sdpa export"):
#   tests     the gpu tests (t_gpu_*, the CLI test), each PASS/FAIL/SKIP
#   sanitize  compute-sanitizer memcheck, racecheck, synccheck, initcheck on
#             the small head tests
#   bench     attnref_gpu_bench: our exact kernels (fp64, fp32) at n = 4k..64k
#   sdpa      gpu/bench_sdpa.py: PyTorch SDPA forward+backward, n = 4k..1M
#   export    PyTorch SDPA's results on a generated case graded by
#             `attnref check` against the MPFR truth (bf16 flash, fp32
#             efficient, fp64 math)
# A summary, the logs (logs.tar.gz) and SDPA's JSON lines go to $OUT (the
# device tool returns them) or /tmp/gpu_out.
set -u
STEPS=${*:-tests sanitize bench sdpa export}
ROOT=$PWD
OUT=${OUT:-/tmp/gpu_out}
mkdir -p "$OUT"
SUM=$OUT/summary.txt
: >"$SUM"
say() { echo "$*" | tee -a "$SUM"; }

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
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 | sed 's/^/gpu: /' | tee -a "$SUM"
say "cublas from: ${CUB:-not found}"
if ldd "$BIN/attnref" | grep -q "not found"; then
  say "missing libraries:"; ldd "$BIN/attnref" | grep "not found" | tee -a "$SUM"
  exit 3
fi

# runs "$@" with a time limit, output to $OUT/<name>.log; records the outcome
check() {
  local name=$1 limit=$2; shift 2
  local t0=$(date +%s)
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
sdpa)
  check sdpa_bench 500 env PYTHONUNBUFFERED=1 python3 "$ROOT/gpu/bench_sdpa.py" --out "$OUT/sdpa.jsonl"
  grep -v '^#' "$OUT/sdpa_bench.log" | tail -n +1 >>"$SUM"
  ;;
export)
  A="$BIN/attnref"
  CFG='{"n":256,"d":64,"heads":4,"layers":2,"causal":true,"norm":"layernorm","mlp":64,"activation":"gelu","loss":"xent","vocab":16}'
  (cd "$T" && "$A" gen --config "$CFG" --seed 3 --bound 1 -o sdpa_case.st &&
     "$A" ref sdpa_case.st -o sdpa_truth.st) >"$OUT/export_truth.log" 2>&1 ||
    { say "export: gen/ref failed: $(tail -1 "$OUT/export_truth.log")"; continue; }
  for spec in "bf16 flash bf16" "fp32 efficient fp32" "fp64 math fp64"; do
    set -- $spec
    check "sdpa_export_$1_$2" 300 python3 "$ROOT/gpu/export_sdpa_case.py" "$T/sdpa_case.st" -o "$T/sdpa_$1.st" --dtype "$1" --backend "$2"
    (cd "$T" && "$A" check --truth sdpa_truth.st --candidate "sdpa_$1.st" --profile "$3" --json "$OUT/sdpa_check_$1.json") >"$OUT/sdpa_check_$1.log" 2>&1
    say "sdpa $1 $2 vs MPFR truth, profile $3: exit $? ($(tail -1 "$OUT/sdpa_check_$1.log"))"
  done
  ;;
*) say "unknown step $step" ;;
esac
done
say "done $(date -u +%FT%TZ)"
# the device tool returns at most 8 files: every log in one archive
(cd "$OUT" && ls *.log >/dev/null 2>&1 && tar czf logs.tar.gz *.log && rm -f *.log)
