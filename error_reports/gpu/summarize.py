#!/usr/bin/env python3
"""The tables of error_reports/gpu/REPORT.md, from the raw outputs of the
two device runs (run1/, run2/ beside this file):

  python3 error_reports/gpu/summarize.py [DIR] > tables.md

run1: approx.jsonl (attnref_gpu_bench --approx), exact.jsonl (gpu-exact32 /
gpu-exact64, one head), sdpa.jsonl (bench_sdpa.py), validate.tar.gz
(`attnref check` JSON and `attnref audit` CSV per SDPA dtype, backend and
mode); run2: approx_repeat.jsonl (n = 2^20 again, scan blockings b = 128,
64, 256), sdpa_repeat.jsonl, sdpa_errors.jsonl (SDPA alone per layer),
validate.tar.gz (the same checks once more). Times are forward + backward
in milliseconds. Standard library only.
"""
import csv
import io
import json
import os
import sys
import tarfile

D = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
NS = [4096, 16384, 65536, 262144, 1048576]
BIG = 1048576


def jl(path):
    with open(path) as f:
        return [json.loads(x) for x in f if x.strip()]


def fmt_ms(x):
    if x is None:
        return "-"
    return f"{x:.3g}" if x < 100 else f"{x:.0f}"


def e(x):
    return "-" if x is None else f"{x:.1e}"


approx = jl(os.path.join(D, "run1", "approx.jsonl"))
exact = jl(os.path.join(D, "run1", "exact.jsonl"))
sdpa = jl(os.path.join(D, "run1", "sdpa.jsonl"))
approx2 = jl(os.path.join(D, "run2", "approx_repeat.jsonl"))
sdpa2 = jl(os.path.join(D, "run2", "sdpa_repeat.jsonl"))
probe = jl(os.path.join(D, "run2", "sdpa_errors.jsonl"))


def total(r):
    return None if r is None or "fwd_ms" not in r else r["fwd_ms"] + r["bwd_ms"]


def find(rows, **kw):
    for r in rows:
        if all(r.get(k) == v for k, v in kw.items()) and "fwd_ms" in r:
            return r
    return None


def sd(dtype, backend, dh, causal, n, rows=sdpa):
    return find(rows, dtype=dtype, backend=backend, dh=dh, causal=bool(causal),
                n=n)


APPROX_G = {8: [4], 16: [2, 4], 64: []}
out = []
p = out.append

# ---- times ---------------------------------------------------------------
p("### Forward + backward time, one head (ms)\n")
for dh in (8, 16, 64):
    for causal in (0, 1):
        cols = [f"gpu-approx g={g}" for g in APPROX_G[dh]] + [
            "gpu-exact32", "gpu-exact64", "SDPA bf16 flash",
            "SDPA bf16 efficient", "SDPA fp32 efficient"]
        p(f"d_h = {dh}, {'causal' if causal else 'not causal'}:\n")
        p("| n | " + " | ".join(cols) + " |")
        p("|---" * (len(cols) + 1) + "|")
        for n in NS:
            cells = [fmt_ms(total(find(approx, dh=dh, g=g, causal=causal, n=n,
                                       block_rows=128)))
                     for g in APPROX_G[dh]]
            cells += [fmt_ms(total(find(exact, prec=pr, dh=dh, causal=causal,
                                        n=n, heads=1))) for pr in (32, 64)]
            cells += [fmt_ms(total(sd(dt, be, dh, causal, n)))
                      for dt, be in (("bf16", "flash"), ("bf16", "efficient"),
                                     ("fp32", "efficient"))]
            p(f"| {n} | " + " | ".join(cells) + " |")
        p("")

# ---- the 2^20 comparison ---------------------------------------------------
p("### n = 2^20: gpu-approx against SDPA (ratio = SDPA time / gpu-approx time)\n")
p("| d_h | g | causal | b | gpu-approx ms (run 1 / run 2) | SDPA bf16 flash ms (run 1 / run 2) | vs bf16 flash | SDPA fp32 efficient ms | vs fp32 efficient | >= 5x vs flash | eps | forward bound | normwise err at n = 65536 (O / dQ) |")
p("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
for dh in (8, 16):
    for g in APPROX_G[dh]:
        for causal in (0, 1):
            for b in (128, 256, 64):
                a1 = find(approx, dh=dh, g=g, causal=causal, n=BIG,
                          block_rows=b)
                a2 = find(approx2, dh=dh, g=g, causal=causal, n=BIG,
                          block_rows=b)
                f1 = sd("bf16", "flash", dh, causal, BIG)
                f2 = sd("bf16", "flash", dh, causal, BIG, sdpa2)
                e32 = sd("fp32", "efficient", dh, causal, BIG)
                ta = total(a2 if a1 is None else a1)
                tf = total(f1)
                small = find(approx, dh=dh, g=g, causal=causal, n=65536,
                             block_rows=128)
                rf = tf / ta
                p(f"| {dh} | {g} | {causal} | {b}{'' if b != 128 else ' (default)'} | "
                  f"{fmt_ms(total(a1))} / {fmt_ms(total(a2))} | "
                  f"{fmt_ms(tf)} / {fmt_ms(total(f2))} | {rf:.1f}x | "
                  f"{fmt_ms(total(e32))} | {total(e32) / ta:.1f}x | "
                  f"{'yes' if rf >= 5 else 'NO'} | {(a2 or a1)['eps']:.2g} | "
                  f"{2 * (a2 or a1)['eps'] / (1 - (a2 or a1)['eps']):.2g} max abs U | "
                  f"{e(small['O_norm'])} / {e(small['dQ_norm'])} |")
p("")

# ---- errors of the heads ---------------------------------------------------
p("### Head errors at n = 65536, normwise ||c - t|| / ||t|| (O / dQ / dK / dV)\n")
p("gpu-approx and gpu-exact32 against gpu-exact64 on the same float inputs; "
  "SDPA against float64 on its own (dtype-rounded) inputs.\n")
p("| d_h | causal | method | O | dQ | dK | dV (dU) |")
p("|---|---|---|---|---|---|---|")
for dh in (8, 16, 64):
    for causal in (0, 1):
        rows = []
        for g in APPROX_G[dh]:
            r = find(approx, dh=dh, g=g, causal=causal, n=65536,
                     block_rows=128)
            rows.append((f"gpu-approx g={g}", [r[k + "_norm"] for k in
                                                ("O", "dQ", "dK", "dU")]))
        r = find(approx, dh=dh, causal=causal, n=65536, block_rows=128)
        if r:
            rows.append(("gpu-exact32", [r["exact32_" + k + "_norm"] for k in
                                         ("O", "dQ", "dK", "dU")]))
        for dt, be in (("bf16", "flash"), ("bf16", "efficient"),
                       ("fp32", "efficient")):
            r = sd(dt, be, dh, causal, 65536)
            if r and "O_norm" in r:
                rows.append((f"SDPA {dt} {be}", [r[k + "_norm"] for k in
                                                 ("O", "dQ", "dK", "dV")]))
        for name, v in rows:
            p(f"| {dh} | {causal} | {name} | " + " | ".join(e(x) for x in v)
              + " |")
p("")

p("### gpu-approx forward error against the a-priori bound\n")
p("max|O~ - O| over all entries (O from gpu-exact64) and 2 eps/(1 - eps) "
  "max|U|, eps = R^(g+1) e^R/(g+1)!, R the head's own radius.\n")
p("| d_h | g | causal | n | R | eps | max abs error | bound | inside |")
p("|---|---|---|---|---|---|---|---|---|")
for r in approx:
    if "fwd_bound" in r:
        p(f"| {r['dh']} | {r['g']} | {r['causal']} | {r['n']} | {r['R']:.3f} | "
          f"{r['eps']:.2g} | {r['fwd_maxabs']:.2g} | {r['fwd_bound']:.2g} | "
          f"{'yes' if r['inside_bound'] else 'NO'} |")
p("")

# ---- SDPA validation ---------------------------------------------------------


def validate(run):
    res = {}
    with tarfile.open(os.path.join(D, run, "validate.tar.gz")) as t:
        for m in t.getmembers():
            f = t.extractfile(m)
            if f is None:
                continue
            res[m.name] = f.read().decode()
    return res


v1, v2 = validate("run1"), validate("run2")
combos = []
for line in v1["manifest.txt"].splitlines():
    mode, dt, be, path = line.split(" ", 3)
    combos.append((mode, dt, be, path))

p("### SDPA against the MPFR truth: `attnref check` (profile = the dtype)\n")
p("| mode | dtype | backend | check | loss | act.layers.2 | grad.x | worst parameter gradient | same in run 2 |")
p("|---|---|---|---|---|---|---|---|---|")
for mode, dt, be, path in combos:
    tag = f"{mode}_{dt}_{be}"
    if path.startswith("- "):
        p(f"| {mode} | {dt} | {be} | no kernel ({path[2:]}) | | | | | |")
        continue
    j = json.loads(v1[f"check_{tag}.json"])
    j2 = json.loads(v2[f"check_{tag}.json"])
    t = {x["name"]: x for x in j["tensors"]}
    same = all(a["normwise"] == b["normwise"] for a, b in
               zip(j["tensors"], j2["tensors"]))
    grads = [x for x in j["tensors"] if x["name"].startswith("grad.layers.")]
    w = max(grads, key=lambda x: x["normwise"])
    p(f"| {mode} | {dt} | {be} | {j['passed']}/{j['total']} "
      f"{'PASS' if j['pass'] else 'FAIL'} | {e(t['loss']['normwise'])} | "
      f"{e(t['act.layers.2']['normwise'])} | {e(t['grad.x']['normwise'])} | "
      f"{w['name']} {e(w['normwise'])} | {'yes' if same else 'no'} |")
p("")
p("(Normwise errors ||c - t|| / ||t||; the check itself is element-wise, "
  "|c - t| <= atol max|t| + rtol |t|.)\n")

p("### `attnref audit`: per-layer normwise error, forward (act.layers.l) and backward (grad.act.layers.l)\n")
p("| mode | dtype | backend | fwd l0 | fwd l1 | fwd l2 | bwd l0 | bwd l1 | bwd l2 | wq l0 | wq l1 | wq l2 | wk l2 |")
p("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
for mode, dt, be, path in combos:
    if path.startswith("- "):
        continue
    tag = f"{mode}_{dt}_{be}"
    rows = [r for r in csv.DictReader(io.StringIO(v1[f"audit_{tag}.csv"]))
            if r["kind"] != "geomean"]
    get = {(r["kind"], r["tensor"]): float(r["normwise"]) for r in rows}
    fwd = [get[("forward", f"act.layers.{l}")] for l in range(3)]
    bwd = [get[("backward", f"grad.act.layers.{l}")] for l in range(3)]
    par = {r["tensor"]: float(r["normwise"]) for r in rows
           if r["kind"] not in ("forward", "backward")}
    wq = [par[f"grad.layers.{l}.wq"] for l in range(3)]
    p(f"| {mode} | {dt} | {be} | " + " | ".join(
        e(x) for x in fwd + bwd + wq + [par["grad.layers.2.wk"]]) + " |")
p("")

p("### SDPA alone, per layer: its O, dQ, dK, dV against float64 on its own inputs and cotangent (run 2)\n")
p("| mode | dtype | backend | layer | O | dQ | dK | dV |")
p("|---|---|---|---|---|---|---|---|")
for r in probe:
    if r["dtype"] == "fp64":
        continue
    p(f"| {r['mode']} | {r['dtype']} | {r['backend']} | {r['layer']} | "
      + " | ".join(e(r[k + "_norm"]) for k in ("O", "dQ", "dK", "dV")) + " |")
p("")
print("\n".join(out))
