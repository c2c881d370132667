#!/usr/bin/env python3
"""Runs an attnref case through PyTorch with attention by
torch.nn.functional.scaled_dot_product_attention (SDPA) and writes the
results as an attnref result file, for `attnref check` and `attnref audit`.

usage: export_sdpa_case.py CASE -o OUT [--dtype bf16|fp16|fp32|fp64[,..]]
                           [--backend flash|efficient|cudnn|math|auto|reference[,..]]
                           [--mode model|attention[,..]] [--device cuda|cpu]
                           [--manifest FILE]

The model is tests/interop/torch_model.py's (DESIGN section 2: norms, MLP,
residual, losses, gradients by autograd) with its attention replaced by
SDPA on (1, heads, n, d_h) views of Q, K, U, scale tau, is_causal from the
config. Two modes:
  model      every input is cast to --dtype and is a leaf of the autograd
             graph, so the whole model (not only attention) runs at that
             precision, as a PyTorch user training in that dtype would; the
             results are written in that dtype (BF16, F16, F32 or F64), so
             `attnref check` counts ULPs in it.
  attention  the model runs in float64 and only SDPA runs at --dtype: Q, K,
             U are rounded to the dtype on the way in, SDPA's output widened
             to float64 on the way out (autograd carries the gradients
             through both casts, so SDPA's backward runs at the dtype too).
             The errors against the truth are then SDPA's own (with the
             rounding of its inputs); results written in F64.
--backend reference computes softmax(tau Q K^T [mask]) U explicitly, the
formula SDPA's math backend evaluates, for checking this exporter where
PyTorch has no SDPA (before 2.1, e.g. Debian 12's). Metadata:
attnref.config (the case's), attnref.path
"torch-sdpa-<backend>-<dtype>" (plus "-attention" in attention mode),
attnref.device.

Several comma-separated dtypes, backends or modes run every combination in
one process (PyTorch starts once); OUT then names each file with the
fields {mode}, {dtype} and {backend}, e.g. out/sdpa_{mode}_{dtype}_{backend}.st.
A combination PyTorch has no kernel for (flash attention in fp32, say) is
reported and skipped.

--sdpa-errors FILE (JSON lines) isolates SDPA from the model around it:
for every SDPA call (one per layer, all heads) the forward output O and
the gradients dQ, dK, dV that SDPA returns for the cotangent it receives,
against the same quantities computed in float64 by the explicit formula
from the same inputs (SDPA's own, at the dtype, widened exactly) and the
same cotangent: normwise ||c - t|| / ||t|| and max|c - t| / max|t| per
layer. (The recomputation runs SDPA's forward once more inside the
backward, under the same backend.) --manifest writes one line per combination:
"mode dtype backend FILE" when written, "mode dtype backend - REASON" when
not. One line per combination on stdout too.

Exit 0 when every combination was written (several: when at least one
was), 2 on a bad case, on a single combination with no kernel, or when none
was written.
"""
import argparse
import math
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "interop"))
import st  # noqa: E402

DTYPES = {"bf16": ("bfloat16", "BF16"), "fp16": ("float16", "F16"),
          "fp32": ("float32", "F32"), "fp64": ("float64", "F64")}
BACKENDS = ["flash", "efficient", "cudnn", "math", "auto", "reference"]
MODES = ["model", "attention"]


def csv_of(choices, what):
    def conv(s):
        items = [x for x in s.split(",") if x]
        bad = [x for x in items if x not in choices]
        if bad or not items:
            raise argparse.ArgumentTypeError(
                f"{what}: {','.join(bad) or s!r} not in {sorted(choices)}")
        return items
    return conv


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("case")
    ap.add_argument("-o", "--out", required=True)
    ap.add_argument("--dtype", type=csv_of(DTYPES, "--dtype"),
                    default=["bf16"])
    ap.add_argument("--backend", type=csv_of(BACKENDS, "--backend"),
                    default=["auto"])
    ap.add_argument("--mode", type=csv_of(MODES, "--mode"), default=["model"])
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--manifest")
    ap.add_argument("--sdpa-errors")
    a = ap.parse_args()
    combos = [(m, d, b) for m in a.mode for d in a.dtype for b in a.backend]
    several = len(combos) > 1
    if several and not all(f"{{{f}}}" in a.out or len(set(
            c[i] for c in combos)) == 1
            for i, f in enumerate(("mode", "dtype", "backend"))):
        print("export_sdpa_case.py: -o must name {mode}, {dtype} and "
              "{backend} wherever several are given", file=sys.stderr)
        return 2

    import torch

    import torch_model  # noqa: E402  (sets float64 as torch's default dtype)

    if a.device == "cuda" and not torch.cuda.is_available():
        print("export_sdpa_case.py: no CUDA device", file=sys.stderr)
        return 2
    try:
        arrays, _, meta = st.read(a.case)
        c = st.config_of(meta, a.case)
    except (OSError, st.FormatError, ValueError) as e:
        print(f"export_sdpa_case.py: {e}", file=sys.stderr)
        return 2
    names = st.input_names(c)
    missing = [nm for nm in names if nm not in arrays]
    if missing:
        print(f"export_sdpa_case.py: {a.case}: missing tensors {missing}",
              file=sys.stderr)
        return 2
    device = (torch.cuda.get_device_name(0) if a.device == "cuda" else "cpu")

    written, lines = 0, []
    probe = open(a.sdpa_errors, "w") if a.sdpa_errors else None
    manifest = open(a.manifest, "w") if a.manifest else None

    def note(line):  # the manifest line by line: kept if a later one crashes
        lines.append(line)
        if manifest:
            manifest.write(line + "\n")
            manifest.flush()

    for mode, dname, bname in combos:
        out_path = a.out.format(mode=mode, dtype=dname, backend=bname)
        try:
            out, stname, probed = run_case(torch, torch_model, arrays, names,
                                           c, a.device, mode, dname, bname,
                                           probe is not None)
        except (RuntimeError, ImportError) as e:  # no kernel / no SDPA
            reason = str(e).splitlines()[0] if str(e) else type(e).__name__
            print(f"export_sdpa_case.py: {a.case}: SDPA {bname} {dname} "
                  f"({mode}): {reason}", file=sys.stderr)
            note(f"{mode} {dname} {bname} - {reason}")
            if a.device == "cuda":
                torch.cuda.empty_cache()
            continue
        path = f"torch-sdpa-{bname}-{dname}" + (
            "-attention" if mode == "attention" else "")
        meta_out = {"attnref.config": meta["attnref.config"],
                    "attnref.path": path, "attnref.device": device}
        st.write(out_path, out, meta_out, dtypes={k: stname for k in out})
        written += 1
        note(f"{mode} {dname} {bname} {out_path}")
        if probe:
            import json
            for rec in probed:
                rec.update({"mode": mode, "dtype": dname, "backend": bname})
                probe.write(json.dumps(rec) + "\n")
            probe.flush()
        if several:
            print(f"{mode} {dname} {bname}: wrote {out_path}")
    if manifest:
        manifest.close()
    if several:
        return 0 if written else 2
    return 0 if written == len(combos) else 2


def run_case(torch, torch_model, arrays, names, c, device, mode, dname, bname,
             probe=False):
    """loss, activations and gradients of the case (numpy float64), the
    safetensors dtype to write them in, and with probe the per-layer errors
    of SDPA alone (list of dicts)"""
    import torch.nn.functional as F

    tname, stname = DTYPES[dname]
    dt = getattr(torch, tname)
    # attention mode: the model in float64, SDPA alone at dt
    model_dt = dt if mode == "model" else torch.float64
    sdpa_kernel, backend = None, None
    if bname not in ("auto", "reference"):
        from torch.nn.attention import SDPBackend, sdpa_kernel
        backend = {"flash": SDPBackend.FLASH_ATTENTION,
                   "efficient": SDPBackend.EFFICIENT_ATTENTION,
                   "cudnn": SDPBackend.CUDNN_ATTENTION,
                   "math": SDPBackend.MATH}[bname]

    def reference_sdpa(q, k, v, is_causal, scale):
        s = scale * (q @ k.transpose(-2, -1))
        if is_causal:
            n = s.shape[-1]
            mask = torch.ones(n, n, dtype=torch.bool, device=s.device).tril()
            s = s.masked_fill(~mask, float("-inf"))
        return torch.softmax(s, dim=-1) @ v

    sdpa = (reference_sdpa if bname == "reference"
            else F.scaled_dot_product_attention)
    probed = []

    def errs(rec, name, cand, truth):
        d = cand.detach().to(torch.float64) - truth
        rec[name + "_norm"] = (d.norm() / truth.norm()).item()
        rec[name + "_maxrel"] = (d.abs().max() / truth.abs().max()).item()

    class Probed(torch.autograd.Function):
        """SDPA, whose backward also grades its own results against float64
        (same inputs, same cotangent)"""

        @staticmethod
        def forward(ctx, q, k, v, is_causal, scale):
            ctx.args = (q.detach(), k.detach(), v.detach(), is_causal, scale)
            return sdpa(q, k, v, is_causal=is_causal, scale=scale)

        @staticmethod
        def backward(ctx, go):
            q, k, v, is_causal, scale = ctx.args
            with torch.enable_grad():
                ins = [x.clone().requires_grad_(True) for x in (q, k, v)]
                o = sdpa(*ins, is_causal=is_causal, scale=scale)
                grads = torch.autograd.grad(o, ins, go)
                ins64 = [x.to(torch.float64).requires_grad_(True)
                         for x in (q, k, v)]
                o64 = reference_sdpa(*ins64, is_causal, scale)
                g64 = torch.autograd.grad(o64, ins64, go.to(torch.float64))
            rec = {"layer": len(probed)}
            errs(rec, "O", o, o64.detach())
            for name, cnd, t in zip(("dQ", "dK", "dV"), grads, g64):
                errs(rec, name, cnd, t)
            probed.append(rec)
            return grads[0], grads[1], grads[2], None, None

    def attend(q, k, v, is_causal, scale):
        if probe:
            return Probed.apply(q, k, v, is_causal, scale)
        return sdpa(q, k, v, is_causal=is_causal, scale=scale)

    def sdpa_attention(xn, p, c, bug):
        n, d, heads = c["n"], c["d"], c["heads"]
        dh = d // heads
        tau = (1.0 / math.sqrt(dh)) if c["scale"] is None else float(c["scale"])
        q, k, u = xn @ p["wq"], xn @ p["wk"], xn @ p["wv"]

        def split(m):  # (n, d) -> (1, heads, n, dh), at SDPA's dtype
            return m.view(n, heads, dh).transpose(0, 1).unsqueeze(0).to(dt)

        o = attend(split(q), split(k), split(u), bool(c["causal"]), tau)
        o = o.squeeze(0).transpose(0, 1).reshape(n, d).to(model_dt)
        return o @ p["wo"]

    torch_model.attention = sdpa_attention
    t = {}
    for nm in names:
        if nm == "labels":
            t[nm] = torch.from_numpy(arrays[nm].astype(np.int64)).to(device)
        else:
            t[nm] = (torch.from_numpy(arrays[nm].astype(np.float64))
                     .to(device=device, dtype=model_dt).requires_grad_(True))
    with (sdpa_kernel(backend) if backend is not None else _null()):
        x = t["x"]
        acts = []
        for l in range(c["layers"]):
            pre = f"layers.{l}."
            p = {k[len(pre):]: v for k, v in t.items() if k.startswith(pre)}
            x = torch_model.layer(x, p, c, None)
            x.retain_grad()
            acts.append(x)
        loss = torch_model.loss_of(x, t, c)
        loss.backward()

    def host(v):
        return v.detach().to("cpu", torch.float64).numpy()

    out = {"loss": host(loss).reshape(())}
    for l, act in enumerate(acts):
        out[f"act.layers.{l}"] = host(act)
        out[f"grad.act.layers.{l}"] = host(act.grad)
    for nm in names:
        if nm != "labels":
            out["grad." + nm] = host(t[nm].grad)
    # backward visits the layers last to first: number them as the model
    for rec in probed:
        rec["layer"] = len(probed) - 1 - rec["layer"]
    probed.sort(key=lambda r: r["layer"])
    return out, (stname if mode == "model" else "F64"), probed


class _null:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


if __name__ == "__main__":
    sys.exit(main())
