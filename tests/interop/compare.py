#!/usr/bin/python3
"""Compares two result files tensor by tensor (a comparer independent of
`attnref check`).

usage: compare.py A B --exact        every double equal bit for bit
       compare.py A B --rtol R       |a-b| <= R * max|A's tensor| per tensor

Both files must hold the same tensor names (ignoring double-double `@lo`
parts) with the same shapes. Exact mode treats +0 and -0 as equal (mpmath
has no negative zero) and reports the first mismatches with their bits.
Exit 0 on agreement, 1 on any difference, 2 on unreadable input.
"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import st  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("a")
    ap.add_argument("b")
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--exact", action="store_true")
    g.add_argument("--rtol", type=float)
    ap.add_argument("--show", type=int, default=10, help="mismatches to print")
    args = ap.parse_args()
    try:
        ta, da, _ = st.read(args.a)
        tb, db, _ = st.read(args.b)
    except (OSError, st.FormatError) as e:
        print(f"compare.py: {e}", file=sys.stderr)
        return 2
    na = {k for k in ta if not k.endswith("@lo")}
    nb = {k for k in tb if not k.endswith("@lo")}
    bad = 0
    for k in sorted(na ^ nb):
        print(f"tensor {k}: only in {args.a if k in na else args.b}")
        bad += 1
    shown = 0
    worst = (0.0, None)
    for k in sorted(na & nb):
        a, b = ta[k], tb[k]
        if a.shape != b.shape:
            print(f"tensor {k}: shape {list(a.shape)} vs {list(b.shape)}")
            bad += 1
            continue
        if da[k] != "F64" or db[k] != "F64":
            print(f"tensor {k}: dtype {da[k]} vs {db[k]} (results must be F64)")
            bad += 1
            continue
        fa, fb = a.reshape(-1), b.reshape(-1)
        if args.exact:
            ba = np.where(fa == 0, 0.0, fa).view(np.uint64)
            bb = np.where(fb == 0, 0.0, fb).view(np.uint64)
            idx = np.nonzero(ba != bb)[0]
            for i in idx:
                if shown < args.show:
                    diff = abs(int(ba[i]) - int(bb[i])) if np.sign(fa[i]) == np.sign(fb[i]) else None
                    print(f"tensor {k}[{i}]: {fa[i]!r} ({int(ba[i]):016x}) vs "
                          f"{fb[i]!r} ({int(bb[i]):016x})"
                          + (f", {diff} ulp apart" if diff is not None else ""))
                    shown += 1
            bad += len(idx)
        else:
            scale = float(np.max(np.abs(fa))) if fa.size else 0.0
            err = float(np.max(np.abs(fa - fb))) if fa.size else 0.0
            rel = err / scale if scale > 0 else (0.0 if err == 0 else float("inf"))
            if rel > worst[0]:
                worst = (rel, k)
            if not (rel <= args.rtol):
                print(f"tensor {k}: max |a-b| / max|a| = {rel:.3e} > {args.rtol:g}")
                bad += 1
    total = sum(ta[k].size for k in na & nb)
    if args.exact:
        print(f"{len(na & nb)} tensors, {total} doubles compared bit for bit: "
              f"{bad} differ")
    else:
        print(f"{len(na & nb)} tensors compared: worst relative difference "
              f"{worst[0]:.3e} ({worst[1]}); {bad} over {args.rtol:g}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
