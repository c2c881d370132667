#!/usr/bin/env python3
"""Runs an attnref case through PyTorch with attention by
torch.nn.functional.scaled_dot_product_attention (SDPA) and writes the
results as an attnref result file, for `attnref check`.

usage: export_sdpa_case.py CASE -o OUT [--dtype bf16|fp16|fp32|fp64]
                           [--backend flash|efficient|cudnn|math|auto|reference]
                           [--device cuda|cpu]

The model is tests/interop/torch_model.py's (DESIGN section 2: norms, MLP,
residual, losses, gradients by autograd) with its attention replaced by
SDPA on (1, heads, n, d_h) views of Q, K, U, scale tau, is_causal from the
config. Every input is cast to --dtype and is a leaf of the autograd graph,
so the whole model (not only attention) runs at that precision, as a
PyTorch user training in that dtype would; the results are written in that
dtype (BF16, F16, F32 or F64), so `attnref check` counts ULPs in it.
--backend reference computes softmax(tau Q K^T [mask]) U explicitly, the
formula SDPA's math backend evaluates, for checking this exporter where
PyTorch has no SDPA (before 2.1, e.g. Debian 12's). Metadata:
attnref.config (the case's), attnref.path
"torch-sdpa-<backend>-<dtype>", attnref.device.

Exit 0, 2 on a bad case or an SDPA backend with no kernel for it.
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


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("case")
    ap.add_argument("-o", "--out", required=True)
    ap.add_argument("--dtype", choices=sorted(DTYPES), default="bf16")
    ap.add_argument("--backend", default="auto",
                    choices=["flash", "efficient", "cudnn", "math", "auto",
                             "reference"])
    ap.add_argument("--device", default="cuda")
    a = ap.parse_args()

    import torch
    import torch.nn.functional as F

    import torch_model  # noqa: E402  (sets float64 as torch's default dtype)

    tname, stname = DTYPES[a.dtype]
    dt = getattr(torch, tname)
    if a.device == "cuda" and not torch.cuda.is_available():
        print("export_sdpa_case.py: no CUDA device", file=sys.stderr)
        return 2
    backend, sdpa_kernel = None, None
    if a.backend not in ("auto", "reference"):
        from torch.nn.attention import SDPBackend, sdpa_kernel
        backend = {"flash": SDPBackend.FLASH_ATTENTION,
                   "efficient": SDPBackend.EFFICIENT_ATTENTION,
                   "cudnn": SDPBackend.CUDNN_ATTENTION,
                   "math": SDPBackend.MATH}[a.backend]

    def reference_sdpa(q, k, v, is_causal, scale):
        s = scale * (q @ k.transpose(-2, -1))
        if is_causal:
            n = s.shape[-1]
            mask = torch.ones(n, n, dtype=torch.bool, device=s.device).tril()
            s = s.masked_fill(~mask, float("-inf"))
        return torch.softmax(s, dim=-1) @ v

    sdpa = (reference_sdpa if a.backend == "reference"
            else F.scaled_dot_product_attention)

    def sdpa_attention(xn, p, c, bug):
        n, d, heads = c["n"], c["d"], c["heads"]
        dh = d // heads
        tau = (1.0 / math.sqrt(dh)) if c["scale"] is None else float(c["scale"])
        q, k, u = xn @ p["wq"], xn @ p["wk"], xn @ p["wv"]

        def split(m):  # (n, d) -> (1, heads, n, dh)
            return m.view(n, heads, dh).transpose(0, 1).unsqueeze(0)

        o = sdpa(split(q), split(k), split(u), is_causal=bool(c["causal"]),
                 scale=tau)
        return o.squeeze(0).transpose(0, 1).reshape(n, d) @ p["wo"]

    torch_model.attention = sdpa_attention
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
    t = {}
    for nm in names:
        if nm == "labels":
            t[nm] = torch.from_numpy(arrays[nm].astype(np.int64)).to(a.device)
        else:
            t[nm] = (torch.from_numpy(arrays[nm].astype(np.float64))
                     .to(device=a.device, dtype=dt).requires_grad_(True))
    try:
        ctx = sdpa_kernel(backend) if backend is not None else _null()
        with ctx:
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
    except RuntimeError as e:
        print(f"export_sdpa_case.py: {a.case}: SDPA {a.backend} {a.dtype}: "
              f"{str(e).splitlines()[0]}", file=sys.stderr)
        return 2

    def host(v):
        return v.detach().to("cpu", torch.float64).numpy()

    out = {"loss": host(loss).reshape(())}
    for l, act in enumerate(acts):
        out[f"act.layers.{l}"] = host(act)
        out[f"grad.act.layers.{l}"] = host(act.grad)
    for nm in names:
        if nm != "labels":
            out["grad." + nm] = host(t[nm].grad)
    device = (torch.cuda.get_device_name(0) if a.device == "cuda" else "cpu")
    meta_out = {"attnref.config": meta["attnref.config"],
                "attnref.path": f"torch-sdpa-{a.backend}-{a.dtype}",
                "attnref.device": device}
    st.write(a.out, out, meta_out, dtypes={k: stname for k in out})
    return 0


class _null:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


if __name__ == "__main__":
    sys.exit(main())
