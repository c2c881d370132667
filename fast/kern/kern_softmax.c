/* The online softmax update of one tile (flash-attention style): running max, exponentials,
 * rescaled running sum. */
#include "fast/kern/kern.h"
#include "fast/kern/kern_fp.h"

/* (m, l) <- (max(m, s_j), l exp(m - m') + sum_j exp(s_j - m')); s_j <- exp(s_j - m');
 * res <- exp(m - m') */
double kern_online_softmax_update(int64_t n, double *s, double *m, double *l) {
  double m0 = *m, l0 = *l, mn = m0;
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
  double alpha = kern_fexpdiff(m0, mn);
  double acc = kern_fmul(l0, alpha);
  /*@ assert a1: l0 * alpha <= l0; */
  /*@ assert a2: \abs(l0 * alpha - l0 * \exp(m0 - mn)) <= l0 * (exp_e * \exp(m0 - mn) + exp_z); */
  /*@ assert a3: 0 <= l0 * \exp(m0 - mn) && \exp(m0 - mn) <= 2; */
  /*@ assert a4: l0 * \exp(m0 - mn) <= 2 * l0; */
  /*@ loop invariant 0 <= i <= n;
      loop invariant fin: \is_finite(acc) && \forall integer j; 0 <= j < n ==> \is_finite(s[j]);
      loop invariant fin: finite_range(s, 1, n);
      loop invariant k: exp_e + 2 * fp_u <= acc_k(i + 1, exp_e + 2 * fp_u)
                          <= exp_e + 2 * fp_u + 2 * (i + 1) * fp_u;
      loop invariant nn: 0 <= acc_n(i + 1, (2 * l0 + 1) * exp_z)
                           <= 2 * (i + 1) * ((2 * l0 + 1) * exp_z + fp_eta);
      loop invariant ge: \forall integer j; 0 <= j < n ==> elt{Pre}(s, 1, j) <= mn;
      loop invariant done: \forall integer j; 0 <= j < i ==> 0 <= s[j] <= 1 &&
        \abs(s[j] - \exp(\at(s[j], Pre) - mn)) <= exp_e * \exp(\at(s[j], Pre) - mn) + exp_z;
      loop invariant todo: \forall integer j; i <= j < n ==> s[j] == \at(s[j], Pre);
      loop invariant pos: 0 <= sexp{Pre}(s, i, mn) <= 2 * i;
      loop invariant err: \abs(acc - (l0 * \exp(m0 - mn) + sexp{Pre}(s, i, mn)))
        <= acc_k(i + 1, exp_e + 2 * fp_u) * (l0 * \exp(m0 - mn) + sexp{Pre}(s, i, mn))
           + acc_n(i + 1, (2 * l0 + 1) * exp_z);
      loop invariant small: 0 <= acc <= 4 * l0 + 4 * i + 1;
      loop assigns i, acc, s[0 .. n - 1];
      loop variant n - i; */
  for (int64_t i = 0; i < n; i++) {
    double v = kern_load(s, i, 1, n);
    //@ assert v_pre: v == elt{Pre}(s, 1, i);
    double p = kern_fexpdiff(v, mn);
    //@ assert t_pos: 0 < \exp(v - mn) <= 2;
    /*@ assert next: sexp{Pre}(s, i + 1, mn) == sexp{Pre}(s, i, mn) + \exp(v - mn) &&
          acc_k(i + 2, exp_e + 2 * fp_u) == acc_k(i + 1, exp_e + 2 * fp_u) + 2 * fp_u &&
          acc_n(i + 2, (2 * l0 + 1) * exp_z)
            == acc_n(i + 1, (2 * l0 + 1) * exp_z) + 2 * ((2 * l0 + 1) * exp_z + fp_eta); */
    /*@ assert KA: \let T = l0 * \exp(m0 - mn) + sexp{Pre}(s, i, mn);
          acc_k(i + 1, exp_e + 2 * fp_u) * T <= T; */
    /*@ assert Kt: (exp_e + 2 * fp_u) * \exp(v - mn) <= acc_k(i + 1, exp_e + 2 * fp_u) * \exp(v - mn)
          && (exp_e + 2 * fp_u) * \exp(v - mn) <= \exp(v - mn); */
    /*@ assert te: \abs(p - \exp(v - mn))
          <= (exp_e + 2 * fp_u) * \abs(\exp(v - mn)) + (2 * l0 + 1) * exp_z; */
    /*@ assert N: fp_u * acc_n(i + 1, (2 * l0 + 1) * exp_z)
          <= ((2 * l0 + 1) * exp_z + fp_eta) / 2; */
    s[i] = p;
    double acc1 = kern_fadd(acc, p);
    /*@ assert step: \let T = l0 * \exp(m0 - mn) + sexp{Pre}(s, i, mn);
          \abs(acc1 - (T + \exp(v - mn)))
          <= (acc_k(i + 1, exp_e + 2 * fp_u) + 2 * fp_u) * (T + \abs(\exp(v - mn)))
             + (acc_n(i + 1, (2 * l0 + 1) * exp_z) + 2 * ((2 * l0 + 1) * exp_z + fp_eta)); */
    acc = acc1;
  }
  *m = mn;
  *l = acc;
  return alpha;
}
