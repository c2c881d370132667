/* The online softmax of exact32's attention tiles in binary32 (contracts: kern_f32.h): the
 * proofs of kern_exp.c and kern_softmax.c with float scores and exponentials (fa_exp32, its
 * accuracy assumed: proofs/README.md A3f) and the sums and l in double. */
#include "fast/kern/kern_f32.h"
#include "fast/kern/kern_fp.h"

/* p_j <- exp(x_j - m) */
KERN_VECTOR_CLONES
void kern_exp_shift_f32(int64_t n, const float *x, float m, float *p) {
  /* x and p are apart (the contract says so): the map runs in vector lanes */
#ifndef __FRAMAC__
#pragma omp simd
#endif
  /*@ loop invariant 0 <= i <= n;
      loop invariant fin: finite_rangef(p, 1, i);
      loop invariant done: \forall integer j; 0 <= j < i ==> exp32_term(p[j], x[j], m);
      loop assigns i, p[0 .. n - 1];
      loop variant n - i; */
  for (int64_t i = 0; i < n; i++)
    p[i] = kern_fexpdiff32(kern_loadf32(x, i, 1, n), m);
}

/* p_j <- exp(x_j - m); res <- p_0 + ... + p_{n-1} in double, left to right */
double kern_exp_shift_sum_f32(int64_t n, const float *x, float m, float *p) {
  kern_exp_shift_f32(n, x, m, p);
  //@ assert x_pre: \forall integer k; 0 <= k < n ==> \at(x[k], Pre) == x[k];
  double a = 0.0;
  /*@ loop invariant 0 <= t <= n;
      loop invariant fin: \is_finite(a);
      loop invariant k: exp32_e <= acc_k(t, exp32_e) <= exp32_e + 2 * t * fp_u;
      loop invariant nn: 0 <= acc_n(t, exp32_z) <= 2 * t * (exp32_z + fp_eta);
      loop invariant pos: 0 <= sexpf{Pre}(x, t, m) <= 2 * t;
      loop invariant err: \abs(a - sexpf{Pre}(x, t, m))
        <= acc_k(t, exp32_e) * sexpf{Pre}(x, t, m) + acc_n(t, exp32_z);
      loop invariant small: 0 <= a <= 4 * t + 1;
      loop assigns t, a;
      loop variant n - t; */
  for (int64_t t = 0; t < n; t++) {
    double v = kern_f2d(kern_loadf32(p, t, 1, n)); /* exact */
    //@ assert pt: exp32_term(p[t], x[t], m) && x[t] <= m && v == p[t];
    //@ assert te: 0 < \exp(x[t] - m) <= 2 && term_err(v, \exp(x[t] - m), exp32_e, exp32_z);
    /*@ assert next: sexpf{Pre}(x, t + 1, m) == sexpf{Pre}(x, t, m) + \exp(x[t] - m) &&
          acc_k(t + 1, exp32_e) == acc_k(t, exp32_e) + 2 * fp_u &&
          acc_n(t + 1, exp32_z) == acc_n(t, exp32_z) + 2 * (exp32_z + fp_eta); */
    //@ assert KA0: acc_k(t, exp32_e) <= 1;
    //@ assert KA: acc_k(t, exp32_e) * sexpf{Pre}(x, t, m) <= sexpf{Pre}(x, t, m);
    /*@ assert Kt: exp32_e * \exp(x[t] - m) <= acc_k(t, exp32_e) * \exp(x[t] - m) &&
          exp32_e * \exp(x[t] - m) <= \exp(x[t] - m); */
    //@ assert N: fp_u * acc_n(t, exp32_z) <= (exp32_z + fp_eta) / 2;
    double b = kern_fadd(a, v);
    /*@ assert step: \abs(b - (sexpf{Pre}(x, t, m) + \exp(x[t] - m)))
          <= (acc_k(t, exp32_e) + 2 * fp_u) * (sexpf{Pre}(x, t, m) + \abs(\exp(x[t] - m)))
             + (acc_n(t, exp32_z) + 2 * (exp32_z + fp_eta)); */
    a = b;
  }
  return a;
}

/* (m, l) <- (max(m, s_j), l exp(m - m') + sum_j exp(s_j - m')); p_j <- exp(s_j - m');
 * res <- exp(m - m') */
KERN_VECTOR_CLONES
float kern_online_softmax_update_f32(int64_t n, const float *s, float *p, float *m, double *l) {
  float m0 = *m, mn = m0;
  double l0 = *l;
  /* max of finite floats: exact whatever the order, so the reduction may run in lanes */
#ifndef __FRAMAC__ /* Frama-C does not parse OpenMP pragmas */
#pragma omp simd reduction(max : mn)
#endif
  /*@ loop invariant 0 <= i <= n;
      loop invariant fin: \is_finite(mn);
      loop invariant mx: mn == mrunf(s, i, m0);
      loop invariant ge: m0 <= mn && \forall integer j; 0 <= j < i ==> s[j] <= mn;
      loop invariant rng: \abs(mn) <= 0x1p124;
      loop assigns i, mn;
      loop variant n - i; */
  for (int64_t i = 0; i < n; i++) {
    float v = kern_loadf32(s, i, 1, n);
    //@ assert next: mrunf(s, i + 1, m0) == rmax(mrunf(s, i, m0), v);
    mn = v > mn ? v : mn; /* a comparison of finite floats is exact */
  }
  //@ assert le: \forall integer j; 0 <= j < n ==> s[j] <= mn;
  float alpha = kern_fexpdiff32(m0, mn);
  double t = kern_exp_shift_sum_f32(n, s, mn, p);
  double al = kern_f2d(alpha); /* exact */
  double a = kern_fmul(l0, al);
  /*@ assert a0: al == alpha && exp32_term(al, m0, mn); */
  /*@ assert a1: l0 * al <= l0; */
  /*@ assert a2: \abs(l0 * al - l0 * \exp(m0 - mn)) <= l0 * (exp32_e * \exp(m0 - mn) + exp32_z); */
  /*@ assert a3: 0 <= l0 * \exp(m0 - mn) && \exp(m0 - mn) <= 2; */
  /*@ assert a4: l0 * \exp(m0 - mn) <= 2 * l0; */
  /*@ assert ae: \abs(a - l0 * \exp(m0 - mn))
        <= (exp32_e + 2 * fp_u) * (l0 * \exp(m0 - mn)) + (2 * l0 * exp32_z + fp_eta); */
  /*@ assert kn: exp32_e <= acc_k(n, exp32_e) && acc_k(n, exp32_e) + 4 * fp_u <= 1 &&
        0 <= acc_n(n, exp32_z); */
  /*@ assert KA: \let A = l0 * \exp(m0 - mn); \let B = sexpf{Pre}(s, n, mn);
        0 <= A && 0 <= B && exp32_e * A <= acc_k(n, exp32_e) * A &&
        (exp32_e + 2 * fp_u) * A <= (acc_k(n, exp32_e) + 2 * fp_u) * A &&
        acc_k(n, exp32_e) * B <= (acc_k(n, exp32_e) + 2 * fp_u) * B &&
        (acc_k(n, exp32_e) + 2 * fp_u) * A <= A && (acc_k(n, exp32_e) + 2 * fp_u) * B <= B; */
  double lsum = kern_fadd(a, t);
  /*@ assert jl: \let T = l0 * \exp(m0 - mn) + sexpf{Pre}(s, n, mn);
        \abs(lsum - T) <= (acc_k(n, exp32_e) + 4 * fp_u) * T
          + (2 * ((2 * l0 * exp32_z + fp_eta) + acc_n(n, exp32_z)) + fp_eta); */
  *m = mn;
  *l = lsum;
  return alpha;
}
