#!/usr/bin/env bash
# Proves the fast/kern kernels with Frama-C WP and writes proofs/REPORT.md + proofs/report.json.
# Exit status: 0 every goal proved and every Gappa certificate checks, 1 anything unproved,
# 2 setup error, 77 the proof tools are not installed (CTest SKIP_RETURN_CODE).
#
# Usage: proofs/run_wp.sh [FILE.c ...]     (default: every fast/kern/*.c)
# Environment: ATTNREF_PROOFS_WORK (why3 config, WP session + cache, logs; default
# build-proofs/wp), ATTNREF_PROOFS_JOBS (parallel prover processes, default nproc, at most 8),
# ATTNREF_PROOFS_TIMEOUT (seconds per prover call, default 40), ATTNREF_PROOFS_PROVERS (the
# portfolio in the order WP schedules it, default cvc5i0,cvc5,z3,cvc5i2,cvc5b; shortcuts of setup_provers.sh), ATTNREF_PROOFS_CACHE
# (WP cache mode: update (default), none, replay, rebuild), ATTNREF_PROOFS_REPORT_DIR (where
# REPORT.md and report.json go; default proofs/).
#
# What runs (see proofs/README.md for why the split is sound):
#   lemmas  proofs/wp/lemmas.c        the logic library's lemmas
#   steps   proofs/wp/steps.c         the step functions of fast/kern/kern_fp.h, IEEE float model
#   K.float fast/kern/K.c             safety: -wp-rte, assigns, termination, finiteness (props
#                                     named fin), IEEE float model
#   K.real  fast/kern/K.c             every property (functional contracts), Typed+real model
# plus proofs/gappa/*.g, the standalone certificates of the admitted rounding bounds.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
work=${ATTNREF_PROOFS_WORK:-$root/build-proofs/wp}
jobs=${ATTNREF_PROOFS_JOBS:-$(n=$(nproc 2>/dev/null || echo 2); [ "$n" -gt 8 ] && n=8; echo "$n")}
timeout=${ATTNREF_PROOFS_TIMEOUT:-40}
cache=${ATTNREF_PROOFS_CACHE:-update}
report_dir=${ATTNREF_PROOFS_REPORT_DIR:-$here}

missing=""
for t in frama-c why3 cvc5 z3 gappa; do command -v "$t" >/dev/null || missing="$missing $t"; done
if [ -n "$missing" ]; then
  echo "run_wp: SKIP: not installed:$missing (apt-get install frama-c-base why3 z3 cvc5 gappa)"
  exit 77
fi
py=$(command -v python3) || { echo "run_wp: python3 not found" >&2; exit 2; }

mkdir -p "$work" || exit 2
"$here/setup_provers.sh" "$work/why3" >"$work/setup.log" 2>&1 ||
  { cat "$work/setup.log" >&2; exit 2; }
export WHY3CONFIG=$work/why3/why3.conf

# The step functions: every static inline function of kern_fp.h.
steps=$(sed -n 's/^static inline [a-z0-9_]* \(kern_[a-z0-9_]*\)(.*/\1/p' "$root/fast/kern/kern_fp.h" |
  paste -sd, -)
[ -n "$steps" ] || { echo "run_wp: no step functions found in fast/kern/kern_fp.h" >&2; exit 2; }

if [ $# -gt 0 ]; then files=("$@"); else files=("$root"/fast/kern/*.c); fi

common=(-cpp-extra-args="-I$root" -wp -wp-rte -wp-timeout "$timeout" -wp-par "$jobs"
  -wp-session "$work/session" -wp-cache "$cache")
provers=${ATTNREF_PROOFS_PROVERS:-cvc5i0,cvc5,z3,cvc5i2,cvc5b}
: >"$work/runs.tsv"

elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

# run NAME MODEL ARGS...: one frama-c call; its JSON report, log and wall time go to $work.
run() {
  local name=$1 model=$2; shift 2
  local t0 t1 rc
  t0=$(date +%s.%N)
  frama-c "${common[@]}" -wp-model "$model" -wp-report-json "$work/$name.json" "$@" \
    >"$work/$name.log" 2>&1
  rc=$?
  t1=$(date +%s.%N)
  printf '%s\t%s\t%s\t%s\n' "$name" "$model" "$rc" "$(elapsed "$t0" "$t1")" >>"$work/runs.tsv"
  printf 'run_wp: %-22s %-10s rc=%s %6.1fs\n' "$name" "$model" "$rc" "$(elapsed "$t0" "$t1")"
}

start=$(date +%s.%N)
run lemmas Typed -wp-prover "$provers" -wp-prop=@lemma "$here/wp/lemmas.c"
run steps Typed -wp-prover "gappa,$provers" -wp-fct "$steps" "$here/wp/steps.c"
for f in "${files[@]}"; do
  b=$(basename "$f" .c)
  skip=()  # the steps are proved once, in the steps run
  grep -q 'kern_fp\.h' "$f" && skip=(-wp-skip-fct "$steps")
  run "$b.float" Typed -wp-prover "gappa,$provers" "${skip[@]}" \
    -wp-prop=@rte,@assigns,@variant,fin "$f"
  run "$b.real" Typed+real -wp-prover "$provers" "${skip[@]}" -wp-prop=-@lemma "$f"
done

: >"$work/gappa.tsv"
for g in "$here"/gappa/*.g; do
  [ -e "$g" ] || continue
  t0=$(date +%s.%N)
  gappa "$g" >"$work/$(basename "$g").log" 2>&1
  rc=$?
  t1=$(date +%s.%N)
  printf '%s\t%s\t%s\n' "$(basename "$g")" "$rc" "$(elapsed "$t0" "$t1")" >>"$work/gappa.tsv"
done
total=$(elapsed "$start" "$(date +%s.%N)")

partial=()
[ $# -gt 0 ] && partial=(--partial)
"$py" "$here/wp/report.py" "${partial[@]}" --root "$root" --work "$work" --steps "$steps" --total "$total" \
  --jobs "$jobs" --timeout "$timeout" --md "$report_dir/REPORT.md" --json "$report_dir/report.json"
