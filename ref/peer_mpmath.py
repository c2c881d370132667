#!/usr/bin/python3
"""An independent high-precision peer of attnref's reference: the model of
DESIGN §2 in mpmath, differentiated by a small reverse-mode autodiff tape over
scalars, so its gradients share nothing with the reference's hand-derived
adjoints (only the chain rule and each scalar operation's own derivative).

usage: peer_mpmath.py CASE [--dps D] [-o OUT]

Prints `seconds: X` (forward + backward wall time, file I/O excluded). With
-o writes loss, act.layers.{l}, grad.<input> (every input but labels) and
grad.act.layers.{l}, each value rounded to the nearest double (ties to even)
from its working-precision value, as F64 safetensors.

Values are mpmath's raw mpf tuples and operations its libmp functions at a
fixed precision (mpmath's mpf objects only wrap these); a sum or dot product
forms its terms exactly and rounds once.
"""
import argparse
import math
import os
import sys
import time

import numpy as np
from mpmath import libmp
from mpmath.libmp import (fone, fzero, from_float, from_int, mpf_add,
                          mpf_div, mpf_erf, mpf_exp, mpf_log, mpf_mul,
                          mpf_neg, mpf_pi, mpf_sqrt, mpf_sub, mpf_sum,
                          round_nearest)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tests", "interop"))
import st  # noqa: E402

RND = round_nearest


class Tape:
    """Node i holds a value val[i]; par[i] lists the nodes it was computed
    from and loc[i] the partial derivative of node i with respect to each
    (None for leaves). Nodes are appended in evaluation order, so reverse
    order is a reverse topological order. Constants are plain mpf values
    and never enter the tape."""

    def __init__(self, prec):
        self.prec = prec
        self.val, self.par, self.loc = [], [], []

    def node(self, v, parents=None, partials=None):
        self.val.append(v)
        self.par.append(parents)
        self.loc.append(partials)
        return len(self.val) - 1

    def leaf(self, x):
        return self.node(from_float(float(x)))  # exact: inputs are doubles

    # --- scalar operations: value and local partials ---------------------
    def add(self, a, b):  # a + b
        return self.node(mpf_add(self.val[a], self.val[b], self.prec, RND),
                         [a, b], [fone, fone])

    def sub(self, a, b):  # a - b
        return self.node(mpf_sub(self.val[a], self.val[b], self.prec, RND),
                         [a, b], [fone, mpf_neg(fone)])

    def sub_const(self, a, c):  # a - c, c constant
        return self.node(mpf_sub(self.val[a], c, self.prec, RND), [a], [fone])

    def add_const(self, a, c):  # a + c, c constant
        return self.node(mpf_add(self.val[a], c, self.prec, RND), [a], [fone])

    def mul(self, a, b):  # a * b
        va, vb = self.val[a], self.val[b]
        return self.node(mpf_mul(va, vb, self.prec, RND), [a, b], [vb, va])

    def mul_const(self, a, c):  # c * a, c constant
        return self.node(mpf_mul(self.val[a], c, self.prec, RND), [a], [c])

    def div(self, a, b):  # a / b: d/da = 1/b, d/db = -a/b^2 = -(a/b)/b
        vb = self.val[b]
        v = mpf_div(self.val[a], vb, self.prec, RND)
        return self.node(v, [a, b], [mpf_div(fone, vb, self.prec, RND),
                                     mpf_neg(mpf_div(v, vb, self.prec, RND))])

    def div_int(self, a, k):  # a / k, k a positive integer constant
        c = from_int(k)
        return self.node(mpf_div(self.val[a], c, self.prec, RND), [a],
                         [mpf_div(fone, c, self.prec, RND)])

    def exp(self, a):  # e^a: d/da = e^a
        v = mpf_exp(self.val[a], self.prec, RND)
        return self.node(v, [a], [v])

    def log(self, a):  # log a: d/da = 1/a
        va = self.val[a]
        return self.node(mpf_log(va, self.prec, RND), [a],
                         [mpf_div(fone, va, self.prec, RND)])

    def sqrt(self, a):  # sqrt a: d/da = 1/(2 sqrt a)
        v = mpf_sqrt(self.val[a], self.prec, RND)
        return self.node(v, [a], [mpf_div(fone, mpf_mul(from_int(2), v), self.prec, RND)])

    def relu(self, a):  # max(a, 0), relu'(0) = 0
        va = self.val[a]
        if va[0] == 0 and va[1]:  # positive: sign bit clear, nonzero mantissa
            return self.node(va, [a], [fone])
        return self.node(fzero, [a], [fzero])

    def gelu(self, a):  # a Phi(a): d/da = Phi(a) + a phi(a)
        p = self.prec + 20
        va = self.val[a]
        rt2 = mpf_sqrt(from_int(2), p)
        cdf = mpf_div(mpf_add(fone, mpf_erf(mpf_div(va, rt2, p), p), p), from_int(2), p)
        pdf = mpf_div(mpf_exp(mpf_neg(mpf_div(mpf_mul(va, va), from_int(2), p)), p),
                      mpf_sqrt(mpf_mul(from_int(2), mpf_pi(p)), p), p)
        v = mpf_mul(va, cdf, self.prec, RND)
        dv = mpf_add(cdf, mpf_mul(va, pdf, p), self.prec, RND)
        return self.node(v, [a], [dv])

    def total(self, ids):  # sum_i x_i
        return self.node(mpf_sum([self.val[i] for i in ids], self.prec, RND),
                         list(ids), [fone] * len(ids))

    def dot(self, a, b):  # sum_i a_i b_i: d/da_i = b_i, d/db_i = a_i
        va = [self.val[i] for i in a]
        vb = [self.val[i] for i in b]
        v = mpf_sum([mpf_mul(x, y) for x, y in zip(va, vb)], self.prec, RND)
        return self.node(v, list(a) + list(b), vb + va)

    def dot_const(self, a, c):  # sum_i a_i c_i, c constants
        v = mpf_sum([mpf_mul(self.val[i], y) for i, y in zip(a, c)], self.prec, RND)
        return self.node(v, list(a), list(c))

    # --- reverse sweep -----------------------------------------------------
    def backward(self, out):
        """Adjoint of every node with respect to node `out`. Each node's
        contributions wait in a list until the node is reached, then are
        summed exactly and rounded once."""
        n = out + 1
        gs, cs = [None] * n, [None] * n
        adj = [fzero] * len(self.val)
        gs[out], cs[out] = [fone], [fone]
        prec = self.prec
        for i in range(out, -1, -1):
            g = gs[i]
            if g is None:
                continue
            a = mpf_sum([mpf_mul(x, y) for x, y in zip(g, cs[i])], prec, RND)
            gs[i] = cs[i] = None
            adj[i] = a
            par = self.par[i]
            if par is None or not a[1]:
                continue  # a leaf, or a zero adjoint: nothing to pass on
            for p, c in zip(par, self.loc[i]):
                if gs[p] is None:
                    gs[p], cs[p] = [a], [c]
                else:
                    gs[p].append(a)
                    cs[p].append(c)
        return adj


# --- the model (DESIGN §2) on the tape; matrices are lists of rows of ids ----
def matmul(t, a, b):
    cols = [list(col) for col in zip(*b)]
    return [[t.dot(row, col) for col in cols] for row in a]


def norm_rows(t, x, kind, eps, w, b):
    out = []
    for row in x:
        d = len(row)
        if kind == "layernorm":
            mean = t.div_int(t.total(row), d)
            cen = [t.sub(v, mean) for v in row]
            var = t.div_int(t.dot(cen, cen), d)  # biased variance
            den = t.sqrt(t.add_const(var, eps))
            out.append([t.add(t.mul(t.div(cen[j], den), w[j]), b[j]) for j in range(d)])
        else:  # rmsnorm
            ms = t.div_int(t.dot(row, row), d)
            den = t.sqrt(t.add_const(ms, eps))
            out.append([t.mul(t.div(row[j], den), w[j]) for j in range(d)])
    return out


def attention(t, xn, p, c, tau):
    n, d, heads = c["n"], c["d"], c["heads"]
    dh = d // heads
    q, k, u = matmul(t, xn, p["wq"]), matmul(t, xn, p["wk"]), matmul(t, xn, p["wv"])
    o = [[None] * d for _ in range(n)]
    for h in range(heads):
        cs = range(h * dh, (h + 1) * dh)
        qh = [[row[j] for j in cs] for row in q]
        kh = [[row[j] for j in cs] for row in k]
        uh_cols = [[u[i][j] for i in range(n)] for j in cs]
        for i in range(n):
            js = range(i + 1) if c["causal"] else range(n)  # A_ij = 0 for j > i
            a = [t.exp(t.mul_const(t.dot(qh[i], kh[j]), tau)) for j in js]
            den = t.total(a)
            f = [t.div(aij, den) for aij in a]
            for cc, col in enumerate(uh_cols):
                o[i][h * dh + cc] = t.dot(f, [col[j] for j in js])
    return matmul(t, o, p["wo"])


def layer(t, x, p, c, tau, eps):
    has_norm = c["norm"] != "none"
    xn = norm_rows(t, x, c["norm"], eps, p.get("norm1.weight"),
                   p.get("norm1.bias")) if has_norm else x
    att = attention(t, xn, p, c, tau)
    y = [[t.add(a, b) for a, b in zip(r1, r2)] for r1, r2 in zip(x, att)] \
        if c["residual"] else att
    if c["mlp"] == 0:
        return y
    yn = norm_rows(t, y, c["norm"], eps, p.get("norm2.weight"),
                   p.get("norm2.bias")) if has_norm else y
    pre = matmul(t, yn, p["mlp.w1"])
    b1, b2 = p["mlp.b1"], p["mlp.b2"]
    act = t.gelu if c["activation"] == "gelu" else t.relu
    hid = [[act(t.add(v, b1[j])) for j, v in enumerate(row)] for row in pre]
    out = [[t.add(v, b2[j]) for j, v in enumerate(row)] for row in matmul(t, hid, p["mlp.w2"])]
    if c["residual"]:
        out = [[t.add(a, b) for a, b in zip(r1, r2)] for r1, r2 in zip(y, out)]
    return out


def loss_node(t, xl, ids, labels, c):
    flat = [i for row in xl for i in row]
    if c["loss"] == "mse":  # 0.5 ||X_L - target||^2
        tgt = [i for row in ids["target"] for i in row]
        diff = [t.sub(i, j) for i, j in zip(flat, tgt)]
        return t.mul_const(t.dot(diff, diff), from_float(0.5))
    if c["loss"] == "linear":  # <X_L, cotangent>
        return t.dot(flat, [i for row in ids["cotangent"] for i in row])
    # xent: (1/n) sum_i [logsumexp_j (X_L Wu)_ij - (X_L Wu)_{i,label_i}]
    logits = matmul(t, xl, ids["unembed"])
    terms = []
    for i, row in enumerate(logits):
        lse = t.log(t.total([t.exp(v) for v in row]))
        terms.append(t.sub(lse, row[int(labels[i])]))
    return t.div_int(t.total(terms), c["n"])


def run(arrays, c, prec):
    """Forward and backward; returns {name: ndarray of raw mpf} results."""
    t = Tape(prec)
    ids = {}
    for name in st.input_names(c):
        if name == "labels":
            continue  # integers: not differentiated
        a = arrays[name]
        if a.ndim == 1:
            ids[name] = [t.leaf(v) for v in a]
        else:
            ids[name] = [[t.leaf(v) for v in row] for row in a]
    eps = from_float(float(c["norm_eps"]))
    dh = c["d"] // c["heads"]
    if c["scale"] is None:  # exactly 1/sqrt(d_h), rounded once at working precision
        tau = mpf_sqrt(libmp.from_rational(1, dh, prec + 20), prec, RND)
    else:
        tau = from_float(float(c["scale"]))
    x = ids["x"]
    acts = []
    for l in range(c["layers"]):
        pre = f"layers.{l}."
        p = {k[len(pre):]: v for k, v in ids.items() if k.startswith(pre)}
        x = layer(t, x, p, c, tau, eps)
        acts.append(x)
    loss = loss_node(t, x, ids, arrays.get("labels"), c)
    adj = t.backward(loss)

    def grid(m, src):
        if isinstance(m[0], list):
            return [[src[i] for i in row] for row in m]
        return [src[i] for i in m]

    res = {"loss": t.val[loss]}
    for l, a in enumerate(acts):
        res[f"act.layers.{l}"] = grid(a, t.val)
        res[f"grad.act.layers.{l}"] = grid(a, adj)
    for name in st.input_names(c):
        if name != "labels":
            res["grad." + name] = grid(ids[name], adj)
    return res


def to_double(v):
    """The double nearest to the raw mpf v (ties to even), subnormals
    included; mpmath's float() rounds to 53 bits and then lets ldexp round a
    second time in the subnormal range, so this does it in integers."""
    sign, man, exp, bc = v
    if not man:
        if v != fzero:
            raise ValueError("non-finite value")
        return 0.0
    top = exp + bc - 1  # v = +-man 2^exp, 2^top <= |v| < 2^(top+1)
    keep = 53 if top >= -1022 else 53 - (-1022 - top)  # bits the double can hold
    drop = bc - keep
    if drop > 0:
        q, r = divmod(man, 1 << drop)
        half = 1 << (drop - 1)
        if r > half or (r == half and q & 1):
            q += 1
        man, exp = q, exp + drop
    try:
        x = math.ldexp(float(man), exp)  # exact: man <= 2^53, man 2^exp representable
    except OverflowError:
        raise ValueError("value overflows double")
    return -x if sign else x


def rounded(v):
    """A raw mpf, or (nested) lists of them, rounded to doubles."""
    if isinstance(v, list):
        return [rounded(e) for e in v]
    return to_double(v)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("case")
    ap.add_argument("--dps", type=int, default=50,
                    help="working precision in decimal digits (default 50)")
    ap.add_argument("-o", "--out")
    a = ap.parse_args()
    if a.dps < 15:
        print("peer_mpmath.py: --dps must be at least 15", file=sys.stderr)
        return 2
    try:
        arrays, _, meta = st.read(a.case)
        c = st.config_of(meta, a.case)
        missing = [nm for nm in st.input_names(c) if nm not in arrays]
        if missing:
            raise st.FormatError(f"{a.case}: missing tensors {missing}")
    except (OSError, st.FormatError, ValueError) as e:
        print(f"peer_mpmath.py: {e}", file=sys.stderr)
        return 2
    prec = libmp.dps_to_prec(a.dps)
    t0 = time.perf_counter()
    res = run(arrays, c, prec)
    secs = time.perf_counter() - t0
    print(f"seconds: {secs:.3f}")
    if a.out:
        out = {}
        for name, v in res.items():
            out[name] = np.array(rounded(v), dtype=np.float64)
        st.write(a.out, out, {"attnref.config": meta["attnref.config"],
                              "attnref.path": "peer-mpmath",
                              "attnref.prec": str(prec)})
    return 0


if __name__ == "__main__":
    sys.exit(main())
