#!/usr/bin/env python3
"""PyTorch SDPA forward + backward timing on the GPU, the speed peer of
attnref_gpu_bench (our CUDA heads).

usage: bench_sdpa.py [--n 4096,16384,...] [--dh 8,16,64] [--heads 1]
                     [--dtype bf16,fp32] [--backend flash,efficient]
                     [--causal 0,1] [--reps 3] [--max-seconds 4]
                     [--out results.jsonl]

For each configuration: q, k, v of shape (1, heads, n, dh) (randn), one
warm-up, then the best of --reps of F.scaled_dot_product_attention forward
and o.backward(g) timed with CUDA events, under
torch.nn.attention.sdpa_kernel(backend). TFLOP/s are counted the
FlashAttention way (forward 4 n^2 dh per head, backward 2.5 times that,
half of each when causal). A configuration is skipped, with the reason,
when its arrays would not fit in 80% of the free device memory, when its
estimated time (from the last measured rate of the same dtype and backend)
exceeds --max-seconds per forward + backward, or when PyTorch has no kernel
for it (flash attention has no fp32). One JSON object per configuration to
--out; a table on stdout.
"""
import argparse
import json
import math
import sys
import time


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
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--max-seconds", type=float, default=4.0)
    ap.add_argument("--out")
    a = ap.parse_args()

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
    print(f"# torch {torch.__version__}, device {dev}")
    out = open(a.out, "w") if a.out else None
    rate = {}  # (dtype, backend) -> last measured flop/s (fwd+bwd)
    print(f"{'dtype':5} {'backend':9} {'causal':6} {'dh':>3} {'n':>8} "
          f"{'fwd ms':>10} {'bwd ms':>10} {'fwd TF/s':>9} {'bwd TF/s':>9}")
    for dname in parse_list(a.dtype, str):
        for bname in parse_list(a.backend, str):
            for causal in parse_list(a.causal):
                for dh in parse_list(a.dh):
                    for n in parse_list(a.n):
                        rec = {"dtype": dname, "backend": bname,
                               "causal": bool(causal), "dh": dh, "n": n,
                               "heads": a.heads, "device": dev,
                               "torch": torch.__version__}
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
                                                    a.reps))
                                rate[key] = 3.5 * fl / (
                                    (rec["fwd_ms"] + rec["bwd_ms"]) * 1e-3)
                            except RuntimeError as e:
                                msg = str(e).splitlines()[0][:120]
                                rec["skipped"] = "no kernel: " + msg
                                torch.cuda.empty_cache()
                        if "skipped" in rec:
                            print(f"{dname:5} {bname:9} {causal:6} {dh:3} "
                                  f"{n:8}  skipped: {rec['skipped']}")
                        else:
                            rec["fwd_tflops"] = fl / (rec["fwd_ms"] * 1e-3) / 1e12
                            rec["bwd_tflops"] = 2.5 * fl / (rec["bwd_ms"] * 1e-3) / 1e12
                            print(f"{dname:5} {bname:9} {causal:6} {dh:3} "
                                  f"{n:8} {rec['fwd_ms']:10.3f} "
                                  f"{rec['bwd_ms']:10.3f} "
                                  f"{rec['fwd_tflops']:9.2f} "
                                  f"{rec['bwd_tflops']:9.2f}")
                        sys.stdout.flush()
                        if out:
                            out.write(json.dumps(rec) + "\n")
                            out.flush()
    return 0


def time_one(torch, F, sdpa_kernel, backend, dt, n, dh, heads, causal, reps):
    shape = (1, heads, n, dh)
    q, k, v = (torch.randn(shape, device="cuda", dtype=dt, requires_grad=True)
               for _ in range(3))
    g = torch.randn(shape, device="cuda", dtype=dt)
    ev = [torch.cuda.Event(enable_timing=True) for _ in range(3)]
    best_f = best_b = math.inf
    try:
        with sdpa_kernel(backend):
            for rep in range(reps + 1):  # rep 0: warm-up
                q.grad = k.grad = v.grad = None
                torch.cuda.synchronize()
                ev[0].record()
                o = F.scaled_dot_product_attention(q, k, v, is_causal=bool(causal))
                ev[1].record()
                o.backward(g)
                ev[2].record()
                ev[2].synchronize()
                if rep:
                    best_f = min(best_f, ev[0].elapsed_time(ev[1]))
                    best_b = min(best_b, ev[1].elapsed_time(ev[2]))
                del o
    finally:
        del q, k, v, g
        torch.cuda.empty_cache()
    return {"fwd_ms": best_f, "bwd_ms": best_b, "reps": reps}


if __name__ == "__main__":
    t0 = time.time()
    rc = main()
    print(f"# {time.time() - t0:.1f} s", file=sys.stderr)
    sys.exit(rc)
