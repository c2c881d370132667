/* fast/kern, binary32: the backward's elementwise chains of exact32 (kern_grad_f32.c), kern_grad.h's
 * kernels at float (same names plus _f32, FA_SFX of fast/real.h picks them), and kern_vmul_f32
 * (the norms' products by gamma). Every operation rounds in binary32: fp32_rnd, u = 2^-24,
 * eta = 2^-150 (proofs/fp32.acsl); chains as witnesses in proofs/grad_f32.acsl. Magnitude
 * preconditions only exclude overflow. */
#ifndef ATTNREF_FAST_KERN_GRAD_F32_H
#define ATTNREF_FAST_KERN_GRAD_F32_H

#include <stdint.h>

#ifdef __FRAMAC__
#include "proofs/attnref.acsl"
#endif

/* dp[j] <- rnd32(p[j] * rnd32(dp[j] - r)), j < n: a row of dS = P o (dP - r 1^T)
 * |dp'_j - p_j (dp_j - r)| <= 3u |p_j (dp_j - r)| + (1 + 2 |p_j|) eta. */
/*@ requires 0 <= n && \valid_read(p + (0 .. n - 1)) && \valid(dp + (0 .. n - 1));
    requires \separated(p + (0 .. n - 1), dp + (0 .. n - 1));
    requires fin: finite_rangef(p, 1, n) && finite_rangef(dp, 1, n) && \is_finite(r);
    requires big: \forall integer j; 0 <= j < n ==> \abs(dp[j] - r) <= 0x1p125 &&
      \abs(p[j]) <= 0x1p125 && \abs((dp[j] - r) * p[j]) <= 0x1p124;
    assigns dp[0 .. n - 1];
    ensures fin: finite_rangef(dp, 1, n);
    ensures rnd: \forall integer j; 0 <= j < n ==> sub_mul_rnd32(dp[j], \old(dp[j]), r, p[j]);
    ensures err: \forall integer j; 0 <= j < n ==>
      \abs(dp[j] - (\old(dp[j]) - r) * p[j])
        <= 3 * fp32_u * \abs((\old(dp[j]) - r) * p[j]) + (1 + 2 * \abs(p[j])) * fp32_eta;
*/
void kern_ds_row_f32(int64_t n, const float *p, float r, float *dp);

/* h[j] <- rnd32(rnd32(x[j] - mu) * rs), j < n (x and h apart): a row of xhat
 * |h_j - (x_j - mu) rs| <= 3u |(x_j - mu) rs| + (1 + 2 |rs|) eta. */
/*@ requires 0 <= n && \valid_read(x + (0 .. n - 1)) && \valid(h + (0 .. n - 1));
    requires \separated(x + (0 .. n - 1), h + (0 .. n - 1));
    requires fin: finite_rangef(x, 1, n) && \is_finite(mu) && \is_finite(rs);
    requires big: \abs(rs) <= 0x1p125 && \forall integer j; 0 <= j < n ==>
      \abs(x[j] - mu) <= 0x1p125 && \abs((x[j] - mu) * rs) <= 0x1p124;
    assigns h[0 .. n - 1];
    ensures fin: finite_rangef(h, 1, n);
    ensures rnd: \forall integer j; 0 <= j < n ==> sub_mul_rnd32(h[j], x[j], mu, rs);
    ensures err: \forall integer j; 0 <= j < n ==>
      \abs(h[j] - (x[j] - mu) * rs) <= 3 * fp32_u * \abs((x[j] - mu) * rs) + (1 + 2 * \abs(rs)) * fp32_eta;
*/
void kern_norm_xhat_f32(int64_t n, const float *x, float mu, float rs, float *h);

/* g[j] <- rnd32(rs * rnd32(rnd32(g[j] - a) - rnd32(h[j] * b))), j < n (h and g apart): a row of
 * the norms' dx = rs (g - a - xhat b). With E_j = g_j - a - h_j b and S_j = |g_j - a| + |h_j b|:
 * |g'_j - rs E_j| <= 3u |rs E_j| + 2u |rs| S_j + (1 + 5 |rs|) eta. */
/*@ requires 0 <= n && \valid_read(h + (0 .. n - 1)) && \valid(g + (0 .. n - 1));
    requires \separated(h + (0 .. n - 1), g + (0 .. n - 1));
    requires fin: finite_rangef(h, 1, n) && finite_rangef(g, 1, n);
    requires fin: \is_finite(a) && \is_finite(b) && \is_finite(rs);
    requires big: \abs(rs) <= 0x1p125 && \forall integer j; 0 <= j < n ==>
      \abs(g[j] - a) <= 0x1p123 && \abs(h[j] * b) <= 0x1p123 &&
      \abs(rs) * (\abs(g[j] - a) + \abs(h[j] * b)) <= 0x1p123;
    assigns g[0 .. n - 1];
    ensures fin: finite_rangef(g, 1, n);
    ensures rnd: \forall integer j; 0 <= j < n ==> ndx_rnd32(g[j], \old(g[j]), a, h[j], b, rs);
    ensures err: \forall integer j; 0 <= j < n ==>
      \abs(g[j] - rs * (\old(g[j]) - a - h[j] * b))
        <= 3 * fp32_u * \abs(rs * (\old(g[j]) - a - h[j] * b))
           + 2 * fp32_u * \abs(rs) * (\abs(\old(g[j]) - a) + \abs(h[j] * b))
           + (1 + 5 * \abs(rs)) * fp32_eta;
*/
void kern_norm_dx_f32(int64_t n, const float *h, float a, float b, float rs, float *g);

/* x[i] <- rnd32(w[i] * x[i]), i < n (contiguous, w and x apart): y = xhat o gamma, g = dy o gamma */
/*@ requires 0 <= n && \valid_read(w + (0 .. n - 1)) && \valid(x + (0 .. n - 1));
    requires \separated(w + (0 .. n - 1), x + (0 .. n - 1));
    requires fin: finite_rangef(w, 1, n) && finite_rangef(x, 1, n);
    requires big: \forall integer j; 0 <= j < n ==> \abs(w[j] * x[j]) <= fp32_big;
    assigns x[0 .. n - 1];
    ensures fin: finite_rangef(x, 1, n);
    ensures rnd: \forall integer j; 0 <= j < n ==> fp32_rnd(x[j], w[j] * \old(x[j]));
    ensures err: \forall integer j; 0 <= j < n ==>
      \abs(x[j] - w[j] * \old(x[j])) <= fp32_u * \abs(w[j] * \old(x[j])) + fp32_eta;
*/
void kern_vmul_f32(int64_t n, const float *w, float *x);

#endif
