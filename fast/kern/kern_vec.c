/* Elementwise updates of a contiguous vector: scale, axpy. */
#include "fast/kern/kern.h"
#include "fast/kern/kern_fp.h"

/* x[i] <- rnd(alpha * x[i]) */
void kern_scale(int64_t n, double alpha, double *x) {
  /*@ loop invariant 0 <= i <= n;
      loop invariant fin: \forall integer j; 0 <= j < n ==> \is_finite(x[j]);
      loop invariant done: \forall integer j; 0 <= j < i ==> fp_rnd(x[j], alpha * \at(x[j], Pre));
      loop invariant untouched: \forall integer j; i <= j < n ==> x[j] == \at(x[j], Pre);
      loop assigns i, x[0 .. n - 1];
      loop variant n - i; */
  for (int64_t i = 0; i < n; i++) {
    //@ assert old: \let k = i; x[k] == \at(x[k], Pre);
    //@ assert fin: \let k = i; \is_finite(\at(x[k], Pre));
    //@ assert pre: \let k = i; \abs(alpha * \at(x[k], Pre)) <= fp_big;
    x[i] = kern_fmul(alpha, x[i]);
  }
}

/* y[i] <- rnd(y[i] + rnd(alpha * x[i])) */
void kern_axpy(int64_t n, double alpha, const double *x, double *y) {
  /*@ loop invariant 0 <= i <= n;
      loop invariant fin: \forall integer j; 0 <= j < n ==> \is_finite(y[j]);
      loop invariant done: \forall integer j; 0 <= j < i ==>
        \abs(y[j] - (\at(y[j], Pre) + alpha * x[j]))
          <= fp_u * \abs(\at(y[j], Pre) + alpha * x[j]) + 2 * fp_u * \abs(alpha * x[j]) + 3 * fp_eta;
      loop invariant untouched: \forall integer j; i <= j < n ==> y[j] == \at(y[j], Pre);
      loop assigns i, y[0 .. n - 1];
      loop variant n - i; */
  for (int64_t i = 0; i < n; i++) {
    //@ assert old: \let k = i; y[k] == \at(y[k], Pre);
    //@ assert fin: \let k = i; \is_finite(x[k]) && \is_finite(\at(y[k], Pre));
    /*@ assert pre: \let k = i;
          \abs(alpha * x[k]) <= 0x1p998 && \abs(\at(y[k], Pre) + alpha * x[k]) <= 0x1p998; */
    double p = kern_fmul(alpha, x[i]);
    //@ assert p_err: \abs(p - alpha * x[i]) <= fp_u * \abs(alpha * x[i]) + fp_eta;
    double r = kern_fadd(y[i], p);
    //@ assert r_err: \abs(r - (y[i] + p)) <= fp_u * \abs(y[i] + p) + fp_eta;
    /*@ assert step: \let k = i; \abs(r - (\at(y[k], Pre) + alpha * x[k]))
          <= fp_u * \abs(\at(y[k], Pre) + alpha * x[k]) + 2 * fp_u * \abs(alpha * x[k]) + 3 * fp_eta; */
    y[i] = r;
  }
}
