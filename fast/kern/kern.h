/* fast/kern: small double kernels with ACSL contracts, proved by Frama-C WP (proofs/run_wp.sh).
 * Plain loops, no BLAS, for the fast paths to call. Every contract states memory safety and a
 * functional result over the reals: exact where the kernel is exact (max, counts), otherwise an
 * a-priori rounding-error bound in the model of proofs/fp.acsl (u = 2^-53, eta = 2^-1075).
 * Arrays are strided: element i of (a, inc) is a[i*inc]; a row of a row-major block is inc = 1,
 * a column is inc = ld. The logic functions (dot, sum, maxr, ...) are in proofs/ (.acsl); the
 * bounds use acc_k(i, c) = c + 2 i u and acc_n(i, e) = 2 i (e + eta) (proofs/acc.acsl).
 * Preconditions on magnitudes (<= 2^990) only exclude overflow. */
#ifndef ATTNREF_FAST_KERN_H
#define ATTNREF_FAST_KERN_H

#include <stdint.h>

#ifdef __FRAMAC__
#include "proofs/attnref.acsl"
#endif

/* res <- sum_{i<n} a[i*ia] * b[i*ib] (left to right, a product then a sum per step)
 * |res - dot| <= (2n+1) u sum|a_i b_i| + 4 n eta. */
/*@ requires fin: rd_range(a, ia, n) && rd_range(b, ib, n);
    requires n * fp_u <= 0.25 && dotabs_le(a, ia, b, ib, n, 0x1p990);
    assigns \nothing;
    ensures fin: \is_finite(\result);
    ensures err: \abs(\result - dot(a, ia, b, ib, n))
                   <= acc_k(n, fp_u) * dotabs(a, ia, b, ib, n) + acc_n(n, fp_eta);
    ensures bound: acc_k(n, fp_u) <= fp_u + 2 * n * fp_u && 0 <= acc_n(n, fp_eta) <= 4 * n * fp_eta;
*/
double kern_dot(int64_t n, const double *a, int64_t ia, const double *b, int64_t ib);

/* res <- sum_{i<n} x[i*inc] (left to right)
 * |res - sum| <= 2 n u sum|x_i| + 2 n eta. */
/*@ requires fin: rd_range(x, inc, n);
    requires n * fp_u <= 0.25 && sumabs_le(x, inc, n, 0x1p990);
    assigns \nothing;
    ensures fin: \is_finite(\result);
    ensures err: \abs(\result - sum(x, inc, n)) <= acc_k(n, 0) * sumabs(x, inc, n) + acc_n(n, 0);
    ensures bound: 0 <= acc_k(n, 0) <= 2 * n * fp_u && 0 <= acc_n(n, 0) <= 2 * n * fp_eta;
*/
double kern_row_sum(int64_t n, const double *x, int64_t inc);

/* res <- max_{i<n} x[i*inc], exactly (n >= 1) */
/*@ requires fin: rd_range(x, inc, n);
    requires n >= 1;
    assigns \nothing;
    ensures fin: \is_finite(\result);
    ensures max: \result == maxr(x, inc, n);
    ensures upper: \forall integer j; 0 <= j < n ==> elt(x, inc, j) <= \result;
    ensures attained: \exists integer j; 0 <= j < n && \result == elt(x, inc, j);
*/
double kern_row_max(int64_t n, const double *x, int64_t inc);

/* x[i] <- rnd(alpha * x[i]), i < n (contiguous) */
/*@ requires 0 <= n && \valid(x + (0 .. n - 1));
    requires fin: finite_range(x, 1, n) && \is_finite(alpha);
    requires \forall integer j; 0 <= j < n ==> \abs(alpha * x[j]) <= fp_big;
    assigns x[0 .. n - 1];
    ensures fin: \forall integer j; 0 <= j < n ==> \is_finite(x[j]);
    ensures rnd: \forall integer j; 0 <= j < n ==> fp_rnd(x[j], alpha * \old(x[j]));
    ensures err: \forall integer j; 0 <= j < n ==>
      \abs(x[j] - alpha * \old(x[j])) <= fp_u * \abs(alpha * \old(x[j])) + fp_eta;
*/
void kern_scale(int64_t n, double alpha, double *x);

/* y[i] <- rnd(y[i] + rnd(alpha * x[i])), i < n (contiguous, x and y apart)
 * |y_i - (y_i + alpha x_i)| <= u |y_i + alpha x_i| + 2 u |alpha x_i| + 3 eta. */
/*@ requires 0 <= n && \valid_read(x + (0 .. n - 1)) && \valid(y + (0 .. n - 1));
    requires \separated(x + (0 .. n - 1), y + (0 .. n - 1));
    requires fin: finite_range(x, 1, n) && finite_range(y, 1, n) && \is_finite(alpha);
    requires \forall integer j; 0 <= j < n ==>
      \abs(alpha * x[j]) <= 0x1p998 && \abs(y[j] + alpha * x[j]) <= 0x1p998;
    assigns y[0 .. n - 1];
    ensures fin: \forall integer j; 0 <= j < n ==> \is_finite(y[j]);
    ensures err: \forall integer j; 0 <= j < n ==>
      \abs(y[j] - (\old(y[j]) + alpha * x[j]))
        <= fp_u * \abs(\old(y[j]) + alpha * x[j]) + 2 * fp_u * \abs(alpha * x[j]) + 3 * fp_eta;
*/
void kern_axpy(int64_t n, double alpha, const double *x, double *y);

/* res <- sum_{j<n} (x[j*inc] - c)^2 (left to right; rmsnorm uses c = 0)
 * |res - sqdev| <= (2^-51 + 2 n u) sqdev + 2 n (2^-1060 + eta). */
/*@ requires fin: rd_range(x, inc, n) && \is_finite(c);
    requires n <= 0x1p40;
    requires \forall integer j; 0 <= j < n ==> \abs(elt(x, inc, j) - c) <= 0x1p400;
    assigns \nothing;
    ensures fin: \is_finite(\result);
    ensures err: \abs(\result - sqdev(x, inc, n, c))
                   <= acc_k(n, 0x1p-51) * sqdev(x, inc, n, c) + acc_n(n, fp_sq_z);
    ensures bound: 0x1p-51 <= acc_k(n, 0x1p-51) <= 0x1p-51 + 2 * n * fp_u &&
                   0 <= acc_n(n, fp_sq_z) <= 2 * n * (fp_sq_z + fp_eta);
    ensures pos: 0 <= sqdev(x, inc, n, c) <= n * 0x1p800;
*/
double kern_sqdev_sum(int64_t n, const double *x, int64_t inc, double c);

/* res <- sum_j x[j*inc] / n (n >= 1) */
/*@ requires fin: rd_range(x, inc, n);
    requires 1 <= n <= 0x1p40;
    requires \forall integer j; 0 <= j < n ==> \abs(elt(x, inc, j)) <= 0x1p397;
    assigns \nothing;
    ensures fin: \is_finite(\result);
    ensures big: \abs(\result) <= 0x1p399;
    ensures mean: \abs(\result - rdiv(sum(x, inc, n), n))
      <= rdiv((acc_k(n, 0) + 2 * fp_u) * sumabs(x, inc, n) + 2 * acc_n(n, 0), n) + fp_eta;
*/
double kern_mean(int64_t n, const double *x, int64_t inc);

/* res <- sum_j (x[j*inc] - mu)^2 / n (n >= 1) */
/*@ requires fin: rd_range(x, inc, n) && \is_finite(mu);
    requires 1 <= n <= 0x1p40;
    requires \forall integer j; 0 <= j < n ==> \abs(elt(x, inc, j) - mu) <= 0x1p400;
    assigns \nothing;
    ensures fin: \is_finite(\result);
    ensures var: \abs(\result - rdiv(sqdev(x, inc, n, mu), n))
      <= rdiv((acc_k(n, 0x1p-51) + 2 * fp_u) * sqdev(x, inc, n, mu) + 2 * acc_n(n, fp_sq_z), n)
         + fp_eta;
*/
double kern_var_about(int64_t n, const double *x, int64_t inc, double mu);

/* (mean, var) <- (sum_j x_j / n, sum_j (x_j - mean)^2 / n), the layernorm statistics (biased
 * variance, about the computed mean). n >= 1. */
/*@ requires fin: rd_range(x, inc, n);
    requires 1 <= n <= 0x1p40;
    requires \forall integer j; 0 <= j < n ==> \abs(elt(x, inc, j)) <= 0x1p397;
    requires \valid(mean) && \valid(var) && \separated(mean, var);
    requires \separated(mean, x + (0 .. (n - 1) * inc)) && \separated(var, x + (0 .. (n - 1) * inc));
    assigns *mean, *var;
    ensures fin: \is_finite(*mean) && \is_finite(*var);
    ensures mean: \abs(*mean - rdiv(sum{Old}(x, inc, n), n))
      <= rdiv((acc_k(n, 0) + 2 * fp_u) * sumabs{Old}(x, inc, n) + 2 * acc_n(n, 0), n) + fp_eta;
    ensures var: \abs(*var - rdiv(sqdev{Old}(x, inc, n, *mean), n))
      <= rdiv((acc_k(n, 0x1p-51) + 2 * fp_u) * sqdev{Old}(x, inc, n, *mean)
              + 2 * acc_n(n, fp_sq_z), n) + fp_eta;
*/
void kern_mean_var(int64_t n, const double *x, int64_t inc, double *mean, double *var);

/* x[i*inc] <- x[0] + x[inc] + ... + x[i*inc] for i < n, in place (a running sum down a strided
 * range; the causal approximate path keeps such sums over the rows of a block, column by
 * column with inc = ld). Element i carries the error of an (i+1)-term sum. */
/*@ requires 0 <= n <= 0x1p40 && 1 <= inc && (n - 1) * inc <= INT64_MAX;
    requires n == 0 || \valid(x + (0 .. (n - 1) * inc));
    requires fin: finite_range(x, inc, n);
    requires \forall integer j; 0 <= j < n ==> \abs(elt(x, inc, j)) <= 0x1p900;
    assigns x[0 .. (n - 1) * inc];
    ensures fin: finite_range(x, inc, n);
    ensures err: \forall integer i; 0 <= i < n ==>
      \abs(elt(x, inc, i) - sum{Old}(x, inc, i + 1))
        <= acc_k(i + 1, 0) * sumabs{Old}(x, inc, i + 1) + acc_n(i + 1, 0);
    ensures bound: \forall integer i; 0 <= i < n ==>
      0 <= acc_k(i + 1, 0) <= 2 * (i + 1) * fp_u && 0 <= acc_n(i + 1, 0) <= 2 * (i + 1) * fp_eta;
    ensures gap: \forall integer k; 0 <= k <= (n - 1) * inc ==> k % inc != 0 ==> x[k] == \old(x[k]);
*/
void kern_prefix_sum(int64_t n, double *x, int64_t inc);

/* The running maximum to start a row with (KERN_SOFTMAX_M0, l = 0): below any score the
 * contract admits, and exp(KERN_SOFTMAX_M0 - m') clamps to 0. */
#define KERN_SOFTMAX_M0 (-0x1p998)

/* p_j <- exp(x_j - m) for j < n, where every x_j <= m (the tile's scores against their row's
 * max or log-sum-exp): each within 2^-43 relative + 2^-1000, in [0, 1] (exp_term). */
/*@ requires 0 <= n && \valid(p + (0 .. n - 1));
    requires fin: rd_range(x, 1, n);
    requires \separated(x + (0 .. n - 1), p + (0 .. n - 1));
    requires fin: \is_finite(m) && \abs(m) <= 0x1p998;
    requires \forall integer j; 0 <= j < n ==> \abs(x[j]) <= 0x1p998 && x[j] <= m;
    assigns p[0 .. n - 1];
    ensures fin: finite_range(p, 1, n);
    ensures p: \forall integer j; 0 <= j < n ==> exp_term(p[j], x[j], m);
*/
void kern_exp_shift(int64_t n, const double *x, double m, double *p);

/* p_j <- exp(x_j - m) as kern_exp_shift, and res <- sum_j p_j, left to right: relative error
 * acc_k(n, 2^-43) = 2^-43 + 2nu against sexp = sum_j exp(x_j - m), plus acc_n(n, 2^-1000). */
/*@ requires 0 <= n && (n + 1) * fp_u <= 0x1p-3 && \valid(p + (0 .. n - 1));
    requires fin: rd_range(x, 1, n);
    requires \separated(x + (0 .. n - 1), p + (0 .. n - 1));
    requires fin: \is_finite(m) && \abs(m) <= 0x1p998;
    requires \forall integer j; 0 <= j < n ==> \abs(x[j]) <= 0x1p998 && x[j] <= m;
    assigns p[0 .. n - 1];
    ensures fin: \is_finite(\result) && finite_range(p, 1, n);
    ensures p: \forall integer j; 0 <= j < n ==> exp_term(p[j], x[j], m);
    ensures sum: 0 <= sexp{Old}(x, n, m) && \abs(\result - sexp{Old}(x, n, m))
      <= acc_k(n, exp_e) * sexp{Old}(x, n, m) + acc_n(n, exp_z);
    ensures bound: exp_e <= acc_k(n, exp_e) <= exp_e + 2 * n * fp_u &&
      0 <= acc_n(n, exp_z) <= 2 * n * (exp_z + fp_eta);
    ensures small: 0 <= \result <= 4 * n + 1;
*/
double kern_exp_shift_sum(int64_t n, const double *x, double m, double *p);

/* One tile of the online softmax of a row. s[0..n) holds the row's scores for this tile and
 * (*m, *l) the running state of its earlier tiles (proofs/softmax.acsl). Sets
 *   m' = max(m, s_0, ..., s_{n-1}),  p_j <- exp(s_j - m'),  l' = l exp(m - m') + sum_j p_j,
 * and returns alpha = exp(m - m'), by which the caller rescales its running output
 * (O' = alpha O + P V). Errors: each exponential 2^-43 relative + 2^-1000; l' relative
 * acc_k(n, 2^-43) + 4u = 2^-43 + 2 (n+2) u, plus 4 l 2^-1000 + 2 acc_n(n, 2^-1000) + 3 eta. */
/*@ requires n >= 0 && (n + 1) * fp_u <= 0x1p-3;
    requires fin: rd_range(s, 1, n);
    requires \valid(p + (0 .. n - 1)) && \valid(m) && \valid(l);
    requires \separated(s + (0 .. n - 1), p + (0 .. n - 1), m, l) && \separated(m, l);
    requires fin: \is_finite(*m) && \is_finite(*l);
    requires \forall integer j; 0 <= j < n ==> \abs(s[j]) <= 0x1p998;
    requires \abs(*m) <= 0x1p998 && 0 <= *l <= 0x1p900;
    assigns p[0 .. n - 1], *m, *l;
    ensures fin: \is_finite(\result) && \is_finite(*m) && \is_finite(*l) && finite_range(p, 1, n);
    ensures max: *m == mrun{Old}(s, n, \old(*m));
    ensures p: \forall integer j; 0 <= j < n ==> exp_term(p[j], s[j], *m);
    ensures alpha: 0 <= \result <= 1 &&
      \abs(\result - \exp(\old(*m) - *m)) <= exp_e * \exp(\old(*m) - *m) + exp_z;
    ensures l: \abs(*l - (\old(*l) * \exp(\old(*m) - *m) + sexp{Old}(s, n, *m)))
      <= (acc_k(n, exp_e) + 4 * fp_u) * (\old(*l) * \exp(\old(*m) - *m) + sexp{Old}(s, n, *m))
         + (4 * \old(*l) * exp_z + 2 * acc_n(n, exp_z) + 3 * fp_eta);
    ensures bound: acc_k(n, exp_e) <= exp_e + 2 * n * fp_u &&
      0 <= acc_n(n, exp_z) <= 2 * n * (exp_z + fp_eta);
*/
double kern_online_softmax_update(int64_t n, const double *s, double *p, double *m, double *l);

/* The largest degree kern_binom accepts. */
#define KERN_BINOM_GMAX 64

/* res <- C(d + g, g) = nmono(d, g), the feature rank of the degree-g polynomial method in d
 * variables; -1 when a partial sum of Pascal's triangle on the way exceeds INT64_MAX. */
/*@ requires 0 <= d <= 0x1p40 && 0 <= g <= KERN_BINOM_GMAX;
    assigns \nothing;
    ensures range: \result >= -1;
    ensures exact: \result != -1 ==> \result == nmono(d, g);
*/
int64_t kern_binom(int64_t d, int64_t g);

#endif
