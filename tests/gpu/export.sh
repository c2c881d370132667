#!/bin/bash
# gpu/export_sdpa_case.py's plumbing (case in, attnref result file out),
# with its explicit-formula backend so it runs where PyTorch has no SDPA:
#   export.sh ATTNREF PYTHON WORKDIR
# fp64 results pass `attnref check` against the MPFR truth at fp64, fp32 at
# fp32; tensors are written in the dtype computed in (F32, BF16).
# Exits 77 when PYTHON cannot import numpy and torch.
set -u
BIN=$1 PY=$2 W=$3
SRC=$(cd "$(dirname "$0")/../.." && pwd)
for m in numpy torch; do
  "$PY" -c "import $m" 2>/dev/null || { echo "skip: $PY cannot import $m"; exit 77; }
done
rm -rf "$W" && mkdir -p "$W" && cd "$W" || exit 3
fail() { echo "FAIL: $*" >&2; exit 1; }
CFG='{"n":24,"d":16,"heads":4,"layers":2,"causal":true,"norm":"layernorm","mlp":16,"activation":"gelu","loss":"xent","vocab":7}'
"$BIN" gen --config "$CFG" --seed 3 --bound 1 -o case.st || fail gen
"$BIN" ref case.st -o truth.st 2>/dev/null || fail ref
for dt in fp64 fp32 bf16; do
  "$PY" "$SRC/gpu/export_sdpa_case.py" case.st -o "s_$dt.st" --dtype "$dt" \
    --backend reference --device cpu || fail "export $dt"
done
"$BIN" check --truth truth.st --candidate s_fp64.st --profile fp64 >c64.txt ||
  fail "fp64: $(tail -1 c64.txt)"
"$BIN" check --truth truth.st --candidate s_fp32.st --profile fp32 >c32.txt ||
  fail "fp32: $(tail -1 c32.txt)"
grep -q "^grad.layers.1.wq .* F32 " c32.txt || fail "fp32 results not F32"
"$BIN" check --truth truth.st --candidate s_bf16.st --profile bf16 >c16.txt
[ $? -le 1 ] || fail "bf16 check: $(tail -1 c16.txt)"
grep -q "^grad.layers.1.wq .* BF16 " c16.txt || fail "bf16 results not BF16"
grep -q "31/31 tensors" c64.txt || fail "fp64: not every tensor compared"
echo "export_sdpa_case.py: fp64 and fp32 pass against the truth; dtypes kept"
