/* The backward's elementwise chains: dS = P o (dP - r), xhat, the norms' dx. Branch-free maps
 * over a row, vectorized; every operation is a step of kern_fp.h, composed by the two proved
 * helpers below (their contracts carry the nonlinear part of the error bounds, in a small
 * context; the kernels' loops only copy them). */
#include "fast/kern/kern_grad.h"
#include "fast/kern/kern_fp.h"

/* res <- rnd(rnd(a - b) * w) */
/*@ requires fin: \is_finite(a) && \is_finite(b) && \is_finite(w);
    requires big: \abs(a - b) <= 0x1p999 && \abs(w) <= 0x1p999 && \abs((a - b) * w) <= 0x1p998;
    assigns \nothing;
    ensures fin: \is_finite(\result);
    ensures rnd: sub_mul_rnd(\result, a, b, w);
    ensures err: \abs(\result - (a - b) * w)
                   <= 3 * fp_u * \abs((a - b) * w) + (1 + 2 * \abs(w)) * fp_eta;
    ensures errp: sub_mul_err(\result, a, b, w);
*/
static inline double grad_sub_mul(double a, double b, double w) {
  double t = kern_fsub(a, b);
  //@ assert t_err: \abs(t - (a - b)) <= fp_u * \abs(a - b) + fp_eta;
  //@ assert t_abs: \abs(t) <= (1 + fp_u) * \abs(a - b) + fp_eta;
  //@ assert tw: \abs(t * w) == \abs(t) * \abs(w);
  //@ assert dw: \abs((a - b) * w) == \abs(a - b) * \abs(w);
  //@ assert tw_le: \abs(t) * \abs(w) <= ((1 + fp_u) * \abs(a - b) + fp_eta) * \abs(w);
  //@ assert tw_big: \abs(t * w) <= fp_big;
  double y = kern_fmul(t, w);
  //@ assert y_err: \abs(y - t * w) <= fp_u * \abs(t * w) + fp_eta;
  //@ assert dt: \abs(t * w - (a - b) * w) == \abs(t - (a - b)) * \abs(w);
  //@ assert dt_le: \abs(t - (a - b)) * \abs(w) <= (fp_u * \abs(a - b) + fp_eta) * \abs(w);
  //@ assert chain: fp_rnd(t, a - b) && fp_rnd(y, t * w);
  return y;
}

/* res <- rnd(rnd(rnd(g - a) - rnd(h * b)) * rs) */
/*@ requires fin: \is_finite(g) && \is_finite(a) && \is_finite(h) && \is_finite(b) && \is_finite(rs);
    requires big: \abs(g - a) <= 0x1p997 && \abs(h * b) <= 0x1p997 && \abs(rs) <= 0x1p999 &&
                  \abs(rs) * (\abs(g - a) + \abs(h * b)) <= 0x1p997;
    assigns \nothing;
    ensures fin: \is_finite(\result);
    ensures rnd: ndx_rnd(\result, g, a, h, b, rs);
    ensures err: \abs(\result - rs * (g - a - h * b))
                   <= 3 * fp_u * \abs(rs * (g - a - h * b))
                      + 2 * fp_u * \abs(rs) * (\abs(g - a) + \abs(h * b)) + (1 + 5 * \abs(rs)) * fp_eta;
    ensures errp: ndx_err(\result, g, a, h, b, rs);
*/
static inline double grad_ndx(double g, double a, double h, double b, double rs) {
  double t1 = kern_fsub(g, a);
  double t2 = kern_fmul(h, b);
  //@ assert t1_err: \abs(t1 - (g - a)) <= fp_u * \abs(g - a) + fp_eta;
  //@ assert t2_err: \abs(t2 - h * b) <= fp_u * \abs(h * b) + fp_eta;
  //@ assert e12: \abs((t1 - t2) - (g - a - h * b)) <= fp_u * (\abs(g - a) + \abs(h * b)) + 2 * fp_eta;
  //@ assert d12: \abs(t1 - t2) <= (1 + fp_u) * (\abs(g - a) + \abs(h * b)) + 2 * fp_eta;
  //@ assert d12_rs: \abs((t1 - t2) * rs) == \abs(t1 - t2) * \abs(rs);
  /*@ assert d12_rs_le: \abs(t1 - t2) * \abs(rs)
          <= ((1 + fp_u) * (\abs(g - a) + \abs(h * b)) + 2 * fp_eta) * \abs(rs); */
  //@ assert big: \abs(t1 - t2) <= 0x1p999 && \abs((t1 - t2) * rs) <= 0x1p998;
  double v = grad_sub_mul(t1, t2, rs);
  //@ assert v_err: \abs(v - (t1 - t2) * rs) <= 3 * fp_u * \abs((t1 - t2) * rs) + (1 + 2 * \abs(rs)) * fp_eta;
  //@ assert e_rs: \abs(rs * (g - a - h * b)) == \abs(rs) * \abs(g - a - h * b);
  /*@ assert de: \abs((t1 - t2) * rs - rs * (g - a - h * b))
          == \abs((t1 - t2) - (g - a - h * b)) * \abs(rs); */
  /*@ assert de_le: \abs((t1 - t2) - (g - a - h * b)) * \abs(rs)
          <= (fp_u * (\abs(g - a) + \abs(h * b)) + 2 * fp_eta) * \abs(rs); */
  /*@ assert d12_abs: \abs(t1 - t2) * \abs(rs)
          <= (\abs(g - a - h * b) + fp_u * (\abs(g - a) + \abs(h * b)) + 2 * fp_eta) * \abs(rs); */
  //@ assert chain: fp_rnd(t1, g - a) && fp_rnd(t2, h * b) && sub_mul_rnd(v, t1, t2, rs);
  return v;
}

/* dp[j] <- rnd(p[j] * rnd(dp[j] - r)) */
KERN_VECTOR_CLONES
void kern_ds_row(int64_t n, const double *p, double r, double *dp) {
  /* p and dp are apart (the contract says so): the map runs in vector lanes */
#ifndef __FRAMAC__
#pragma omp simd
#endif
  /*@ loop invariant 0 <= i <= n;
      loop invariant fin: \forall integer j; 0 <= j < n ==> \is_finite(dp[j]);
      loop invariant rnd: \forall integer j; 0 <= j < i ==>
        sub_mul_rnd(dp[j], \at(dp[j], Pre), r, p[j]);
      loop invariant err: \forall integer j; 0 <= j < i ==> sub_mul_err(dp[j], \at(dp[j], Pre), r, p[j]);
      loop invariant untouched: \forall integer j; i <= j < n ==> dp[j] == \at(dp[j], Pre);
      loop assigns i, dp[0 .. n - 1];
      loop variant n - i; */
  for (int64_t i = 0; i < n; i++) {
    //@ assert old: \let k = i; dp[k] == \at(dp[k], Pre);
    //@ assert fin: \let k = i; \is_finite(\at(dp[k], Pre)) && \is_finite(p[k]);
    dp[i] = grad_sub_mul(dp[i], r, p[i]);
  }
}

/* h[j] <- rnd(rnd(x[j] - mu) * rs) */
KERN_VECTOR_CLONES
void kern_norm_xhat(int64_t n, const double *x, double mu, double rs, double *h) {
#ifndef __FRAMAC__
#pragma omp simd
#endif
  /*@ loop invariant 0 <= i <= n;
      loop invariant fin: \forall integer j; 0 <= j < i ==> \is_finite(h[j]);
      loop invariant rnd: \forall integer j; 0 <= j < i ==> sub_mul_rnd(h[j], x[j], mu, rs);
      loop invariant err: \forall integer j; 0 <= j < i ==> sub_mul_err(h[j], x[j], mu, rs);
      loop assigns i, h[0 .. n - 1];
      loop variant n - i; */
  for (int64_t i = 0; i < n; i++) {
    //@ assert fin: \let k = i; \is_finite(x[k]);
    h[i] = grad_sub_mul(x[i], mu, rs);
  }
}

/* g[j] <- rnd(rs * rnd(rnd(g[j] - a) - rnd(h[j] * b))) */
KERN_VECTOR_CLONES
void kern_norm_dx(int64_t n, const double *h, double a, double b, double rs, double *g) {
#ifndef __FRAMAC__
#pragma omp simd
#endif
  /*@ loop invariant 0 <= i <= n;
      loop invariant fin: \forall integer j; 0 <= j < n ==> \is_finite(g[j]);
      loop invariant rnd: \forall integer j; 0 <= j < i ==>
        ndx_rnd(g[j], \at(g[j], Pre), a, h[j], b, rs);
      loop invariant err: \forall integer j; 0 <= j < i ==> ndx_err(g[j], \at(g[j], Pre), a, h[j], b, rs);
      loop invariant untouched: \forall integer j; i <= j < n ==> g[j] == \at(g[j], Pre);
      loop assigns i, g[0 .. n - 1];
      loop variant n - i; */
  for (int64_t i = 0; i < n; i++) {
    //@ assert old: \let k = i; g[k] == \at(g[k], Pre);
    //@ assert fin: \let k = i; \is_finite(\at(g[k], Pre)) && \is_finite(h[k]);
    g[i] = grad_ndx(g[i], a, h[i], b, rs);
  }
}
