/* Reductions over a strided range: sum and max. */
#include "fast/kern/kern.h"
#include "fast/kern/kern_fp.h"

/* res <- sum_i x[i*inc], left to right */
double kern_row_sum(int64_t n, const double *x, int64_t inc) {
  double s = 0.0;
  /*@ loop invariant 0 <= i <= n;
      loop invariant fin: \is_finite(s);
      loop invariant k: 0 <= acc_k(i, 0) <= 2 * i * fp_u;
      loop invariant nn: 0 <= acc_n(i, 0) <= 2 * i * fp_eta;
      loop invariant abs: 0 <= sumabs(x, inc, i) && \abs(sum(x, inc, i)) <= sumabs(x, inc, i);
      loop invariant err: \abs(s - sum(x, inc, i)) <= acc_k(i, 0) * sumabs(x, inc, i) + acc_n(i, 0);
      loop assigns i, s;
      loop variant n - i; */
  for (int64_t i = 0; i < n; i++) {
    double v = kern_load(x, i, inc, n);
    /*@ assert next: sum(x, inc, i + 1) == sum(x, inc, i) + v &&
          sumabs(x, inc, i + 1) == sumabs(x, inc, i) + \abs(v) &&
          acc_k(i + 1, 0) == acc_k(i, 0) + 2 * fp_u && acc_n(i + 1, 0) == acc_n(i, 0) + 2 * fp_eta; */
    //@ assert big: sumabs(x, inc, i + 1) <= 0x1p990;
    //@ assert KA: acc_k(i, 0) * sumabs(x, inc, i) <= sumabs(x, inc, i);
    //@ assert Kt: 0 <= acc_k(i, 0) * \abs(v);
    s = kern_fadd(s, v);
    /*@ assert step: \abs(s - (sum(x, inc, i) + v))
          <= (acc_k(i, 0) + 2 * fp_u) * (sumabs(x, inc, i) + \abs(v)) + (acc_n(i, 0) + 2 * fp_eta); */
  }
  return s;
}

/* res <- max_i x[i*inc] */
double kern_row_max(int64_t n, const double *x, int64_t inc) {
  double m = kern_load(x, 0, inc, n);
  /*@ loop invariant 1 <= i <= n;
      loop invariant fin: \is_finite(m);
      loop invariant max: m == maxr(x, inc, i);
      loop invariant upper: \forall integer j; 0 <= j < i ==> elt(x, inc, j) <= m;
      loop invariant attained: \exists integer j; 0 <= j < i && m == elt(x, inc, j);
      loop assigns i, m;
      loop variant n - i; */
  for (int64_t i = 1; i < n; i++) {
    double v = kern_load(x, i, inc, n);
    //@ assert next: maxr(x, inc, i + 1) == rmax(maxr(x, inc, i), v);
    double m2 = v > m ? v : m; /* a comparison of finite doubles is exact: m2 = max(m, v) */
    //@ assert cases: m <= m2 && v <= m2 && (m2 == m || m2 == v);
    m = m2;
  }
  return m;
}
