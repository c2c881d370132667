/* The online softmax of attention tiles (flash-attention style): the exponentials of a row of
 * scores against a shift, their sum, and the update of a row's running (max, sum). The tiles
 * call these once per row and tile: the max is an exact (order-free) reduction that runs in
 * vector lanes, the exponentials a branch-free vectorized map into a separate array
 * (kern_exp.c), and their sum a left-to-right sum. */
#include "fast/kern/kern.h"
#include "fast/kern/kern_fp.h"

/* p_j <- exp(x_j - m); res <- p_0 + ... + p_{n-1}, left to right */
double kern_exp_shift_sum(int64_t n, const double *x, double m, double *p) {
  kern_exp_shift(n, x, m, p);
  //@ assert x_pre: \forall integer k; 0 <= k < n ==> \at(x[k], Pre) == x[k];
  double a = 0.0;
  /*@ loop invariant 0 <= t <= n;
      loop invariant fin: \is_finite(a);
      loop invariant k: exp_e <= acc_k(t, exp_e) <= exp_e + 2 * t * fp_u;
      loop invariant nn: 0 <= acc_n(t, exp_z) <= 2 * t * (exp_z + fp_eta);
      loop invariant pos: 0 <= sexp{Pre}(x, t, m) <= 2 * t;
      loop invariant err: \abs(a - sexp{Pre}(x, t, m))
        <= acc_k(t, exp_e) * sexp{Pre}(x, t, m) + acc_n(t, exp_z);
      loop invariant small: 0 <= a <= 4 * t + 1;
      loop assigns t, a;
      loop variant n - t; */
  for (int64_t t = 0; t < n; t++) {
    double v = kern_load(p, t, 1, n);
    //@ assert pt: exp_term(p[t], x[t], m) && x[t] <= m;
    //@ assert te: 0 < \exp(x[t] - m) <= 2 && term_err(v, \exp(x[t] - m), exp_e, exp_z);
    /*@ assert next: sexp{Pre}(x, t + 1, m) == sexp{Pre}(x, t, m) + \exp(x[t] - m) &&
          acc_k(t + 1, exp_e) == acc_k(t, exp_e) + 2 * fp_u &&
          acc_n(t + 1, exp_z) == acc_n(t, exp_z) + 2 * (exp_z + fp_eta); */
    //@ assert KA0: acc_k(t, exp_e) <= 1;
    //@ assert KA: acc_k(t, exp_e) * sexp{Pre}(x, t, m) <= sexp{Pre}(x, t, m);
    /*@ assert Kt: exp_e * \exp(x[t] - m) <= acc_k(t, exp_e) * \exp(x[t] - m) &&
          exp_e * \exp(x[t] - m) <= \exp(x[t] - m); */
    //@ assert N: fp_u * acc_n(t, exp_z) <= (exp_z + fp_eta) / 2;
    double b = kern_fadd(a, v);
    /*@ assert step: \abs(b - (sexp{Pre}(x, t, m) + \exp(x[t] - m)))
          <= (acc_k(t, exp_e) + 2 * fp_u) * (sexp{Pre}(x, t, m) + \abs(\exp(x[t] - m)))
             + (acc_n(t, exp_z) + 2 * (exp_z + fp_eta)); */
    a = b;
  }
  return a;
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
      loop invariant ge: m0 <= mn && \forall integer j; 0 <= j < i ==> s[j] <= mn;
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
  //@ assert kn: exp_e <= acc_k(n, exp_e) && acc_k(n, exp_e) + 4 * fp_u <= 1 && 0 <= acc_n(n, exp_z);
  /*@ assert KA: \let A = l0 * \exp(m0 - mn); \let B = sexp{Pre}(s, n, mn);
        0 <= A && 0 <= B && exp_e * A <= acc_k(n, exp_e) * A &&
        (exp_e + 2 * fp_u) * A <= (acc_k(n, exp_e) + 2 * fp_u) * A &&
        acc_k(n, exp_e) * B <= (acc_k(n, exp_e) + 2 * fp_u) * B &&
        (acc_k(n, exp_e) + 2 * fp_u) * A <= A && (acc_k(n, exp_e) + 2 * fp_u) * B <= B; */
  double lsum = kern_fadd(a, t);
  /*@ assert jl: \let T = l0 * \exp(m0 - mn) + sexp{Pre}(s, n, mn);
        \abs(lsum - T) <= (acc_k(n, exp_e) + 4 * fp_u) * T
          + (2 * ((2 * l0 * exp_z + fp_eta) + acc_n(n, exp_z)) + fp_eta); */
  *m = mn;
  *l = lsum;
  return alpha;
}
