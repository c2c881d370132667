#!/bin/bash
# CLI tests of `attnref check`, `gen`, `ref`, `run` and `bench ref`, one per
# CTest test:   cli.sh TEST ATTNREF ST_EDIT JSON_FIELDS WORKDIR
# The truth stand-in is a generated case (any tensor set is a valid truth for
# check); candidates are copies with one known edit (st_edit).
set -u
test_name=$1 BIN=$2 EDIT=$3 JSONF=$4 W=$5
PY=/usr/bin/python3
rm -rf "$W" && mkdir -p "$W" && cd "$W" || exit 3
fail() { echo "FAIL $test_name: $*" >&2; exit 1; }
CFG='{"n":6,"d":4,"heads":2,"layers":2,"mlp":3,"norm":"layernorm","loss":"xent","vocab":5}'
# 2 layers x 12 tensors + x + unembed + labels
NT=27
"$BIN" gen --config "$CFG" --seed 11 --bound 1.5 -o truth.st || fail "gen"

# runs check, keeps stdout/stderr and the exit code in $rc
check() { "$BIN" check "$@" >out.txt 2>err.txt; rc=$?; }
# the error output must be exactly one line "attnref CMD: ..."
one_error_line() {
  [ "$(wc -l <err.txt)" -eq 1 ] || fail "stderr is not one line: $(cat err.txt)"
  grep -q "^attnref $1: " err.txt || fail "stderr: $(cat err.txt)"
}

case $test_name in
check_truth_against_itself_passes)
  check --truth truth.st --candidate truth.st
  [ $rc -eq 0 ] || fail "exit $rc: $(cat out.txt err.txt)"
  grep -qx "check: $NT/$NT tensors pass (profile fp64): PASS" out.txt ||
    fail "summary: $(tail -1 out.txt)"
  ;;
check_perturbed_1e-10_fails_fp64_passes_fp32)
  "$EDIT" truth.st cand.st perturb layers.1.wv 1e-10 >/dev/null || fail edit
  check --truth truth.st --candidate cand.st
  [ $rc -eq 1 ] || fail "fp64 exit $rc: $(cat out.txt)"
  grep -q "^layers.1.wv .*FAIL: 1 element out of tolerance" out.txt ||
    fail "fp64 table: $(cat out.txt)"
  grep -qx "check: $((NT - 1))/$NT tensors pass (profile fp64): FAIL" out.txt ||
    fail "summary: $(tail -1 out.txt)"
  check --truth truth.st --candidate cand.st --profile fp32
  [ $rc -eq 0 ] || fail "fp32 exit $rc: $(cat out.txt)"
  ;;
check_missing_tensor_fails_naming_it)
  "$EDIT" truth.st cand.st drop layers.0.wq || fail edit
  check --truth truth.st --candidate cand.st
  [ $rc -eq 1 ] || fail "exit $rc"
  grep -q "^layers.0.wq .*FAIL: missing" out.txt || fail "$(cat out.txt)"
  ;;
check_extra_tensor_listed_not_failed)
  "$EDIT" truth.st cand.st add zz.extra || fail edit
  check --truth truth.st --candidate cand.st
  [ $rc -eq 0 ] || fail "exit $rc"
  grep -qx "extra: zz.extra" out.txt || fail "$(cat out.txt)"
  ;;
check_shape_mismatch_fails)
  "$EDIT" truth.st cand.st transpose layers.0.mlp.w1 || fail edit
  check --truth truth.st --candidate cand.st
  [ $rc -eq 1 ] || fail "exit $rc"
  grep -q "^layers.0.mlp.w1 .*FAIL: shape 3x4, expected 4x3" out.txt ||
    fail "$(cat out.txt)"
  ;;
check_nan_candidate_fails)
  "$EDIT" truth.st cand.st set x 5 nan || fail edit
  check --truth truth.st --candidate cand.st --profile bf16
  [ $rc -eq 1 ] || fail "exit $rc: $(cat out.txt err.txt)"
  grep -q "^x .*FAIL: 1 non-finite value" out.txt || fail "$(cat out.txt)"
  # a NaN truth is an input error, not a verdict
  check --truth cand.st --candidate truth.st
  [ $rc -eq 2 ] || fail "NaN truth: exit $rc"
  one_error_line check
  ;;
check_f32_candidate_ulps_in_f32_units)
  # t = 1 at x[0]; the candidate holds 1 + 2^-23 there, stored as F32: every
  # other element is off by at most half an F32 ulp from rounding
  "$EDIT" truth.st t1.st set x 0 1 || fail edit
  "$EDIT" t1.st c1.st set x 0 1.00000011920928955078125 || fail edit
  "$EDIT" c1.st cand.st cast x F32 || fail edit
  check --truth t1.st --candidate cand.st --profile fp32 --json r.json
  [ $rc -eq 0 ] || fail "exit $rc: $(cat out.txt)"
  $PY - r.json <<'PYEOF' || fail "max_ulp"
import json, sys
r = json.load(open(sys.argv[1]))
x = [t for t in r["tensors"] if t["name"] == "x"][0]
assert x["dtype"] == "F32", x
assert x["max_ulp"] == 1.0, x["max_ulp"]
assert x["max_abs"] == 2.0 ** -23, x["max_abs"]
PYEOF
  ;;
check_usage_errors_exit_2)
  check --truth truth.st --candidate truth.st --profile fp8
  [ $rc -eq 2 ] || fail "unknown profile: exit $rc"; one_error_line check
  check --candidate truth.st
  [ $rc -eq 2 ] || fail "no --truth: exit $rc"; one_error_line check
  check --truth truth.st --candidate truth.st --bogus
  [ $rc -eq 2 ] || fail "unknown option: exit $rc"; one_error_line check
  check --truth nonexistent.st --candidate truth.st
  [ $rc -eq 2 ] || fail "missing file: exit $rc"; one_error_line check
  grep -q nonexistent.st err.txt || fail "message does not name the file"
  head -c 100 truth.st >trunc.st
  check --truth truth.st --candidate trunc.st
  [ $rc -eq 2 ] || fail "truncated candidate: exit $rc"; one_error_line check
  check --truth truth.st --candidate truth.st --json /nonexistent-dir/r.json
  [ $rc -eq 2 ] || fail "unwritable --json: exit $rc"; one_error_line check
  "$BIN" >/dev/null 2>&1; [ $? -eq 2 ] || fail "no command"
  "$BIN" frobnicate >/dev/null 2>&1; [ $? -eq 2 ] || fail "unknown command"
  "$BIN" check --help | grep -q "^usage: attnref check" || fail "check --help"
  "$BIN" help check | grep -q "^usage: attnref check" || fail "help check"
  "$BIN" --help | grep -q "bench ref" || fail "--help"
  ;;
check_json_report_has_every_field)
  "$EDIT" truth.st cand.st perturb unembed 1e-9 >/dev/null || fail edit
  "$EDIT" cand.st cand2.st add zz.extra || fail edit
  check --truth truth.st --candidate cand2.st --json r.json
  [ $rc -eq 1 ] || fail "exit $rc"
  "$JSONF" r.json $NT $((NT - 1)) unembed || fail "json fields"
  $PY -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["extra"]==["zz.extra"], r["extra"]' r.json ||
    fail "extra in json"
  ls | grep -q tmp && fail "temporary file left: $(ls)"
  true
  ;;
check_junit_is_wellformed_one_testcase_per_tensor)
  "$EDIT" truth.st cand.st drop layers.1.mlp.b2 || fail edit
  check --truth truth.st --candidate cand.st --junit r.xml
  [ $rc -eq 1 ] || fail "exit $rc"
  $PY - r.xml $NT <<'PYEOF' || fail "junit"
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
cases = root.findall(".//testcase")
assert len(cases) == int(sys.argv[2]), len(cases)
failed = [c.get("name") for c in cases if c.find("failure") is not None]
assert failed == ["layers.1.mlp.b2"], failed
suite = root.find("testsuite")
assert suite.get("failures") == "1" and suite.get("tests") == sys.argv[2]
PYEOF
  ;;
gen_reproducible_by_seed_and_bounded)
  "$BIN" gen --config "$CFG" --seed 11 --bound 1.5 -o again.st || fail gen
  cmp -s truth.st again.st || fail "same seed, different bytes"
  "$BIN" gen --config "$CFG" --seed 12 --bound 1.5 -o other.st || fail gen
  cmp -s truth.st other.st && fail "different seeds, same bytes"
  echo "$CFG" >cfg.json
  "$BIN" gen --config cfg.json --seed 11 --bound 1.5 -o fromfile.st || fail gen
  cmp -s truth.st fromfile.st || fail "config file and JSON text differ"
  $PY - truth.st <<'PYEOF' || fail "bounds"
import json, struct, sys
import numpy as np
raw = open(sys.argv[1], "rb").read()
n = struct.unpack("<Q", raw[:8])[0]
h = json.loads(raw[8:8 + n])
meta = h.pop("__metadata__")
assert meta["attnref.seed"] == "11" and float(meta["attnref.bound"]) == 1.5, meta
assert json.loads(meta["attnref.config"])["vocab"] == 5
data = raw[8 + n:]
for name, e in h.items():
    b, t = e["data_offsets"]
    if name == "labels":
        v = np.frombuffer(data[b:t], "<i8")
        assert v.min() >= 0 and v.max() < 5, (name, v)
        continue
    v = np.frombuffer(data[b:t], "<f8")
    assert np.all(np.abs(v) <= 1.5), (name, v)
    # uniform on [-1.5, 1.5]: the extremes are used
    if v.size >= 12:
        assert v.max() > 0.3 and v.min() < -0.3, (name, v)
PYEOF
  ;;
gen_stream_matches_spec)
  # an independent implementation of the documented stream: splitmix64 seeds
  # xoshiro256**; u = (next>>11)*2^-53; x = B*(2u-1) over the inputs in order
  C2='{"n":5,"d":4,"heads":1,"layers":2,"loss":"xent","vocab":7}'
  "$BIN" gen --config "$C2" --seed 18446744073709551615 --bound 0.75 -o s.st || fail gen
  $PY - s.st <<'PYEOF' || fail "stream"
import json, struct, sys
M = (1 << 64) - 1
def splitmix(x):
    x = (x + 0x9e3779b97f4a7c15) & M
    z = x
    z = ((z ^ (z >> 30)) * 0xbf58476d1ce4e5b9) & M
    z = ((z ^ (z >> 27)) * 0x94d049bb133111eb) & M
    return x, z ^ (z >> 31)
def rotl(x, k): return ((x << k) | (x >> (64 - k))) & M
x, s = M, []
for _ in range(4):
    x, z = splitmix(x); s.append(z)
def nxt():
    r = (rotl((s[1] * 5) & M, 7) * 9) & M
    t = (s[1] << 17) & M
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]; s[2] ^= t
    s[3] = rotl(s[3], 45)
    return r
raw = open(sys.argv[1], "rb").read()
n = struct.unpack("<Q", raw[:8])[0]
h = json.loads(raw[8:8 + n]); data = raw[8 + n:]
order = ["x"] + ["layers.%d.%s" % (l, w) for l in range(2)
                 for w in ("wq", "wk", "wv", "wo")] + ["unembed", "labels"]
assert sorted(order) == sorted(k for k in h if k != "__metadata__")
for name in order:
    b, t = h[name]["data_offsets"]
    if name == "labels":
        got = struct.unpack("<%dq" % ((t - b) // 8), data[b:t])
        want = [((nxt() >> 11) * 7) >> 53 for _ in got]
    else:
        got = struct.unpack("<%dd" % ((t - b) // 8), data[b:t])
        want = [0.75 * (2 * ((nxt() >> 11) * 2.0 ** -53) - 1) for _ in got]
    assert list(got) == want, (name, got[:3], want[:3])
PYEOF
  ;;
gen_refuses_bad_or_too_large_config)
  "$BIN" gen --config '{"n":1099511627776,"d":1099511627776,"heads":1,"layers":1}' \
    --seed 1 -o big.st 2>err.txt
  [ $? -eq 2 ] || fail "overflowing config accepted"; one_error_line gen
  "$BIN" gen --config '{"n":4096,"d":1024,"heads":1,"layers":4}' --seed 1 \
    --max-memory 1M -o big.st 2>err.txt
  [ $? -eq 2 ] || fail "too large config accepted"; one_error_line gen
  grep -q "max-memory" err.txt || fail "$(cat err.txt)"
  [ -e big.st ] && fail "output written for a refused case"
  for b in 0 -1 nan inf abc; do
    "$BIN" gen --config "$CFG" --seed 1 --bound "$b" -o b.st 2>err.txt
    [ $? -eq 2 ] || fail "bound $b accepted"; one_error_line gen
  done
  for s in -1 1.5 x 18446744073709551616; do
    "$BIN" gen --config "$CFG" --seed "$s" -o b.st 2>err.txt
    [ $? -eq 2 ] || fail "seed $s accepted"; one_error_line gen
  done
  "$BIN" gen --config '{"n":4,"d":3,"heads":2,"layers":1}' --seed 1 -o b.st 2>err.txt
  [ $? -eq 2 ] || fail "d % heads accepted"; one_error_line gen
  "$BIN" gen --config missing.json --seed 1 -o b.st 2>err.txt
  [ $? -eq 2 ] || fail "missing config file accepted"; one_error_line gen
  "$BIN" gen --config "$CFG" --seed 1 --max-memory 12Q -o b.st 2>err.txt
  [ $? -eq 2 ] || fail "bad size accepted"; one_error_line gen
  [ -e b.st ] && fail "output written for a refused case"
  true
  ;;
ref_and_run_write_checkable_results)
  SMALL='{"n":5,"d":4,"heads":2,"layers":1,"mlp":3,"norm":"rmsnorm","activation":"gelu","loss":"linear","causal":true}'
  "$BIN" gen --config "$SMALL" --seed 5 -o case.st || fail gen
  "$BIN" ref case.st -o truth.st 2>err.txt || fail "ref: $(cat err.txt)"
  [ "$(wc -l <err.txt)" -eq 1 ] || fail "ref summary is not one line: $(cat err.txt)"
  grep -Eq "^attnref ref: path ref, precision [0-9]+ bits, certified [0-9]+ bits" err.txt ||
    fail "ref summary: $(cat err.txt)"
  "$BIN" run --path ref case.st -o run.st 2>err.txt || fail "run: $(cat err.txt)"
  # the same path twice: identical values
  check --truth truth.st --candidate run.st
  [ $rc -eq 0 ] || fail "run --path ref differs from ref: $(cat out.txt)"
  # the result carries its config, and every expected tensor
  $PY - truth.st "$SMALL" <<'PYEOF' || fail "result contents"
import json, struct, sys
raw = open(sys.argv[1], "rb").read()
n = struct.unpack("<Q", raw[:8])[0]
h = json.loads(raw[8:8 + n]); meta = h.pop("__metadata__")
cfg = json.loads(meta["attnref.config"]); want = json.loads(sys.argv[2])
assert all(cfg[k] == v for k, v in want.items()), (cfg, want)
names = set(h)
need = {"loss", "act.layers.0", "grad.act.layers.0", "grad.x", "grad.cotangent",
        "grad.layers.0.wq", "grad.layers.0.mlp.w1", "grad.layers.0.norm2.weight"}
assert need <= names, need - names
assert h["loss"]["shape"] == [], h["loss"]
PYEOF
  # double-double truth: @lo parts are not compared (nor counted)
  "$BIN" ref case.st -o dd.st --double-double 2>/dev/null || fail "ref --double-double"
  check --truth dd.st --candidate truth.st
  [ $rc -eq 0 ] || fail "dd truth vs plain: exit $rc"
  nt=$(grep -c "pass$" out.txt)
  grep -qx "check: $nt/$nt tensors pass (profile fp64): PASS" out.txt || fail "$(tail -1 out.txt)"
  grep -q "@lo" out.txt && fail "@lo tensors compared"
  true
  ;;
run_usage_errors_exit_2)
  "$BIN" gen --config '{"n":3,"d":2,"heads":1,"layers":1}' --seed 1 -o case.st || fail gen
  for args in "--path nope case.st -o o.st" "case.st -o o.st" "--path ref case.st" \
      "--path ref -o o.st" "--path ref case.st -o o.st --poly fourier" \
      "--path ref case.st -o o.st --degree -1" "--path ref case.st -o o.st --threads x" \
      "--path ref case.st -o o.st --prec 0" "--path ref case.st -o o.st --max-memory 1X" \
      "--path ref missing.st -o o.st"; do
    "$BIN" run $args 2>err.txt
    [ $? -eq 2 ] || fail "run $args: not exit 2"; one_error_line run
    [ -e o.st ] && fail "run $args wrote output"
  done
  "$BIN" ref case.st -o o.st --max-memory 1K 2>err.txt
  [ $? -eq 2 ] || fail "ref over --max-memory: not exit 2"; one_error_line ref
  "$BIN" run --help | grep -q "^  ref " || fail "run --help does not list paths"
  true
  ;;
bench_ref_reports_cost_model)
  "$BIN" bench ref --config '{"n":6,"d":4,"heads":2,"layers":1,"mlp":4,"activation":"gelu","norm":"layernorm","loss":"xent","vocab":3}' \
    --csv b.csv >out.txt 2>err.txt || fail "bench: $(cat err.txt)"
  grep -q "^ratio .* measured/predicted" out.txt || fail "$(cat out.txt)"
  $PY - b.csv <<'PYEOF' || fail "csv: $(cat b.csv)"
import csv, math, sys
rows = {r["item"]: r for r in csv.DictReader(open(sys.argv[1]))}
ops = ["mul", "add", "fma", "div", "sqrt", "exp", "erf", "log", "dot_terms",
       "sum_terms", "other"]
assert all(o in rows for o in ops), rows.keys()
# this config uses every kind but (maybe) fma/sqrt: the ref counted them
for o in ["mul", "add", "div", "exp", "erf", "log", "dot_terms"]:
    assert int(rows[o]["count"]) > 0, (o, rows[o])
for o in ops:
    assert 0 < float(rows[o]["cost_ns_at_p"]) < 1e7, rows[o]
    assert 0 < float(rows[o]["cost_ns_at_p2"]) < 1e7, rows[o]
pred = sum(float(rows[o]["seconds"]) for o in ops)
assert math.isclose(pred, float(rows["predicted"]["seconds"]), rel_tol=1e-4)
m, r = float(rows["measured"]["seconds"]), float(rows["ratio_measured_over_predicted"]["seconds"])
assert m > 0 and math.isclose(r, m / pred, rel_tol=1e-4), (m, r)
assert int(rows["check_prec"]["seconds"]) > int(rows["prec"]["seconds"]) >= 128
PYEOF
  "$BIN" bench ref --prec nope 2>err.txt
  [ $? -eq 2 ] || fail "bad --prec"; one_error_line "bench ref"
  true
  ;;
*)
  echo "unknown test $test_name" >&2; exit 3 ;;
esac
echo "ok $test_name"
