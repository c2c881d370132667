/* Elementwise kernels of the approximate path: weights, exclusive prefix step, scaled copy,
 * division. One rounding per element, each through a step of kern_fp.h. */
#include "fast/kern/kern_approx.h"
#include "fast/kern/kern_fp.h"

/* x[i] <- rnd(w[i] * x[i]) */
void kern_vmul(int64_t n, const double *w, double *x) {
  /*@ loop invariant 0 <= i <= n;
      loop invariant fin: \forall integer j; 0 <= j < n ==> \is_finite(x[j]);
      loop invariant done: \forall integer j; 0 <= j < i ==> fp_rnd(x[j], w[j] * \at(x[j], Pre));
      loop invariant untouched: \forall integer j; i <= j < n ==> x[j] == \at(x[j], Pre);
      loop assigns i, x[0 .. n - 1];
      loop variant n - i; */
  for (int64_t i = 0; i < n; i++) {
    //@ assert old: \let k = i; x[k] == \at(x[k], Pre);
    //@ assert fin: \let k = i; \is_finite(\at(x[k], Pre)) && \is_finite(w[k]);
    //@ assert pre: \let k = i; \abs(w[k] * \at(x[k], Pre)) <= fp_big;
    x[i] = kern_fmul(w[i], x[i]);
  }
}

/* (st[i], run[i]) <- (run[i], rnd(run[i] + st[i])) */
void kern_excl_step(int64_t n, double *run, double *st) {
  /*@ loop invariant 0 <= i <= n;
      loop invariant fin: \forall integer j; 0 <= j < n ==> \is_finite(run[j]) && \is_finite(st[j]);
      loop invariant done: \forall integer j; 0 <= j < i ==>
        st[j] == \at(run[j], Pre) && fp_rnd(run[j], \at(run[j], Pre) + \at(st[j], Pre));
      loop invariant untouched: \forall integer j; i <= j < n ==>
        run[j] == \at(run[j], Pre) && st[j] == \at(st[j], Pre);
      loop assigns i, run[0 .. n - 1], st[0 .. n - 1];
      loop variant n - i; */
  for (int64_t i = 0; i < n; i++) {
    //@ assert old: \let k = i; run[k] == \at(run[k], Pre) && st[k] == \at(st[k], Pre);
    //@ assert fin: \let k = i; \is_finite(\at(run[k], Pre)) && \is_finite(\at(st[k], Pre));
    //@ assert pre: \let k = i; \abs(\at(run[k], Pre) + \at(st[k], Pre)) <= fp_big;
    double r = run[i], s = st[i];
    st[i] = r;
    run[i] = kern_fadd(r, s);
  }
}

/* y[i] <- rnd(alpha * x[i]) */
void kern_scopy(int64_t n, double alpha, const double *x, double *y) {
  /*@ loop invariant 0 <= i <= n;
      loop invariant fin: \forall integer j; 0 <= j < i ==> \is_finite(y[j]);
      loop invariant done: \forall integer j; 0 <= j < i ==> fp_rnd(y[j], alpha * x[j]);
      loop assigns i, y[0 .. n - 1];
      loop variant n - i; */
  for (int64_t i = 0; i < n; i++) {
    //@ assert fin: \let k = i; \is_finite(x[k]);
    //@ assert pre: \let k = i; \abs(alpha * x[k]) <= fp_big;
    y[i] = kern_fmul(alpha, x[i]);
  }
}

/* x[i] <- rnd(x[i] / d) */
void kern_vdiv(int64_t n, double d, double *x) {
  /*@ loop invariant 0 <= i <= n;
      loop invariant fin: \forall integer j; 0 <= j < n ==> \is_finite(x[j]);
      loop invariant done: \forall integer j; 0 <= j < i ==> fp_rnd(x[j], \at(x[j], Pre) / d);
      loop invariant untouched: \forall integer j; i <= j < n ==> x[j] == \at(x[j], Pre);
      loop assigns i, x[0 .. n - 1];
      loop variant n - i; */
  for (int64_t i = 0; i < n; i++) {
    //@ assert old: \let k = i; x[k] == \at(x[k], Pre);
    //@ assert fin: \let k = i; \is_finite(\at(x[k], Pre));
    //@ assert pre: \let k = i; \abs(\at(x[k], Pre) / d) <= fp_big;
    x[i] = kern_fdiv(x[i], d);
  }
}
