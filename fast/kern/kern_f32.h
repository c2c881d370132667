/* fast/kern, binary32: the float kernels of exact32 (fast/attn_exact32.c, fast/model32.c), with
 * ACSL contracts proved by Frama-C WP like kern.h's. Same names as the double kernels plus _f32
 * and the same argument lists at float (the templates pick one by FA_SFX, fast/real.h).
 * Reductions accumulate in double (float -> double and float * float are exact in double), so
 * their bounds are kern.h's with exact terms: u = 2^-53, eta = 2^-1075. Elementwise updates
 * round in binary32: fp32_rnd, u = 2^-24, eta = 2^-150 (proofs/fp32.acsl). Logic over float
 * ranges (eltf, sumf, dotf, sqdevf, maxrf): proofs/f32.acsl. */
#ifndef ATTNREF_FAST_KERN_F32_H
#define ATTNREF_FAST_KERN_F32_H

#include <stdint.h>

#ifdef __FRAMAC__
#include "proofs/attnref.acsl"
#endif

/* res <- sum_{i<n} a[i*ia] * b[i*ib] in double (each product exact, one rounding per sum)
 * |res - dot| <= 2 n u sum|a_i b_i| + 2 n eta. */
/*@ requires fin: rd_rangef(a, ia, n) && rd_rangef(b, ib, n);
    requires n <= 0x1p40;
    assigns \nothing;
    ensures fin: \is_finite(\result);
    ensures err: \abs(\result - dotf(a, ia, b, ib, n))
                   <= acc_k(n, 0) * dotabsf(a, ia, b, ib, n) + acc_n(n, 0);
    ensures bound: 0 <= acc_k(n, 0) <= 2 * n * fp_u && 0 <= acc_n(n, 0) <= 2 * n * fp_eta;
*/
double kern_dot_f32(int64_t n, const float *a, int64_t ia, const float *b, int64_t ib);

/* res <- sum_{i<n} x[i*inc] in double (left to right)
 * |res - sum| <= 2 n u sum|x_i| + 2 n eta. */
/*@ requires fin: rd_rangef(x, inc, n);
    requires n <= 0x1p40;
    assigns \nothing;
    ensures fin: \is_finite(\result);
    ensures err: \abs(\result - sumf(x, inc, n)) <= acc_k(n, 0) * sumabsf(x, inc, n) + acc_n(n, 0);
    ensures bound: 0 <= acc_k(n, 0) <= 2 * n * fp_u && 0 <= acc_n(n, 0) <= 2 * n * fp_eta;
    ensures abs: 0 <= sumabsf(x, inc, n) <= n * 0x1p128 && \abs(sumf(x, inc, n)) <= sumabsf(x, inc, n);
*/
double kern_row_sum_f32(int64_t n, const float *x, int64_t inc);

/* res <- sum_{j<n} (x[j*inc] - c)^2 in double (left to right; rmsnorm uses c = 0)
 * |res - sqdev| <= (2^-51 + 2 n u) sqdev + 2 n (2^-1060 + eta). */
/*@ requires fin: rd_rangef(x, inc, n) && \is_finite(c);
    requires n <= 0x1p40 && \abs(c) <= 0x1p399;
    assigns \nothing;
    ensures fin: \is_finite(\result);
    ensures err: \abs(\result - sqdevf(x, inc, n, c))
                   <= acc_k(n, 0x1p-51) * sqdevf(x, inc, n, c) + acc_n(n, fp_sq_z);
    ensures bound: 0x1p-51 <= acc_k(n, 0x1p-51) <= 0x1p-51 + 2 * n * fp_u &&
                   0 <= acc_n(n, fp_sq_z) <= 2 * n * (fp_sq_z + fp_eta);
    ensures pos: 0 <= sqdevf(x, inc, n, c) <= n * 0x1p800;
*/
double kern_sqdev_sum_f32(int64_t n, const float *x, int64_t inc, double c);

/* res <- sum_j x[j*inc] / n in double (n >= 1) */
/*@ requires fin: rd_rangef(x, inc, n);
    requires 1 <= n <= 0x1p40;
    assigns \nothing;
    ensures fin: \is_finite(\result);
    ensures big: \abs(\result) <= 0x1p399;
    ensures mean: \abs(\result - rdiv(sumf(x, inc, n), n))
      <= rdiv((acc_k(n, 0) + 2 * fp_u) * sumabsf(x, inc, n) + 2 * acc_n(n, 0), n) + fp_eta;
*/
double kern_mean_f32(int64_t n, const float *x, int64_t inc);

/* res <- sum_j (x[j*inc] - mu)^2 / n in double (n >= 1) */
/*@ requires fin: rd_rangef(x, inc, n) && \is_finite(mu);
    requires 1 <= n <= 0x1p40 && \abs(mu) <= 0x1p399;
    assigns \nothing;
    ensures fin: \is_finite(\result);
    ensures var: \abs(\result - rdiv(sqdevf(x, inc, n, mu), n))
      <= rdiv((acc_k(n, 0x1p-51) + 2 * fp_u) * sqdevf(x, inc, n, mu) + 2 * acc_n(n, fp_sq_z), n)
         + fp_eta;
*/
double kern_var_about_f32(int64_t n, const float *x, int64_t inc, double mu);

/* (mean, var) <- (sum_j x_j / n, sum_j (x_j - mean)^2 / n) in double, the layernorm statistics
 * of a float row (biased variance, about the computed mean). n >= 1. */
/*@ requires fin: rd_rangef(x, inc, n);
    requires 1 <= n <= 0x1p40;
    requires \valid(mean) && \valid(var) && \separated(mean, var);
    assigns *mean, *var;
    ensures fin: \is_finite(*mean) && \is_finite(*var);
    ensures mean: \abs(*mean - rdiv(sumf{Old}(x, inc, n), n))
      <= rdiv((acc_k(n, 0) + 2 * fp_u) * sumabsf{Old}(x, inc, n) + 2 * acc_n(n, 0), n) + fp_eta;
    ensures var: \abs(*var - rdiv(sqdevf{Old}(x, inc, n, *mean), n))
      <= rdiv((acc_k(n, 0x1p-51) + 2 * fp_u) * sqdevf{Old}(x, inc, n, *mean)
              + 2 * acc_n(n, fp_sq_z), n) + fp_eta;
*/
void kern_mean_var_f32(int64_t n, const float *x, int64_t inc, double *mean, double *var);

/* res <- max_{i<n} x[i*inc], exactly (n >= 1) */
/*@ requires fin: rd_rangef(x, inc, n);
    requires n >= 1;
    assigns \nothing;
    ensures fin: \is_finite(\result);
    ensures max: \result == maxrf(x, inc, n);
    ensures upper: \forall integer j; 0 <= j < n ==> eltf(x, inc, j) <= \result;
    ensures attained: \exists integer j; 0 <= j < n && \result == eltf(x, inc, j);
*/
float kern_row_max_f32(int64_t n, const float *x, int64_t inc);

/* x[i] <- rnd32(alpha * x[i]), i < n (contiguous) */
/*@ requires 0 <= n && \valid(x + (0 .. n - 1));
    requires fin: finite_rangef(x, 1, n) && \is_finite(alpha);
    requires \forall integer j; 0 <= j < n ==> \abs(alpha * x[j]) <= fp32_big;
    assigns x[0 .. n - 1];
    ensures fin: finite_rangef(x, 1, n);
    ensures rnd: \forall integer j; 0 <= j < n ==> fp32_rnd(x[j], alpha * \old(x[j]));
    ensures err: \forall integer j; 0 <= j < n ==>
      \abs(x[j] - alpha * \old(x[j])) <= fp32_u * \abs(alpha * \old(x[j])) + fp32_eta;
*/
void kern_scale_f32(int64_t n, float alpha, float *x);

/* y[i] <- rnd32(y[i] + rnd32(alpha * x[i])), i < n (contiguous, x and y apart; alpha = 1: one
 * rounding, y[i] + x[i]) |y_i - (y_i + alpha x_i)| <= u |y_i + alpha x_i| + 2 u |alpha x_i| + 3 eta. */
/*@ requires 0 <= n && \valid_read(x + (0 .. n - 1)) && \valid(y + (0 .. n - 1));
    requires \separated(x + (0 .. n - 1), y + (0 .. n - 1));
    requires fin: finite_rangef(x, 1, n) && finite_rangef(y, 1, n) && \is_finite(alpha);
    requires \forall integer j; 0 <= j < n ==>
      \abs(alpha * x[j]) <= 0x1p125 && \abs(y[j] + alpha * x[j]) <= 0x1p125;
    assigns y[0 .. n - 1];
    ensures fin: finite_rangef(y, 1, n);
    ensures err: \forall integer j; 0 <= j < n ==>
      \abs(y[j] - (\old(y[j]) + alpha * x[j]))
        <= fp32_u * \abs(\old(y[j]) + alpha * x[j]) + 2 * fp32_u * \abs(alpha * x[j]) + 3 * fp32_eta;
*/
void kern_axpy_f32(int64_t n, float alpha, const float *x, float *y);

/* The running maximum to start a float row with (l = 0): below any score the contracts admit,
 * and exp(KERN_SOFTMAX_M0_f32 - m') clamps to 0. */
#define KERN_SOFTMAX_M0_f32 (-0x1p124f)

/* p_j <- exp(x_j - m) in float for j < n, where every x_j <= m: each within 2^-17 relative
 * + 2^-124, in [0, 1] (exp32_term; fa_exp32's accuracy is assumed, proofs/README.md A3f). */
/*@ requires 0 <= n && \valid(p + (0 .. n - 1));
    requires fin: rd_rangef(x, 1, n);
    requires \separated(x + (0 .. n - 1), p + (0 .. n - 1));
    requires fin: \is_finite(m) && \abs(m) <= 0x1p124;
    requires \forall integer j; 0 <= j < n ==> \abs(x[j]) <= 0x1p124 && x[j] <= m;
    assigns p[0 .. n - 1];
    ensures fin: finite_rangef(p, 1, n);
    ensures p: \forall integer j; 0 <= j < n ==> exp32_term(p[j], x[j], m);
*/
void kern_exp_shift_f32(int64_t n, const float *x, float m, float *p);

/* p_j <- exp(x_j - m) as kern_exp_shift_f32, and res <- sum_j p_j in double, left to right:
 * relative error acc_k(n, 2^-17) = 2^-17 + 2nu against sexpf = sum_j exp(x_j - m), plus
 * acc_n(n, 2^-124). */
/*@ requires 0 <= n && (n + 1) * fp_u <= 0x1p-3 && \valid(p + (0 .. n - 1));
    requires fin: rd_rangef(x, 1, n);
    requires \separated(x + (0 .. n - 1), p + (0 .. n - 1));
    requires fin: \is_finite(m) && \abs(m) <= 0x1p124;
    requires \forall integer j; 0 <= j < n ==> \abs(x[j]) <= 0x1p124 && x[j] <= m;
    assigns p[0 .. n - 1];
    ensures fin: \is_finite(\result) && finite_rangef(p, 1, n);
    ensures p: \forall integer j; 0 <= j < n ==> exp32_term(p[j], x[j], m);
    ensures sum: 0 <= sexpf{Old}(x, n, m) && \abs(\result - sexpf{Old}(x, n, m))
      <= acc_k(n, exp32_e) * sexpf{Old}(x, n, m) + acc_n(n, exp32_z);
    ensures bound: exp32_e <= acc_k(n, exp32_e) <= exp32_e + 2 * n * fp_u &&
      0 <= acc_n(n, exp32_z) <= 2 * n * (exp32_z + fp_eta);
    ensures small: 0 <= \result <= 4 * n + 1;
*/
double kern_exp_shift_sum_f32(int64_t n, const float *x, float m, float *p);

/* One tile of the online softmax of a float row (kern_online_softmax_update in binary32: the
 * max and the exponentials in float, l in double). s[0..n) the row's scores in this tile,
 * (*m, *l) the running state of its earlier tiles. Sets m' = max(m, s_j), p_j <- exp(s_j - m'),
 * l' = l exp(m - m') + sum_j p_j (in double), returns alpha = exp(m - m') (float). Errors: each
 * exponential 2^-17 relative + 2^-124; l' relative acc_k(n, 2^-17) + 4u = 2^-17 + 2 (n+2) u,
 * plus 4 l 2^-124 + 2 acc_n(n, 2^-124) + 3 eta. */
/*@ requires n >= 0 && (n + 1) * fp_u <= 0x1p-3;
    requires fin: rd_rangef(s, 1, n);
    requires \valid(p + (0 .. n - 1)) && \valid(m) && \valid(l);
    requires \separated(s + (0 .. n - 1), p + (0 .. n - 1), m) && \separated(p + (0 .. n - 1), m);
    requires fin: \is_finite(*m) && \is_finite(*l);
    requires \forall integer j; 0 <= j < n ==> \abs(s[j]) <= 0x1p124;
    requires \abs(*m) <= 0x1p124 && 0 <= *l <= 0x1p900;
    assigns p[0 .. n - 1], *m, *l;
    ensures fin: \is_finite(\result) && \is_finite(*m) && \is_finite(*l) && finite_rangef(p, 1, n);
    ensures max: *m == mrunf{Old}(s, n, \old(*m));
    ensures p: \forall integer j; 0 <= j < n ==> exp32_term(p[j], s[j], *m);
    ensures alpha: exp32_term(\result, \old(*m), *m);
    ensures l: \abs(*l - (\old(*l) * \exp(\old(*m) - *m) + sexpf{Old}(s, n, *m)))
      <= (acc_k(n, exp32_e) + 4 * fp_u) * (\old(*l) * \exp(\old(*m) - *m) + sexpf{Old}(s, n, *m))
         + (4 * \old(*l) * exp32_z + 2 * acc_n(n, exp32_z) + 3 * fp_eta);
    ensures bound: acc_k(n, exp32_e) <= exp32_e + 2 * n * fp_u &&
      0 <= acc_n(n, exp32_z) <= 2 * n * (exp32_z + fp_eta);
*/
float kern_online_softmax_update_f32(int64_t n, const float *s, float *p, float *m, double *l);

#endif
