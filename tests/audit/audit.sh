#!/bin/bash
# CLI tests of `attnref audit` and `attnref bench fast`, one per CTest test:
#   audit.sh TEST ATTNREF AUDIT_EXPECT ST_EDIT WORKDIR
# The truth is the MPFR reference of a 3-layer case; audit_expect recomputes
# every number the audit prints from the two files with its own loops.
set -u
test_name=$1 BIN=$2 EXPECT=$3 EDIT=$4 W=$5
rm -rf "$W" && mkdir -p "$W" && cd "$W" || exit 3
fail() { echo "FAIL $test_name: $*" >&2; exit 1; }
CFG='{"n":40,"d":8,"heads":2,"layers":3,"causal":true,"norm":"layernorm","mlp":12,"activation":"gelu","loss":"xent","vocab":6}'

# truth.st: certified truth of a 3-layer case; cand.st: the approx path on it
make_truth() {
  "$BIN" gen --config "$CFG" --seed 5 --bound 1 -o case.st || fail gen
  "$BIN" ref case.st -o truth.st 2>/dev/null || fail ref
}
make_approx() {
  "$BIN" run --path approx --degree 4 case.st -o cand.st 2>/dev/null ||
    fail "run approx"
}
audit() { "$BIN" audit "$@" >out.txt 2>err.txt; rc=$?; }
one_error_line() {
  [ "$(wc -l <err.txt)" -eq 1 ] || fail "stderr is not one line: $(cat err.txt)"
  grep -q "^attnref audit: " err.txt || fail "stderr: $(cat err.txt)"
}

case $test_name in
audit_truth_against_itself_zero_errors)
  make_truth
  audit --truth truth.st --candidate truth.st --csv a.csv --json a.json
  [ $rc -eq 0 ] || fail "exit $rc: $(cat err.txt)"
  "$EXPECT" truth.st truth.st a.csv out.txt zero || fail "audit_expect"
  # no growth is defined when every error is 0: "-", empty CSV field, null
  grep -q "^geometric-mean growth per layer: forward -, backward -$" out.txt ||
    fail "geomean line: $(grep geometric out.txt)"
  grep -q '^forward,1,"act.layers.1",0,0,0,$' a.csv || fail "csv: $(cat a.csv)"
  /usr/bin/python3 - a.json <<'PYEOF' || fail "json"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["layers"] == 3, j["layers"]
assert j["geomean_growth"] == {"forward": None, "backward": None}, j
for l, e in enumerate(j["per_layer"]):
    assert e["forward"]["normwise"] == 0 and e["backward"]["normwise"] == 0
    assert e["forward"]["growth"] is None and e["backward"]["growth"] is None
    assert len(e["params"]) == 12, len(e["params"])
PYEOF
  ;;
audit_approx_3_layers_matches_recomputed)
  make_truth
  make_approx
  audit --truth truth.st --candidate cand.st --csv a.csv --json a.json
  [ $rc -eq 0 ] || fail "exit $rc: $(cat err.txt)"
  "$EXPECT" truth.st cand.st a.csv out.txt positive || fail "audit_expect"
  # the JSON carries the CSV's numbers
  /usr/bin/python3 - a.json a.csv <<'PYEOF' || fail "json vs csv"
import csv, json, sys
j = json.load(open(sys.argv[1]))
rows = {r["tensor"]: r for r in csv.DictReader(open(sys.argv[2]))}
for e in j["per_layer"]:
    for key in ("forward", "backward"):
        t = e[key]
        assert abs(t["normwise"] - float(rows[t["tensor"]]["normwise"])) <= \
            1e-15 * t["normwise"], t
    for p in e["params"]:
        assert p["tensor"].startswith("grad.layers.%d." % e["layer"]), p
assert j["geomean_growth"]["forward"] > 0 and j["geomean_growth"]["backward"] > 0
PYEOF
  ;;
audit_plot_png_when_gnuplot_exists)
  command -v gnuplot >/dev/null || { echo "gnuplot not installed: skipped"; exit 77; }
  make_truth
  make_approx
  audit --truth truth.st --candidate cand.st --plot err.png
  [ $rc -eq 0 ] || fail "exit $rc: $(cat err.txt)"
  [ "$(head -c 8 err.png | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] ||
    fail "err.png is not a PNG"
  [ -z "$(ls | grep tmp)" ] || fail "temporary files left: $(ls)"
  # all errors zero: still a plot (linear axis), not a gnuplot failure
  audit --truth truth.st --candidate truth.st --plot zero.png
  [ $rc -eq 0 ] && [ -s zero.png ] || fail "zero plot: exit $rc: $(cat err.txt)"
  ;;
audit_without_gnuplot_prints_table_exit_0)
  make_truth
  make_approx
  ATTNREF_GNUPLOT= "$BIN" audit --truth truth.st --candidate cand.st \
    --plot err.png >out.txt 2>err.txt
  rc=$?
  [ $rc -eq 0 ] || fail "exit $rc"
  grep -q "gnuplot not found" err.txt || fail "stderr: $(cat err.txt)"
  [ ! -e err.png ] || fail "a plot was written"
  grep -q "^2  " out.txt || fail "no table: $(cat out.txt)"
  ;;
audit_nonfinite_candidate_reports_inf)
  make_truth
  "$EDIT" truth.st cand.st set act.layers.2 7 nan >/dev/null || fail edit
  audit --truth truth.st --candidate cand.st --csv a.csv
  [ $rc -eq 0 ] || fail "exit $rc: $(cat err.txt)"
  grep -Eq "^2 +inf +inf +inf +inf " out.txt || fail "table: $(cat out.txt)"
  grep -q '^forward,2,"act.layers.2",inf,inf,inf,inf$' a.csv || fail "csv"
  ;;
audit_bad_input_exit_2)
  make_truth
  make_approx
  for args in "--truth truth.st" "--candidate cand.st" \
              "--truth nope.st --candidate cand.st" \
              "--truth case.st --candidate cand.st" \
              "--truth truth.st --candidate cand.st --bogus" \
              "--truth truth.st --candidate cand.st --csv nodir/a.csv"; do
    # shellcheck disable=SC2086
    audit $args
    [ $rc -eq 2 ] || fail "$args: exit $rc"
    one_error_line
  done
  grep -q "nodir/a.csv" err.txt || fail "$(cat err.txt)"
  "$EDIT" cand.st c1.st drop act.layers.1 || fail edit
  audit --truth truth.st --candidate c1.st
  [ $rc -eq 2 ] || fail "missing act: exit $rc"
  one_error_line
  grep -q "c1.st: tensor act.layers.1 missing" err.txt || fail "$(cat err.txt)"
  "$EDIT" cand.st c2.st transpose grad.act.layers.0 || fail edit
  audit --truth truth.st --candidate c2.st
  [ $rc -eq 2 ] || fail "shape: exit $rc"
  one_error_line
  grep -q "c2.st: tensor grad.act.layers.0: shape 8x40, expected 40x8" err.txt ||
    fail "$(cat err.txt)"
  ;;
bench_fast_quick_writes_csv | bench_fast_quick_peer_writes_torch_rows)
  peer=
  if [ $test_name = bench_fast_quick_peer_writes_torch_rows ]; then
    /usr/bin/python3 -c 'import numpy, torch' 2>/dev/null ||
      { echo "no numpy/torch: skipped"; exit 77; }
    peer=--peer
  fi
  "$BIN" bench fast --quick $peer --csv b.csv >out.txt 2>err.txt
  rc=$?
  [ $rc -eq 0 ] || fail "exit $rc: $(cat err.txt)"
  cat out.txt
  /usr/bin/python3 - b.csv "$peer" <<'PYEOF' || fail "csv: $(cat b.csv)"
import csv, sys
cols = ("case,path,n,d,heads,d_h,g,rank,causal,threads,seconds,"
        "speedup_vs_exact64,peak_rss_mb,err_act,err_grad_x,gflops,status")
rows = list(csv.reader(open(sys.argv[1])))
assert ",".join(rows[0]) == cols, rows[0]
rows = [dict(zip(rows[0], r)) for r in rows[1:]]
assert all(len(r) == 17 for r in rows)
by = lambda p: [r for r in rows if r["path"] == p and r["case"] == "sweep"]
# quick: n 1k..4k, d_h 4 and 8, causal or not; g 2 and 4
assert len(by("exact64")) == 12, len(by("exact64"))
assert len(by("approx")) == 24, len(by("approx"))
for r in by("exact64") + by("approx"):
    assert r["status"] == "ok", r
    assert float(r["seconds"]) > 0 and float(r["peak_rss_mb"]) > 0, r
for r in by("approx"):
    # rank C(d_h+g, g); errors against exact64 present, finite, < 1
    from math import comb
    assert int(r["rank"]) == comb(int(r["d_h"]) + int(r["g"]), int(r["g"])), r
    assert 0 < float(r["err_act"]) < 1 and 0 < float(r["err_grad_x"]) < 1, r
    assert float(r["speedup_vs_exact64"]) > 0, r
g = [r for r in rows if r["case"] == "gflops"]
assert [r["path"] for r in g] == ["exact64", "dgemm"], g
assert all(float(r["gflops"]) > 0 for r in g), g
if sys.argv[2]:
    t = by("torch")
    assert len(t) == 12 and all(r["status"] == "ok" for r in t), t
    assert all(float(r["seconds"]) > 0 for r in t), t
else:
    assert not by("torch")
PYEOF
  grep -q "^targets (quick run" out.txt || fail "no targets summary"
  ;;
*)
  fail "unknown test"
  ;;
esac
echo "PASS $test_name"
