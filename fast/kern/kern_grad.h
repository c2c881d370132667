/* fast/kern kernels of the backward's elementwise chains (kern_grad.c): a row of the attention
 * backward's dS = P o (dP - r), the norms' xhat = (x - mu) rs, and the norms' input gradient
 * dx = rs (g - mean(g) - xhat mean(g xhat)). Same conventions as kern.h: ACSL contracts proved
 * by Frama-C WP (proofs/run_wp.sh), functional statements over the reals in the model of
 * proofs/fp.acsl (u = 2^-53, eta = 2^-1075). Each result is stated twice: as the chain of its
 * roundings (sub_mul_rnd, ndx_rnd of proofs/grad.acsl: every intermediate is an fp_rnd of the
 * exact operation on the rounded operands) and as an error bound against the exact value.
 * Magnitude preconditions only exclude overflow. */
#ifndef ATTNREF_FAST_KERN_GRAD_H
#define ATTNREF_FAST_KERN_GRAD_H

#include <stdint.h>

#ifdef __FRAMAC__
#include "proofs/attnref.acsl"
#endif

/* dp[j] <- rnd(p[j] * rnd(dp[j] - r)), j < n: a row of dS = P o (dP - r 1^T)
 * |dp'_j - p_j (dp_j - r)| <= 3u |p_j (dp_j - r)| + (1 + 2 |p_j|) eta. */
/*@ requires 0 <= n && \valid_read(p + (0 .. n - 1)) && \valid(dp + (0 .. n - 1));
    requires \separated(p + (0 .. n - 1), dp + (0 .. n - 1));
    requires fin: finite_range(p, 1, n) && finite_range(dp, 1, n) && \is_finite(r);
    requires big: \forall integer j; 0 <= j < n ==> \abs(dp[j] - r) <= 0x1p999 &&
      \abs(p[j]) <= 0x1p999 && \abs((dp[j] - r) * p[j]) <= 0x1p998;
    assigns dp[0 .. n - 1];
    ensures fin: finite_range(dp, 1, n);
    ensures rnd: \forall integer j; 0 <= j < n ==> sub_mul_rnd(dp[j], \old(dp[j]), r, p[j]);
    ensures err: \forall integer j; 0 <= j < n ==>
      \abs(dp[j] - (\old(dp[j]) - r) * p[j])
        <= 3 * fp_u * \abs((\old(dp[j]) - r) * p[j]) + (1 + 2 * \abs(p[j])) * fp_eta;
*/
void kern_ds_row(int64_t n, const double *p, double r, double *dp);

/* h[j] <- rnd(rnd(x[j] - mu) * rs), j < n (x and h apart): a row of xhat (layernorm; rmsnorm
 * with mu = 0) |h_j - (x_j - mu) rs| <= 3u |(x_j - mu) rs| + (1 + 2 |rs|) eta. */
/*@ requires 0 <= n && \valid_read(x + (0 .. n - 1)) && \valid(h + (0 .. n - 1));
    requires \separated(x + (0 .. n - 1), h + (0 .. n - 1));
    requires fin: finite_range(x, 1, n) && \is_finite(mu) && \is_finite(rs);
    requires big: \abs(rs) <= 0x1p999 && \forall integer j; 0 <= j < n ==>
      \abs(x[j] - mu) <= 0x1p999 && \abs((x[j] - mu) * rs) <= 0x1p998;
    assigns h[0 .. n - 1];
    ensures fin: finite_range(h, 1, n);
    ensures rnd: \forall integer j; 0 <= j < n ==> sub_mul_rnd(h[j], x[j], mu, rs);
    ensures err: \forall integer j; 0 <= j < n ==>
      \abs(h[j] - (x[j] - mu) * rs) <= 3 * fp_u * \abs((x[j] - mu) * rs) + (1 + 2 * \abs(rs)) * fp_eta;
*/
void kern_norm_xhat(int64_t n, const double *x, double mu, double rs, double *h);

/* g[j] <- rnd(rs * rnd(rnd(g[j] - a) - rnd(h[j] * b))), j < n (h and g apart): a row of the
 * norms' dx = rs (g - a - xhat b), a = mean(g) (0 for rmsnorm), b = mean(g xhat), h = xhat.
 * With E_j = g_j - a - h_j b and S_j = |g_j - a| + |h_j b| (the cancellation in E_j is why S_j
 * appears): |g'_j - rs E_j| <= 3u |rs E_j| + 2u |rs| S_j + (1 + 5 |rs|) eta. */
/*@ requires 0 <= n && \valid_read(h + (0 .. n - 1)) && \valid(g + (0 .. n - 1));
    requires \separated(h + (0 .. n - 1), g + (0 .. n - 1));
    requires fin: finite_range(h, 1, n) && finite_range(g, 1, n);
    requires fin: \is_finite(a) && \is_finite(b) && \is_finite(rs);
    requires big: \abs(rs) <= 0x1p999 && \forall integer j; 0 <= j < n ==>
      \abs(g[j] - a) <= 0x1p997 && \abs(h[j] * b) <= 0x1p997 &&
      \abs(rs) * (\abs(g[j] - a) + \abs(h[j] * b)) <= 0x1p997;
    assigns g[0 .. n - 1];
    ensures fin: finite_range(g, 1, n);
    ensures rnd: \forall integer j; 0 <= j < n ==> ndx_rnd(g[j], \old(g[j]), a, h[j], b, rs);
    ensures err: \forall integer j; 0 <= j < n ==>
      \abs(g[j] - rs * (\old(g[j]) - a - h[j] * b))
        <= 3 * fp_u * \abs(rs * (\old(g[j]) - a - h[j] * b))
           + 2 * fp_u * \abs(rs) * (\abs(\old(g[j]) - a) + \abs(h[j] * b))
           + (1 + 5 * \abs(rs)) * fp_eta;
*/
void kern_norm_dx(int64_t n, const double *h, double a, double b, double rs, double *g);

#endif
