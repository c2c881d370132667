#!/usr/bin/python3
"""Why the fused SDPA backends' dQ is less accurate than the math backend's
on the validation case (REPORT.md, "SDPA alone"): one rounding at a time, in
float64 arithmetic, on the case's own per-layer attention inputs.

usage: dq_rounded_o.py CASE [bf16|fp16|fp32]

For each layer's attention (all heads): the exact dQ of softmax attention
(P = softmax(tau Q K^T, causal), O = P V, dP = dO V^T,
D_i = <dO_i, O_i>, dQ = tau (P o (dP - D)) K) against the same formula with
(a) Q, K, V, dO rounded to the dtype and everything else exact, (b) only
D_i computed from O rounded to the dtype (what FlashAttention-style
kernels do: D_i = <dO_i, O_i> from the stored output), (c) both. Prints
normwise ||dQ' - dQ|| / ||dQ|| for each. Runs on the CPU (Debian's torch).
"""
import math
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "tests", "interop"))
import st  # noqa: E402
import torch_model  # noqa: E402

torch.set_default_dtype(torch.float64)
RD = {"bf16": torch.bfloat16, "fp16": torch.float16,
      "fp32": torch.float32}[sys.argv[2] if len(sys.argv) > 2 else "bf16"]


def rnd(z):
    return z.to(RD).to(torch.float64)


arrays, _, meta = st.read(sys.argv[1])
c = st.config_of(meta, sys.argv[1])
t = {}
for nm in st.input_names(c):
    a = arrays[nm]
    t[nm] = (torch.from_numpy(a.astype(np.int64)) if nm == "labels" else
             torch.from_numpy(a.astype(np.float64)).requires_grad_(True))
caught = []


def attention(xn, p, c, bug):  # torch_model's, keeping Q, K, V, O per layer
    n, d, H = c["n"], c["d"], c["heads"]
    dh = d // H
    tau = 1 / math.sqrt(dh) if c["scale"] is None else float(c["scale"])

    def split(m):
        return m.view(n, H, dh).transpose(0, 1)

    q, k, u = (split(xn @ p[w]) for w in ("wq", "wk", "wv"))
    s = tau * q @ k.transpose(1, 2)
    if c["causal"]:
        s = s.masked_fill(torch.ones(n, n, dtype=torch.bool).triu(1),
                          -float("inf"))
    o = torch.softmax(s, -1) @ u
    o.retain_grad()
    caught.append((q, k, u, o, tau))
    return o.transpose(0, 1).reshape(n, d) @ p["wo"]


torch_model.attention = attention
x = t["x"]
for l in range(c["layers"]):
    pre = f"layers.{l}."
    x = torch_model.layer(x, {k[len(pre):]: v for k, v in t.items()
                              if k.startswith(pre)}, c, None)
torch_model.loss_of(x, t, c).backward()

for l, (q, k, u, o, tau) in enumerate(caught):
    q, k, u, go = (z.detach() for z in (q, k, u, o.grad))
    n = q.shape[1]

    def dq(q, k, u, go, o_for_d=lambda o: o):
        s = tau * q @ k.transpose(1, 2)
        if c["causal"]:
            s = s.masked_fill(torch.ones(n, n, dtype=torch.bool).triu(1),
                              -float("inf"))
        P = torch.softmax(s, -1)
        O = P @ u
        D = (go * o_for_d(O)).sum(-1, keepdim=True)
        return tau * (P * (go @ u.transpose(1, 2) - D)) @ k

    ref = dq(q, k, u, go)

    def err(a):
        return ((a - ref).norm() / ref.norm()).item()

    print(f"layer {l}: ||dQ|| {ref.norm():.3e}; (a) inputs rounded "
          f"{err(dq(rnd(q), rnd(k), rnd(u), rnd(go))):.2e}; (b) D from "
          f"rounded O {err(dq(q, k, u, go, rnd)):.2e}; (c) both "
          f"{err(dq(rnd(q), rnd(k), rnd(u), rnd(go), rnd)):.2e}")
