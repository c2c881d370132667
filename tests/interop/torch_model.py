#!/usr/bin/python3
"""The attnref model (DESIGN §2) in plain float64 PyTorch, gradients by
autograd: an independent implementation to check attnref's truth against.

usage: torch_model.py CASE -o OUT [--bug scale-twice|softmax-columns]

Writes loss, act.layers.{l}, grad.<input> (every input but labels) and
grad.act.layers.{l}, all F64. --bug plants exactly one bug, for the tests
that show `attnref check` catches a wrong implementation.
"""
import argparse
import math
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import st  # noqa: E402

torch.set_default_dtype(torch.float64)


def norm(x, kind, eps, weight, bias):
    if kind == "layernorm":
        mean = x.mean(dim=-1, keepdim=True)
        var = ((x - mean) ** 2).mean(dim=-1, keepdim=True)  # biased
        return (x - mean) / torch.sqrt(var + eps) * weight + bias
    if kind == "rmsnorm":
        return x / torch.sqrt((x * x).mean(dim=-1, keepdim=True) + eps) * weight
    return x


def attention(xn, p, c, bug):
    n, d, heads = c["n"], c["d"], c["heads"]
    dh = d // heads
    tau = (1.0 / math.sqrt(dh)) if c["scale"] is None else float(c["scale"])
    q, k, u = xn @ p["wq"], xn @ p["wk"], xn @ p["wv"]
    outs = []
    for h in range(heads):
        cols = slice(h * dh, (h + 1) * dh)
        s = tau * (q[:, cols] @ k[:, cols].T)
        if bug == "scale-twice":
            s = tau * s
        a = torch.exp(s)
        if c["causal"]:
            a = a * torch.tril(torch.ones(n, n))
        axis = 0 if bug == "softmax-columns" else 1
        f = a / a.sum(dim=axis, keepdim=True)
        outs.append(f @ u[:, cols])
    return torch.cat(outs, dim=1) @ p["wo"]


def layer(x, p, c, bug):
    has_norm = c["norm"] != "none"
    xn = norm(x, c["norm"], c["norm_eps"], p.get("norm1.weight"),
              p.get("norm1.bias")) if has_norm else x
    att = attention(xn, p, c, bug)
    y = x + att if c["residual"] else att
    if c["mlp"] == 0:
        return y
    yn = norm(y, c["norm"], c["norm_eps"], p.get("norm2.weight"),
              p.get("norm2.bias")) if has_norm else y
    pre = yn @ p["mlp.w1"] + p["mlp.b1"]
    if c["activation"] == "gelu":
        hid = torch.nn.functional.gelu(pre)  # exact erf form
    else:
        hid = torch.relu(pre)  # relu'(0) = 0 in torch too
    out = hid @ p["mlp.w2"] + p["mlp.b2"]
    return y + out if c["residual"] else out


def loss_of(xl, t, c):
    if c["loss"] == "mse":
        return 0.5 * ((xl - t["target"]) ** 2).sum()
    if c["loss"] == "linear":
        return (xl * t["cotangent"]).sum()
    logits = xl @ t["unembed"]
    labels = t["labels"]
    picked = logits.gather(1, labels.view(-1, 1)).view(-1)
    return (torch.logsumexp(logits, dim=1) - picked).mean()


def run(case_path, bug=None):
    arrays, _, meta = st.read(case_path)
    c = st.config_of(meta, case_path)
    names = st.input_names(c)
    missing = [nm for nm in names if nm not in arrays]
    if missing:
        raise st.FormatError(f"{case_path}: missing tensors {missing}")
    t = {}
    for nm in names:
        if nm == "labels":
            t[nm] = torch.from_numpy(arrays[nm].astype(np.int64))
        else:
            t[nm] = torch.from_numpy(arrays[nm].astype(np.float64)).requires_grad_(True)
    x = t["x"]
    acts = []
    for l in range(c["layers"]):
        pre = f"layers.{l}."
        p = {k[len(pre):]: v for k, v in t.items() if k.startswith(pre)}
        x = layer(x, p, c, bug)
        x.retain_grad()
        acts.append(x)
    loss = loss_of(x, t, c)
    loss.backward()
    out = {"loss": loss.detach().numpy().reshape(())}
    for l, a in enumerate(acts):
        out[f"act.layers.{l}"] = a.detach().numpy()
        out[f"grad.act.layers.{l}"] = a.grad.numpy()
    for nm in names:
        if nm != "labels":
            out["grad." + nm] = t[nm].grad.numpy()
    return out, meta["attnref.config"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("case")
    ap.add_argument("-o", "--out", required=True)
    ap.add_argument("--bug", choices=["scale-twice", "softmax-columns"])
    a = ap.parse_args()
    try:
        out, config_json = run(a.case, a.bug)
    except (OSError, st.FormatError, ValueError) as e:
        print(f"torch_model.py: {e}", file=sys.stderr)
        return 2
    meta = {"attnref.config": config_json, "attnref.path": "torch-fp64"}
    if a.bug:
        meta["interop.bug"] = a.bug
    st.write(a.out, out, meta)
    return 0


if __name__ == "__main__":
    sys.exit(main())
