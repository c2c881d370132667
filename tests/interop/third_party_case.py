#!/usr/bin/python3
"""Writes a case file with a writer that is not attnref's (st.py), laid out
unlike `attnref gen` on purpose: header length not a multiple of 8 (so the
data is unaligned), indented JSON with the metadata last, tensor data in a
shuffled (non-alphabetical) offset order, several inputs stored as F32 and
one as BF16, and extra __metadata__ keys besides attnref.config.

usage: third_party_case.py OUT [--config JSON] [--seed S] [--bound B] [--all-f64]

The default config covers many features at a small size: n=6 d=4 heads=2
layers=2 causal layernorm mlp=5 gelu xent vocab=5. Values are uniform in
[-B, B] (norm weights in [1-B/2, 1+B/2]); F32/BF16 tensors hold those values
rounded to their dtype, which readers widen exactly.
"""
import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import st  # noqa: E402

DEFAULT = {"n": 6, "d": 4, "heads": 2, "layers": 2, "causal": True,
           "norm": "layernorm", "mlp": 5, "activation": "gelu",
           "loss": "xent", "vocab": 5}


def shape_of(c, name):
    n, d, m = c["n"], c["d"], c.get("mlp", 0)
    if name in ("x", "target", "cotangent"):
        return (n, d)
    if name == "unembed":
        return (d, c["vocab"])
    if name == "labels":
        return (n,)
    leaf = name.split(".", 2)[2]
    return {"wq": (d, d), "wk": (d, d), "wv": (d, d), "wo": (d, d),
            "norm1.weight": (d,), "norm1.bias": (d,), "norm2.weight": (d,),
            "norm2.bias": (d,), "mlp.w1": (d, m), "mlp.b1": (m,),
            "mlp.w2": (m, d), "mlp.b2": (d,)}[leaf]


def make(config, seed, bound, all_f64=False):
    c = st.config_of({"attnref.config": json.dumps(config)})
    rng = np.random.default_rng(seed)
    tensors, dtypes = {}, {}
    names = st.input_names(c)
    for name in names:
        shp = shape_of(c, name)
        if name == "labels":
            tensors[name] = rng.integers(0, c["vocab"], size=shp, dtype=np.int64)
            continue
        v = rng.uniform(-bound, bound, size=shp)
        if name.endswith("norm1.weight") or name.endswith("norm2.weight"):
            v = 1.0 + v / 2
        tensors[name] = v
    if not all_f64:
        # x and every wv as F32, the first layer's wq as BF16; the rest F64.
        for name in names:
            if name == "x" or name.endswith(".wv"):
                dtypes[name] = "F32"
        dtypes["layers.0.wq"] = "BF16"
    order = list(names)
    rng.shuffle(order)
    if order == sorted(order):  # make sure the layout is not alphabetical
        order.reverse()
    return tensors, dtypes, order


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--config", help="config JSON (default: %s)" % json.dumps(DEFAULT))
    ap.add_argument("--seed", type=int, default=20240517)
    ap.add_argument("--bound", type=float, default=1.0)
    ap.add_argument("--all-f64", action="store_true",
                    help="store every float input as F64 (layout still shuffled)")
    a = ap.parse_args()
    config = json.loads(a.config) if a.config else DEFAULT
    tensors, dtypes, order = make(config, a.seed, a.bound, a.all_f64)
    # Metadata: extra keys of the kind other writers leave, config not first.
    meta = {"format": "pt", "writer": "attnref tests/interop/third_party_case.py",
            "attnref.config": json.dumps(config, sort_keys=False),
            "seed": str(a.seed)}
    st.write(a.out, tensors, meta, dtypes=dtypes, order=order, pad_to=1,
             header_indent=1, metadata_last=True, misalign=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
