/* The online softmax of attention tiles (flash-attention style): the exponentials of a row of
 * scores against a shift, their sum, and the update of a row's running (max, sum). The tiles
 * call these once per row and tile, so they are written to run fast: the max is an exact
 * (order-free) reduction, the exponentials a branch-free map into a separate array
 * (kern_exp.c), and their sum is kept in four interleaved lanes (four independent chains of additions, not one) plus a
 * tail, joined at the end. */
#include "fast/kern/kern.h"
#include "fast/kern/kern_fp.h"

/* p_j <- exp(x_j - m); res <- p_0 + ... + p_{n-1}: lane j of four sums p[4t + j] for t < n/4,
 * a tail sums the rest, then ((lane0 + lane1) + (lane2 + lane3)) + tail */
KERN_VECTOR_CLONES
double kern_exp_shift_sum(int64_t n, const double *x, double m, double *p) {
  kern_exp_shift(n, x, m, p);
  int64_t nq = n / 4;
  //@ assert nq_rng: 0 <= nq && 4 * nq <= n && n < 4 * nq + 4;
  double a0 = 0.0, a1 = 0.0, a2 = 0.0, a3 = 0.0;
  /*@ loop invariant 0 <= q <= nq;
      loop invariant fin: \is_finite(a0) && \is_finite(a1) && \is_finite(a2) && \is_finite(a3);
      loop invariant k: exp_e <= acc_k(q, exp_e) <= exp_e + 2 * q * fp_u;
      loop invariant nn: 0 <= acc_n(q, exp_z) <= 2 * q * (exp_z + fp_eta);
      loop invariant pos: 0 <= sexps{Pre}(x, 4, q, m) <= 2 * q &&
        0 <= sexps{Pre}(x + 1, 4, q, m) <= 2 * q && 0 <= sexps{Pre}(x + 2, 4, q, m) <= 2 * q &&
        0 <= sexps{Pre}(x + 3, 4, q, m) <= 2 * q;
      loop invariant split: sexp{Pre}(x, 4 * q, m) == sexps{Pre}(x, 4, q, m)
        + sexps{Pre}(x + 1, 4, q, m) + sexps{Pre}(x + 2, 4, q, m) + sexps{Pre}(x + 3, 4, q, m);
      loop invariant e0: \abs(a0 - sexps{Pre}(x, 4, q, m))
        <= acc_k(q, exp_e) * sexps{Pre}(x, 4, q, m) + acc_n(q, exp_z);
      loop invariant e1: \abs(a1 - sexps{Pre}(x + 1, 4, q, m))
        <= acc_k(q, exp_e) * sexps{Pre}(x + 1, 4, q, m) + acc_n(q, exp_z);
      loop invariant e2: \abs(a2 - sexps{Pre}(x + 2, 4, q, m))
        <= acc_k(q, exp_e) * sexps{Pre}(x + 2, 4, q, m) + acc_n(q, exp_z);
      loop invariant e3: \abs(a3 - sexps{Pre}(x + 3, 4, q, m))
        <= acc_k(q, exp_e) * sexps{Pre}(x + 3, 4, q, m) + acc_n(q, exp_z);
      loop invariant small: 0 <= a0 <= 4 * q + 1 && 0 <= a1 <= 4 * q + 1 &&
        0 <= a2 <= 4 * q + 1 && 0 <= a3 <= 4 * q + 1;
      loop assigns q, a0, a1, a2, a3;
      loop variant nq - q; */
  for (int64_t q = 0; q < nq; q++) {
    int64_t i = 4 * q;
    double p0 = kern_load(p, i, 1, n), p1 = kern_load(p, i + 1, 1, n);
    double p2 = kern_load(p, i + 2, 1, n), p3 = kern_load(p, i + 3, 1, n);
    /*@ assert s1: sexp{Pre}(x, i + 1, m) == sexp{Pre}(x, i, m) + \exp(x[i] - m); */
    /*@ assert s2: sexp{Pre}(x, i + 2, m) == sexp{Pre}(x, i + 1, m) + \exp(x[i + 1] - m); */
    /*@ assert s3: sexp{Pre}(x, i + 3, m) == sexp{Pre}(x, i + 2, m) + \exp(x[i + 2] - m); */
    /*@ assert s4: sexp{Pre}(x, i + 4, m) == sexp{Pre}(x, i + 3, m) + \exp(x[i + 3] - m); */
    /*@ assert accs: acc_k(q + 1, exp_e) == acc_k(q, exp_e) + 2 * fp_u &&
          acc_n(q + 1, exp_z) == acc_n(q, exp_z) + 2 * (exp_z + fp_eta); */
    //@ assert N: fp_u * acc_n(q, exp_z) <= (exp_z + fp_eta) / 2;
    /*@ assert next0: sexps{Pre}(x, 4, q + 1, m) == sexps{Pre}(x, 4, q, m) + \exp(x[i] - m); */
    //@ assert t0: 0 < \exp(x[i] - m) <= 2 && term_err(p0, \exp(x[i] - m), exp_e, exp_z);
    /*@ assert KA0: acc_k(q, exp_e) * sexps{Pre}(x, 4, q, m) <= sexps{Pre}(x, 4, q, m); */
    /*@ assert Kt0: exp_e * \exp(x[i] - m) <= acc_k(q, exp_e) * \exp(x[i] - m) &&
          exp_e * \exp(x[i] - m) <= \exp(x[i] - m); */
    double b0 = kern_fadd(a0, p0);
    /*@ assert step0: \abs(b0 - (sexps{Pre}(x, 4, q, m) + \exp(x[i] - m)))
          <= (acc_k(q, exp_e) + 2 * fp_u) * (sexps{Pre}(x, 4, q, m) + \abs(\exp(x[i] - m)))
             + (acc_n(q, exp_z) + 2 * (exp_z + fp_eta)); */
    a0 = b0;
    /*@ assert next1: sexps{Pre}(x + 1, 4, q + 1, m) == sexps{Pre}(x + 1, 4, q, m) + \exp(x[i + 1] - m); */
    //@ assert t1: 0 < \exp(x[i + 1] - m) <= 2 && term_err(p1, \exp(x[i + 1] - m), exp_e, exp_z);
    /*@ assert KA1: acc_k(q, exp_e) * sexps{Pre}(x + 1, 4, q, m) <= sexps{Pre}(x + 1, 4, q, m); */
    /*@ assert Kt1: exp_e * \exp(x[i + 1] - m) <= acc_k(q, exp_e) * \exp(x[i + 1] - m) &&
          exp_e * \exp(x[i + 1] - m) <= \exp(x[i + 1] - m); */
    double b1 = kern_fadd(a1, p1);
    /*@ assert step1: \abs(b1 - (sexps{Pre}(x + 1, 4, q, m) + \exp(x[i + 1] - m)))
          <= (acc_k(q, exp_e) + 2 * fp_u) * (sexps{Pre}(x + 1, 4, q, m) + \abs(\exp(x[i + 1] - m)))
             + (acc_n(q, exp_z) + 2 * (exp_z + fp_eta)); */
    a1 = b1;
    /*@ assert next2: sexps{Pre}(x + 2, 4, q + 1, m) == sexps{Pre}(x + 2, 4, q, m) + \exp(x[i + 2] - m); */
    //@ assert t2: 0 < \exp(x[i + 2] - m) <= 2 && term_err(p2, \exp(x[i + 2] - m), exp_e, exp_z);
    /*@ assert KA2: acc_k(q, exp_e) * sexps{Pre}(x + 2, 4, q, m) <= sexps{Pre}(x + 2, 4, q, m); */
    /*@ assert Kt2: exp_e * \exp(x[i + 2] - m) <= acc_k(q, exp_e) * \exp(x[i + 2] - m) &&
          exp_e * \exp(x[i + 2] - m) <= \exp(x[i + 2] - m); */
    double b2 = kern_fadd(a2, p2);
    /*@ assert step2: \abs(b2 - (sexps{Pre}(x + 2, 4, q, m) + \exp(x[i + 2] - m)))
          <= (acc_k(q, exp_e) + 2 * fp_u) * (sexps{Pre}(x + 2, 4, q, m) + \abs(\exp(x[i + 2] - m)))
             + (acc_n(q, exp_z) + 2 * (exp_z + fp_eta)); */
    a2 = b2;
    /*@ assert next3: sexps{Pre}(x + 3, 4, q + 1, m) == sexps{Pre}(x + 3, 4, q, m) + \exp(x[i + 3] - m); */
    //@ assert t3: 0 < \exp(x[i + 3] - m) <= 2 && term_err(p3, \exp(x[i + 3] - m), exp_e, exp_z);
    /*@ assert KA3: acc_k(q, exp_e) * sexps{Pre}(x + 3, 4, q, m) <= sexps{Pre}(x + 3, 4, q, m); */
    /*@ assert Kt3: exp_e * \exp(x[i + 3] - m) <= acc_k(q, exp_e) * \exp(x[i + 3] - m) &&
          exp_e * \exp(x[i + 3] - m) <= \exp(x[i + 3] - m); */
    double b3 = kern_fadd(a3, p3);
    /*@ assert step3: \abs(b3 - (sexps{Pre}(x + 3, 4, q, m) + \exp(x[i + 3] - m)))
          <= (acc_k(q, exp_e) + 2 * fp_u) * (sexps{Pre}(x + 3, 4, q, m) + \abs(\exp(x[i + 3] - m)))
             + (acc_n(q, exp_z) + 2 * (exp_z + fp_eta)); */
    a3 = b3;
  }
  /* the tail x[i0 .. n) */
  int64_t i0 = 4 * nq, nt = n - i0;
  double a4 = 0.0;
  /*@ loop invariant 0 <= t <= nt;
      loop invariant fin: \is_finite(a4);
      loop invariant k: exp_e <= acc_k(t, exp_e) <= exp_e + 2 * t * fp_u;
      loop invariant nn: 0 <= acc_n(t, exp_z) <= 2 * t * (exp_z + fp_eta);
      loop invariant pos: 0 <= sexp{Pre}(x, i0 + t, m) - sexp{Pre}(x, i0, m) <= 2 * t;
      loop invariant err: \abs(a4 - (sexp{Pre}(x, i0 + t, m) - sexp{Pre}(x, i0, m)))
        <= acc_k(t, exp_e) * (sexp{Pre}(x, i0 + t, m) - sexp{Pre}(x, i0, m)) + acc_n(t, exp_z);
      loop invariant small: 0 <= a4 <= 4 * t + 1;
      loop assigns t, a4;
      loop variant nt - t; */
  for (int64_t t = 0; t < nt; t++) {
    double v = kern_load(p, i0 + t, 1, n);
    //@ assert te: 0 < \exp(x[i0 + t] - m) <= 2 && term_err(v, \exp(x[i0 + t] - m), exp_e, exp_z);
    /*@ assert next: sexp{Pre}(x, i0 + t + 1, m) == sexp{Pre}(x, i0 + t, m) + \exp(x[i0 + t] - m) &&
          acc_k(t + 1, exp_e) == acc_k(t, exp_e) + 2 * fp_u &&
          acc_n(t + 1, exp_z) == acc_n(t, exp_z) + 2 * (exp_z + fp_eta); */
    /*@ assert KA: acc_k(t, exp_e) * (sexp{Pre}(x, i0 + t, m) - sexp{Pre}(x, i0, m))
          <= sexp{Pre}(x, i0 + t, m) - sexp{Pre}(x, i0, m); */
    /*@ assert Kt: exp_e * \exp(x[i0 + t] - m) <= acc_k(t, exp_e) * \exp(x[i0 + t] - m) &&
          exp_e * \exp(x[i0 + t] - m) <= \exp(x[i0 + t] - m); */
    //@ assert N: fp_u * acc_n(t, exp_z) <= (exp_z + fp_eta) / 2;
    double b = kern_fadd(a4, v);
    /*@ assert step: \abs(b - (sexp{Pre}(x, i0 + t, m) - sexp{Pre}(x, i0, m) + \exp(x[i0 + t] - m)))
          <= (acc_k(t, exp_e) + 2 * fp_u)
               * (sexp{Pre}(x, i0 + t, m) - sexp{Pre}(x, i0, m) + \abs(\exp(x[i0 + t] - m)))
             + (acc_n(t, exp_z) + 2 * (exp_z + fp_eta)); */
    a4 = b;
  }
  /* the join; K = acc_k(nq, exp_e) <= exp_e + 2 nq u, N = acc_n(nq, exp_z) */
  /*@ assert lanes: exp_e <= acc_k(nq, exp_e) <= exp_e + 2 * nq * fp_u &&
        0 <= acc_n(nq, exp_z) <= 2 * nq * (exp_z + fp_eta) && acc_k(nq, exp_e) + 4 * fp_u <= 1; */
  /*@ assert h01: \let A = sexps{Pre}(x, 4, nq, m); \let B = sexps{Pre}(x + 1, 4, nq, m);
        acc_k(nq, exp_e) * A <= A && acc_k(nq, exp_e) * B <= B; */
  double b01 = kern_fadd(a0, a1);
  /*@ assert j01: \abs(b01 - (sexps{Pre}(x, 4, nq, m) + sexps{Pre}(x + 1, 4, nq, m)))
        <= (acc_k(nq, exp_e) + 2 * fp_u) * (sexps{Pre}(x, 4, nq, m) + sexps{Pre}(x + 1, 4, nq, m))
          + (2 * (acc_n(nq, exp_z) + acc_n(nq, exp_z)) + fp_eta); */
  /*@ assert h23: \let A = sexps{Pre}(x + 2, 4, nq, m); \let B = sexps{Pre}(x + 3, 4, nq, m);
        acc_k(nq, exp_e) * A <= A && acc_k(nq, exp_e) * B <= B; */
  double b23 = kern_fadd(a2, a3);
  /*@ assert j23: \abs(b23 - (sexps{Pre}(x + 2, 4, nq, m) + sexps{Pre}(x + 3, 4, nq, m)))
        <= (acc_k(nq, exp_e) + 2 * fp_u) * (sexps{Pre}(x + 2, 4, nq, m) + sexps{Pre}(x + 3, 4, nq, m))
          + (2 * (acc_n(nq, exp_z) + acc_n(nq, exp_z)) + fp_eta); */
  /*@ assert h03: \let A = sexps{Pre}(x, 4, nq, m) + sexps{Pre}(x + 1, 4, nq, m);
        \let B = sexps{Pre}(x + 2, 4, nq, m) + sexps{Pre}(x + 3, 4, nq, m);
        0 <= A && 0 <= B && (acc_k(nq, exp_e) + 2 * fp_u) * A <= A &&
        (acc_k(nq, exp_e) + 2 * fp_u) * B <= B && A + B == sexp{Pre}(x, 4 * nq, m); */
  double b03 = kern_fadd(b01, b23);
  /*@ assert j03: \abs(b03 - sexp{Pre}(x, 4 * nq, m))
        <= (acc_k(nq, exp_e) + 4 * fp_u) * sexp{Pre}(x, 4 * nq, m)
          + (2 * ((4 * acc_n(nq, exp_z) + fp_eta) + (4 * acc_n(nq, exp_z) + fp_eta)) + fp_eta); */
  /*@ assert m03: (acc_k(nq, exp_e) + 4 * fp_u) * sexp{Pre}(x, 4 * nq, m)
        <= (exp_e + 2 * (n + 2) * fp_u) * sexp{Pre}(x, 4 * nq, m); */
  /*@ assert j03c: \abs(b03 - sexp{Pre}(x, 4 * nq, m))
        <= (exp_e + 2 * (n + 2) * fp_u) * sexp{Pre}(x, 4 * nq, m) + (8 * n * (exp_z + fp_eta) + 5 * fp_eta); */
  /*@ assert m4: \let R = sexp{Pre}(x, n, m) - sexp{Pre}(x, i0, m);
        0 <= R && acc_k(nt, exp_e) * R <= (exp_e + 2 * (n + 2) * fp_u) * R &&
        acc_n(nt, exp_z) <= 2 * n * (exp_z + fp_eta); */
  /*@ assert a4c: \abs(a4 - (sexp{Pre}(x, n, m) - sexp{Pre}(x, i0, m)))
        <= (exp_e + 2 * (n + 2) * fp_u) * (sexp{Pre}(x, n, m) - sexp{Pre}(x, i0, m))
          + 2 * n * (exp_z + fp_eta); */
  /*@ assert hall: \let A = sexp{Pre}(x, 4 * nq, m); \let B = sexp{Pre}(x, n, m) - sexp{Pre}(x, i0, m);
        (exp_e + 2 * (n + 2) * fp_u) * A <= A && (exp_e + 2 * (n + 2) * fp_u) * B <= B; */
  //@ assert sb: 0 <= sexp{Pre}(x, n, m) <= 2 * n;
  double res = kern_fadd(b03, a4);
  /*@ assert jall: \abs(res - sexp{Pre}(x, n, m)) <= (exp_e + 2 * (n + 3) * fp_u) * sexp{Pre}(x, n, m)
        + (2 * ((8 * n * (exp_z + fp_eta) + 5 * fp_eta) + 2 * n * (exp_z + fp_eta)) + fp_eta); */
  return res;
}

/* (m, l) <- (max(m, s_j), l exp(m - m') + sum_j exp(s_j - m')); p_j <- exp(s_j - m');
 * res <- exp(m - m') */
KERN_VECTOR_CLONES
double kern_online_softmax_update(int64_t n, const double *s, double *p, double *m, double *l) {
  double m0 = *m, l0 = *l, mn = m0;
  /* max of finite doubles: exact whatever the order, so the reduction may run in lanes */
#ifndef __FRAMAC__ /* Frama-C does not parse OpenMP pragmas */
#pragma omp simd reduction(max : mn)
#endif
  /*@ loop invariant 0 <= i <= n;
      loop invariant fin: \is_finite(mn);
      loop invariant mx: mn == mrun(s, i, m0);
      loop invariant ge: m0 <= mn && \forall integer j; 0 <= j < i ==> elt(s, 1, j) <= mn;
      loop invariant rng: \abs(mn) <= 0x1p998;
      loop assigns i, mn;
      loop variant n - i; */
  for (int64_t i = 0; i < n; i++) {
    double v = kern_load(s, i, 1, n);
    //@ assert next: mrun(s, i + 1, m0) == rmax(mrun(s, i, m0), v);
    mn = v > mn ? v : mn; /* a comparison of finite doubles is exact */
  }
  //@ assert le: \forall integer j; 0 <= j < n ==> s[j] <= mn;
  double alpha = kern_fexpdiff(m0, mn);
  double t = kern_exp_shift_sum(n, s, mn, p);
  double a = kern_fmul(l0, alpha);
  /*@ assert a1: l0 * alpha <= l0; */
  /*@ assert a2: \abs(l0 * alpha - l0 * \exp(m0 - mn)) <= l0 * (exp_e * \exp(m0 - mn) + exp_z); */
  /*@ assert a3: 0 <= l0 * \exp(m0 - mn) && \exp(m0 - mn) <= 2; */
  /*@ assert a4: l0 * \exp(m0 - mn) <= 2 * l0; */
  /*@ assert ae: \abs(a - l0 * \exp(m0 - mn))
        <= (exp_e + 2 * fp_u) * (l0 * \exp(m0 - mn)) + (2 * l0 * exp_z + fp_eta); */
  /*@ assert KA: \let A = l0 * \exp(m0 - mn); \let B = sexp{Pre}(s, n, mn);
        0 <= A && 0 <= B &&
        (exp_e + 2 * fp_u) * A <= (exp_e + 2 * (n + 3) * fp_u) * A &&
        (exp_e + 2 * (n + 3) * fp_u) * A <= A && (exp_e + 2 * (n + 3) * fp_u) * B <= B; */
  double lsum = kern_fadd(a, t);
  *m = mn;
  *l = lsum;
  return alpha;
}
