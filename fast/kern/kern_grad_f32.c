/* The backward's elementwise chains in binary32 (exact32): kern_grad.c's kernels and proofs with
 * the binary32 steps of kern_fp.h (fp32_rnd), and kern_vmul_f32. */
#include "fast/kern/kern_grad_f32.h"
#include "fast/kern/kern_fp.h"

/* res <- rnd32(rnd32(a - b) * w) */
/*@ requires fin: \is_finite(a) && \is_finite(b) && \is_finite(w);
    requires big: \abs(a - b) <= 0x1p125 && \abs(w) <= 0x1p125 && \abs((a - b) * w) <= 0x1p124;
    assigns \nothing;
    ensures fin: \is_finite(\result);
    ensures rnd: sub_mul_rnd32(\result, a, b, w);
    ensures err: \abs(\result - (a - b) * w)
                   <= 3 * fp32_u * \abs((a - b) * w) + (1 + 2 * \abs(w)) * fp32_eta;
    ensures errp: sub_mul_err32(\result, a, b, w);
*/
static inline float grad_sub_mul32(float a, float b, float w) {
  float t = kern_fsub32(a, b);
  //@ assert t_err: \abs(t - (a - b)) <= fp32_u * \abs(a - b) + fp32_eta;
  //@ assert t_abs: \abs(t) <= (1 + fp32_u) * \abs(a - b) + fp32_eta;
  //@ assert tw: \abs(t * w) == \abs(t) * \abs(w);
  //@ assert dw: \abs((a - b) * w) == \abs(a - b) * \abs(w);
  //@ assert tw_le: \abs(t) * \abs(w) <= ((1 + fp32_u) * \abs(a - b) + fp32_eta) * \abs(w);
  //@ assert tw_big: \abs(t * w) <= fp32_big;
  float y = kern_fmul32(t, w);
  //@ assert y_err: \abs(y - t * w) <= fp32_u * \abs(t * w) + fp32_eta;
  //@ assert dt: \abs(t * w - (a - b) * w) == \abs(t - (a - b)) * \abs(w);
  //@ assert dt_le: \abs(t - (a - b)) * \abs(w) <= (fp32_u * \abs(a - b) + fp32_eta) * \abs(w);
  //@ assert chain: fp32_rnd(t, a - b) && fp32_rnd(y, t * w);
  return y;
}

/* res <- rnd32(rnd32(rnd32(g - a) - rnd32(h * b)) * rs) */
/*@ requires fin: \is_finite(g) && \is_finite(a) && \is_finite(h) && \is_finite(b) && \is_finite(rs);
    requires big: \abs(g - a) <= 0x1p123 && \abs(h * b) <= 0x1p123 && \abs(rs) <= 0x1p125 &&
                  \abs(rs) * (\abs(g - a) + \abs(h * b)) <= 0x1p123;
    assigns \nothing;
    ensures fin: \is_finite(\result);
    ensures rnd: ndx_rnd32(\result, g, a, h, b, rs);
    ensures err: \abs(\result - rs * (g - a - h * b))
                   <= 3 * fp32_u * \abs(rs * (g - a - h * b))
                      + 2 * fp32_u * \abs(rs) * (\abs(g - a) + \abs(h * b)) + (1 + 5 * \abs(rs)) * fp32_eta;
    ensures errp: ndx_err32(\result, g, a, h, b, rs);
*/
static inline float grad_ndx32(float g, float a, float h, float b, float rs) {
  float t1 = kern_fsub32(g, a);
  float t2 = kern_fmul32(h, b);
  //@ assert t1_err: \abs(t1 - (g - a)) <= fp32_u * \abs(g - a) + fp32_eta;
  //@ assert t2_err: \abs(t2 - h * b) <= fp32_u * \abs(h * b) + fp32_eta;
  //@ assert e12: \abs((t1 - t2) - (g - a - h * b)) <= fp32_u * (\abs(g - a) + \abs(h * b)) + 2 * fp32_eta;
  //@ assert d12: \abs(t1 - t2) <= (1 + fp32_u) * (\abs(g - a) + \abs(h * b)) + 2 * fp32_eta;
  //@ assert d12_rs: \abs((t1 - t2) * rs) == \abs(t1 - t2) * \abs(rs);
  /*@ assert d12_rs_le: \abs(t1 - t2) * \abs(rs)
          <= ((1 + fp32_u) * (\abs(g - a) + \abs(h * b)) + 2 * fp32_eta) * \abs(rs); */
  //@ assert big: \abs(t1 - t2) <= 0x1p125 && \abs((t1 - t2) * rs) <= 0x1p124;
  float v = grad_sub_mul32(t1, t2, rs);
  //@ assert v_err: \abs(v - (t1 - t2) * rs) <= 3 * fp32_u * \abs((t1 - t2) * rs) + (1 + 2 * \abs(rs)) * fp32_eta;
  //@ assert e_rs: \abs(rs * (g - a - h * b)) == \abs(rs) * \abs(g - a - h * b);
  /*@ assert de: \abs((t1 - t2) * rs - rs * (g - a - h * b))
          == \abs((t1 - t2) - (g - a - h * b)) * \abs(rs); */
  /*@ assert de_le: \abs((t1 - t2) - (g - a - h * b)) * \abs(rs)
          <= (fp32_u * (\abs(g - a) + \abs(h * b)) + 2 * fp32_eta) * \abs(rs); */
  /*@ assert d12_abs: \abs(t1 - t2) * \abs(rs)
          <= (\abs(g - a - h * b) + fp32_u * (\abs(g - a) + \abs(h * b)) + 2 * fp32_eta) * \abs(rs); */
  //@ assert chain: fp32_rnd(t1, g - a) && fp32_rnd(t2, h * b) && sub_mul_rnd32(v, t1, t2, rs);
  return v;
}

/* dp[j] <- rnd32(p[j] * rnd32(dp[j] - r)) */
KERN_VECTOR_CLONES
void kern_ds_row_f32(int64_t n, const float *p, float r, float *dp) {
  /* p and dp are apart (the contract says so): the map runs in vector lanes */
#ifndef __FRAMAC__
#pragma omp simd
#endif
  /*@ loop invariant 0 <= i <= n;
      loop invariant fin: \forall integer j; 0 <= j < n ==> \is_finite(dp[j]);
      loop invariant rnd: \forall integer j; 0 <= j < i ==>
        sub_mul_rnd32(dp[j], \at(dp[j], Pre), r, p[j]);
      loop invariant err: \forall integer j; 0 <= j < i ==> sub_mul_err32(dp[j], \at(dp[j], Pre), r, p[j]);
      loop invariant untouched: \forall integer j; i <= j < n ==> dp[j] == \at(dp[j], Pre);
      loop assigns i, dp[0 .. n - 1];
      loop variant n - i; */
  for (int64_t i = 0; i < n; i++) {
    //@ assert old: \let k = i; dp[k] == \at(dp[k], Pre);
    //@ assert fin: \let k = i; \is_finite(\at(dp[k], Pre)) && \is_finite(p[k]);
    dp[i] = grad_sub_mul32(dp[i], r, p[i]);
  }
}

/* h[j] <- rnd32(rnd32(x[j] - mu) * rs) */
KERN_VECTOR_CLONES
void kern_norm_xhat_f32(int64_t n, const float *x, float mu, float rs, float *h) {
#ifndef __FRAMAC__
#pragma omp simd
#endif
  /*@ loop invariant 0 <= i <= n;
      loop invariant fin: \forall integer j; 0 <= j < i ==> \is_finite(h[j]);
      loop invariant rnd: \forall integer j; 0 <= j < i ==> sub_mul_rnd32(h[j], x[j], mu, rs);
      loop invariant err: \forall integer j; 0 <= j < i ==> sub_mul_err32(h[j], x[j], mu, rs);
      loop assigns i, h[0 .. n - 1];
      loop variant n - i; */
  for (int64_t i = 0; i < n; i++) {
    //@ assert fin: \let k = i; \is_finite(x[k]);
    h[i] = grad_sub_mul32(x[i], mu, rs);
  }
}

/* g[j] <- rnd32(rs * rnd32(rnd32(g[j] - a) - rnd32(h[j] * b))) */
KERN_VECTOR_CLONES
void kern_norm_dx_f32(int64_t n, const float *h, float a, float b, float rs, float *g) {
#ifndef __FRAMAC__
#pragma omp simd
#endif
  /*@ loop invariant 0 <= i <= n;
      loop invariant fin: \forall integer j; 0 <= j < n ==> \is_finite(g[j]);
      loop invariant rnd: \forall integer j; 0 <= j < i ==>
        ndx_rnd32(g[j], \at(g[j], Pre), a, h[j], b, rs);
      loop invariant err: \forall integer j; 0 <= j < i ==> ndx_err32(g[j], \at(g[j], Pre), a, h[j], b, rs);
      loop invariant untouched: \forall integer j; i <= j < n ==> g[j] == \at(g[j], Pre);
      loop assigns i, g[0 .. n - 1];
      loop variant n - i; */
  for (int64_t i = 0; i < n; i++) {
    //@ assert old: \let k = i; g[k] == \at(g[k], Pre);
    //@ assert fin: \let k = i; \is_finite(\at(g[k], Pre)) && \is_finite(h[k]);
    g[i] = grad_ndx32(g[i], a, h[i], b, rs);
  }
}

/* x[i] <- rnd32(w[i] * x[i]) */
KERN_VECTOR_CLONES
void kern_vmul_f32(int64_t n, const float *w, float *x) {
#ifndef __FRAMAC__
#pragma omp simd
#endif
  /*@ loop invariant 0 <= i <= n;
      loop invariant fin: \forall integer j; 0 <= j < n ==> \is_finite(x[j]);
      loop invariant rnd: \forall integer j; 0 <= j < i ==> fp32_rnd(x[j], w[j] * \at(x[j], Pre));
      loop invariant untouched: \forall integer j; i <= j < n ==> x[j] == \at(x[j], Pre);
      loop assigns i, x[0 .. n - 1];
      loop variant n - i; */
  for (int64_t i = 0; i < n; i++) {
    //@ assert old: \let k = i; x[k] == \at(x[k], Pre);
    //@ assert fin: \let k = i; \is_finite(\at(x[k], Pre)) && \is_finite(w[k]);
    //@ assert pre: \let k = i; \abs(w[k] * \at(x[k], Pre)) <= fp32_big;
    x[i] = kern_fmul32(w[i], x[i]);
  }
}
