#!/usr/bin/python3
"""Times torch_model.py's float64 model on a case: forward + backward by
autograd, the way a PyTorch user would compute the gradients; the speed peer
of `attnref bench fast --peer`.

usage: torch_time.py CASE [--threads T] [--reps R]

Prints `seconds: X`, the best of R runs of forward + backward (reading the
case and building the leaf tensors are not timed).
"""
import argparse
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import st  # noqa: E402
import torch_model  # noqa: E402


def forward_backward(t, c):
    """torch_model.run's computation on prepared leaf tensors t."""
    for v in t.values():
        v.grad = None
    x = t["x"]
    for l in range(c["layers"]):
        pre = f"layers.{l}."
        p = {k[len(pre):]: v for k, v in t.items() if k.startswith(pre)}
        x = torch_model.layer(x, p, c, None)
        x.retain_grad()
    loss = torch_model.loss_of(x, t, c)
    loss.backward()
    return loss


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("case")
    ap.add_argument("--threads", type=int, default=0,
                    help="torch.set_num_threads (0: leave torch's default)")
    ap.add_argument("--reps", type=int, default=1)
    a = ap.parse_args()
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    try:
        arrays, _, meta = st.read(a.case)
        c = st.config_of(meta, a.case)
    except (OSError, st.FormatError, ValueError) as e:
        print(f"torch_time.py: {e}", file=sys.stderr)
        return 2
    t = {}
    for nm in st.input_names(c):
        if nm == "labels":
            t[nm] = torch.from_numpy(arrays[nm].astype(np.int64))
        else:
            t[nm] = torch.from_numpy(
                arrays[nm].astype(np.float64)).requires_grad_(True)
    best = None
    for _ in range(max(1, a.reps)):
        t0 = time.perf_counter()
        forward_backward(t, c)
        dt = time.perf_counter() - t0
        best = dt if best is None or dt < best else best
    print(f"threads: {torch.get_num_threads()}")
    print(f"seconds: {best:.6f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
