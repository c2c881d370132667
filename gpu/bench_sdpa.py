#!/usr/bin/env python3
"""PyTorch SDPA forward + backward timing on the GPU, the speed peer of
attnref_gpu_bench (our CUDA heads).

usage: bench_sdpa.py [--n 4096,16384,...] [--dh 8,16,64] [--heads 1]
                     [--dtype bf16,fp32] [--backend flash,efficient]
                     [--combos bf16:flash,fp32:efficient] [--causal 0,1]
                     [--reps 3] [--max-seconds 40] [--big-n 262144]
                     [--inputs uniform|randn] [--R 1] [--err-n 65536]
                     [--out results.jsonl]

For each configuration: q, k, v, g of shape (1, heads, n, dh), one warm-up,
then the best of --reps of F.scaled_dot_product_attention forward and
o.backward(g) timed with CUDA events, under
torch.nn.attention.sdpa_kernel(backend). n > --big-n: the warm-up on the
first 4096 rows, then one timed run (these take seconds each). TFLOP/s are
counted the FlashAttention way (forward 4 n^2 dh per head, backward 2.5
times that, half of each when causal). --combos (dtype:backend pairs)
replaces the product of --dtype and --backend.

Inputs (--inputs uniform, the default, as attnref_gpu_bench's gpu-approx):
q, k uniform in [-a, a)^dh with a = sqrt(R / (tau dh)), tau = 1/sqrt(dh),
so tau |q_i| |k_j| <= R; v, g uniform in [-1, 1); drawn in float32 and
rounded to the dtype. --inputs randn: standard normal.

Errors (n <= --err-n, first head): SDPA's O, dQ, dK, dV against an fp64
reference computed from the same (dtype-rounded) inputs by explicit
softmax attention in row chunks (forward and the exact backward formulas),
so they measure SDPA's arithmetic, not the rounding of its inputs:
normwise ||c - t|| / ||t|| and max|c - t| / max|t|.

A configuration is skipped, with the reason, when its arrays would not fit
in 80% of the free device memory, when its estimated time (from the last
measured rate of the same dtype and backend) exceeds --max-seconds per
forward + backward, or when PyTorch has no kernel for it (flash attention
has no fp32). One JSON object per configuration to --out; a table on
stdout.
"""
import argparse
import json
import math
import sys
import time

DEVICE = "cuda"  # (the tests run the loop on the CPU with stand-ins)


def parse_list(s, conv=int):
    return [conv(x) for x in s.split(",") if x]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", default="4096,16384,65536,262144,1048576")
    ap.add_argument("--dh", default="8,16,64")
    ap.add_argument("--heads", type=int, default=1)
    ap.add_argument("--dtype", default="bf16,fp32")
    ap.add_argument("--backend", default="flash,efficient")
    ap.add_argument("--causal", default="0,1")
    ap.add_argument("--combos", help="dtype:backend pairs, e.g. "
                    "bf16:flash,fp32:efficient (replaces --dtype x --backend)")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--max-seconds", type=float, default=40.0)
    ap.add_argument("--big-n", type=int, default=262144)
    ap.add_argument("--inputs", choices=["uniform", "randn"], default="uniform")
    ap.add_argument("--R", type=float, default=1.0)
    ap.add_argument("--err-n", type=int, default=65536)
    ap.add_argument("--out")
    a = ap.parse_args()
    if a.combos:
        combos = [tuple(c.split(":")) for c in parse_list(a.combos, str)]
    else:
        combos = [(d, b) for d in parse_list(a.dtype, str)
                  for b in parse_list(a.backend, str)]

    import torch
    import torch.nn.functional as F
    from torch.nn.attention import SDPBackend, sdpa_kernel

    if not torch.cuda.is_available():
        print("bench_sdpa.py: no CUDA device", file=sys.stderr)
        return 2
    dtypes = {"bf16": torch.bfloat16, "fp16": torch.float16,
              "fp32": torch.float32, "fp64": torch.float64}
    backends = {"flash": SDPBackend.FLASH_ATTENTION,
                "efficient": SDPBackend.EFFICIENT_ATTENTION,
                "math": SDPBackend.MATH,
                "cudnn": SDPBackend.CUDNN_ATTENTION}
    dev = torch.cuda.get_device_name(0)
    print(f"# torch {torch.__version__}, device {dev}, inputs {a.inputs}"
          + (f" R={a.R}" if a.inputs == "uniform" else ""))
    out = open(a.out, "w") if a.out else None
    rate = {}  # (dtype, backend) -> last measured flop/s (fwd+bwd)
    print(f"{'dtype':5} {'backend':9} {'causal':6} {'dh':>3} {'n':>8} "
          f"{'fwd ms':>10} {'bwd ms':>10} {'fwd TF/s':>9} {'bwd TF/s':>9} "
          f"{'err O':>8} {'err dQ':>8} {'err dK':>8} {'err dV':>8}")
    for dname, bname in combos:
        for causal in parse_list(a.causal):
            for dh in parse_list(a.dh):
                for n in parse_list(a.n):
                    rec = {"dtype": dname, "backend": bname,
                           "causal": bool(causal), "dh": dh, "n": n,
                           "heads": a.heads, "device": dev,
                           "torch": torch.__version__,
                           "inputs": a.inputs}
                    if a.inputs == "uniform":
                        rec["R"] = a.R
                    fl = 4.0 * n * n * dh * a.heads * (0.5 if causal else 1)
                    dt = dtypes[dname]
                    esize = torch.tensor([], dtype=dt).element_size()
                    # q k v o g dq dk dv + lse, delta (fp32) + workspace
                    need = (9 * n * dh * esize + 8 * n) * a.heads
                    free, _ = torch.cuda.mem_get_info()
                    key = (dname, bname)
                    est = 3.5 * fl / rate[key] if key in rate else 0
                    if need > 0.8 * free:
                        rec["skipped"] = f"memory: {need / 2**30:.1f} GiB"
                    elif est > a.max_seconds:
                        rec["skipped"] = f"estimated {est:.1f} s"
                    else:
                        try:
                            rec.update(time_one(torch, F, sdpa_kernel,
                                                backends[bname], dt, n,
                                                dh, a.heads, causal,
                                                a.reps, a, n <= a.err_n))
                            rate[key] = 3.5 * fl / (
                                (rec["fwd_ms"] + rec["bwd_ms"]) * 1e-3)
                        except RuntimeError as e:
                            msg = str(e).splitlines()[0][:120]
                            rec["skipped"] = ("no kernel: " if "kernel" in
                                              msg else "error: ") + msg
                            torch.cuda.empty_cache()
                    if "skipped" in rec:
                        print(f"{dname:5} {bname:9} {causal:6} {dh:3} "
                              f"{n:8}  skipped: {rec['skipped']}")
                    else:
                        rec["fwd_tflops"] = fl / (rec["fwd_ms"] * 1e-3) / 1e12
                        rec["bwd_tflops"] = 2.5 * fl / (rec["bwd_ms"] * 1e-3) / 1e12
                        errs = "".join(
                            f" {rec[t + '_norm']:8.2e}" if t + "_norm"
                            in rec else f" {'-':>8}"
                            for t in ("O", "dQ", "dK", "dV"))
                        print(f"{dname:5} {bname:9} {causal:6} {dh:3} "
                              f"{n:8} {rec['fwd_ms']:10.3f} "
                              f"{rec['bwd_ms']:10.3f} "
                              f"{rec['fwd_tflops']:9.2f} "
                              f"{rec['bwd_tflops']:9.2f}" + errs)
                    sys.stdout.flush()
                    if out:
                        out.write(json.dumps(rec) + "\n")
                        out.flush()
    return 0


def inputs_of(torch, a, shape, dt, causal):
    """q, k, v, g as described in the module docstring, in dtype dt"""
    dh = shape[-1]
    if a.inputs == "randn":
        qkvg = [torch.randn(shape, device=DEVICE, dtype=torch.float32)
                for _ in range(4)]
    else:
        tau = 1.0 / math.sqrt(dh)
        amp = math.sqrt(a.R / (tau * dh))
        qkvg = [(torch.rand(shape, device=DEVICE, dtype=torch.float32) * 2 - 1)
                * (amp if i < 2 else 1.0) for i in range(4)]
    return [x.to(dt) for x in qkvg]


def time_one(torch, F, sdpa_kernel, backend, dt, n, dh, heads, causal, reps,
             a, errors):
    shape = (1, heads, n, dh)
    qi, ki, vi, g = inputs_of(torch, a, shape, dt, causal)
    q, k, v = (x.requires_grad_(True) for x in (qi, ki, vi))
    ev = [torch.cuda.Event(enable_timing=True) for _ in range(3)]
    best_f = best_b = math.inf
    big = n > a.big_n
    nrep = 1 if big else reps
    res = {}
    try:
        with sdpa_kernel(backend):
            for rep in range(nrep + 1):  # rep 0: warm-up
                q.grad = k.grad = v.grad = None
                m = min(n, 4096) if big and rep == 0 else n
                qq, kk, vv, gg = (x[:, :, :m] for x in (q, k, v, g))
                torch.cuda.synchronize()
                ev[0].record()
                o = F.scaled_dot_product_attention(qq, kk, vv,
                                                   is_causal=bool(causal))
                ev[1].record()
                o.backward(gg)
                ev[2].record()
                ev[2].synchronize()
                if rep:
                    best_f = min(best_f, ev[0].elapsed_time(ev[1]))
                    best_b = min(best_b, ev[1].elapsed_time(ev[2]))
            if errors:
                res = sdpa_errors(torch, q, k, v, g, o, causal)
            del o
    finally:
        del q, k, v, g
        torch.cuda.empty_cache()
    res.update({"fwd_ms": best_f, "bwd_ms": best_b, "reps": nrep,
                "warmup_n": min(n, 4096) if big else n})
    return res


def reference(torch, q, k, v, g, causal, chunk=2048):
    """fp64 O, dQ, dK, dV of softmax(tau q k^T [mask]) v with cotangent g,
    explicitly, chunk query rows at a time (q .. g: (n, dh) float64)"""
    n, dh = q.shape
    tau = 1.0 / math.sqrt(dh)
    o, dq = torch.empty_like(q), torch.empty_like(q)
    dk, dv = torch.zeros_like(k), torch.zeros_like(v)
    for s in range(0, n, chunk):
        e = min(n, s + chunk)
        m = e if causal else n  # keys a causal chunk can see
        kk, vv = k[:m], v[:m]
        sc = tau * (q[s:e] @ kk.T)
        if causal:
            i = torch.arange(s, e, device=q.device)[:, None]
            j = torch.arange(m, device=q.device)[None, :]
            sc = sc.masked_fill(j > i, float("-inf"))
        p = torch.softmax(sc, dim=-1)
        ob = p @ vv
        o[s:e] = ob
        ds = p * (g[s:e] @ vv.T - (g[s:e] * ob).sum(-1, keepdim=True))
        dq[s:e] = tau * (ds @ kk)
        dk[:m] += tau * (ds.T @ q[s:e])
        dv[:m] += p.T @ g[s:e]
    return o, dq, dk, dv


def sdpa_errors(torch, q, k, v, g, o, causal):
    """errors of SDPA's O and gradients (first head) against reference()"""
    d = lambda x: x[0, 0].detach().to(torch.float64)  # noqa: E731
    ref = reference(torch, d(q), d(k), d(v), d(g), causal)
    out = {}
    for name, c, t in zip(("O", "dQ", "dK", "dV"),
                          (o, q.grad, k.grad, v.grad), ref):
        c = d(c)
        diff = c - t
        out[name + "_norm"] = (diff.norm() / t.norm()).item()
        out[name + "_maxrel"] = (diff.abs().max() / t.abs().max()).item()
    return out


if __name__ == "__main__":
    t0 = time.time()
    rc = main()
    print(f"# {time.time() - t0:.1f} s", file=sys.stderr)
    sys.exit(rc)
