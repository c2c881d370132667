/* fast/kern kernels of the approximate (polynomial-method) path: the monomial feature map psi
 * (kern_feat.c); the weights phi = wq * psi, the exclusive prefix step of the block scan, the
 * scaled copies that build the backward's outer products and the normalization o / D
 * (kern_approx_vec.c); the low-rank state products around cblas_dgemm (kern_lowrank.c).
 * Same conventions as kern.h: ACSL contracts proved by Frama-C WP
 * (proofs/run_wp.sh), functional statements over the reals in the model of proofs/fp.acsl
 * (u = 2^-53, eta = 2^-1075); magnitude preconditions only exclude overflow. */
#ifndef ATTNREF_FAST_KERN_APPROX_H
#define ATTNREF_FAST_KERN_APPROX_H

#include <stdint.h>

#ifdef __FRAMAC__
#include "proofs/attnref.acsl"
#endif

/* out[a] <- x^alpha_a for the r monomials of a feature table (fast/features.h): out[0] = 1,
 * out[a] = rnd(out[par[a]] * x[var[a]]). A monomial of degree t = mdeg(a) carries t roundings:
 * |out[a] - x^alpha| <= ((1+u)^t - 1) |x^alpha| + mz(a), (1+u)^t - 1 <= 2 t u, and mz the
 * underflow term of proofs/feat.acsl (about eta times a product of |x_i|: negligible).
 * fmulr(a, b) = a b (proofs/feat.acsl: a product the provers keep as one term). The table
 * fa_features_init builds satisfies feat_table (0 <= par[a] < a, 0 <= var[a] < dh); big holds
 * when every |x_i| <= 2^15 and the degree is at most 60 (|x^alpha| <= 2^900). */
/*@ requires 1 <= r <= 0x1p31 && 1 <= dh;
    requires \valid_read(par + (0 .. r - 1)) && \valid_read(var + (0 .. r - 1));
    requires \valid(out + (0 .. r - 1));
    requires \separated(out + (0 .. r - 1), x + (0 .. dh - 1));
    requires fin: rd_range(x, 1, dh);
    requires table: feat_table(par, var, r, dh);
    requires big: \forall integer a; 0 <= a < r ==>
      amono(par, var, x, a) <= 0x1p900 && mz(par, var, x, a) <= 1;
    assigns out[0 .. r - 1];
    ensures fin: finite_range(out, 1, r);
    ensures err: \forall integer a; 0 <= a < r ==>
      \abs(out[a] - mono{Old}(par, var, x, a))
        <= fmulr(fe(mdeg{Old}(par, a)), amono{Old}(par, var, x, a)) + mz{Old}(par, var, x, a);
    ensures bound: \forall integer a; 0 <= a < r ==> 0 <= mdeg{Old}(par, a) <= a &&
      0 <= fe(mdeg{Old}(par, a)) <= 2 * mdeg{Old}(par, a) * fp_u;
*/
void kern_feat_psi(int64_t r, const int32_t *par, const int32_t *var, int64_t dh,
                   const double *x, double *out);

/* x[i] <- rnd(w[i] * x[i]), i < n (contiguous, w and x apart): phi = wq * psi. */
/*@ requires 0 <= n && \valid_read(w + (0 .. n - 1)) && \valid(x + (0 .. n - 1));
    requires \separated(w + (0 .. n - 1), x + (0 .. n - 1));
    requires fin: finite_range(w, 1, n) && finite_range(x, 1, n);
    requires \forall integer j; 0 <= j < n ==> \abs(w[j] * x[j]) <= fp_big;
    assigns x[0 .. n - 1];
    ensures fin: finite_range(x, 1, n);
    ensures rnd: \forall integer j; 0 <= j < n ==> fp_rnd(x[j], w[j] * \old(x[j]));
    ensures err: \forall integer j; 0 <= j < n ==>
      \abs(x[j] - w[j] * \old(x[j])) <= fp_u * \abs(w[j] * \old(x[j])) + fp_eta;
*/
void kern_vmul(int64_t n, const double *w, double *x);

/* st[i] <- run[i], run[i] <- rnd(run[i] + st[i]), i < n: one step of the exclusive prefix
 * over the scan's chunk states (each chunk gets the sum of the chunks before it). */
/*@ requires 0 <= n && \valid(run + (0 .. n - 1)) && \valid(st + (0 .. n - 1));
    requires \separated(run + (0 .. n - 1), st + (0 .. n - 1));
    requires fin: finite_range(run, 1, n) && finite_range(st, 1, n);
    requires \forall integer j; 0 <= j < n ==> \abs(run[j] + st[j]) <= fp_big;
    assigns run[0 .. n - 1], st[0 .. n - 1];
    ensures fin: finite_range(run, 1, n) && finite_range(st, 1, n);
    ensures excl: \forall integer j; 0 <= j < n ==> st[j] == \old(run[j]);
    ensures rnd: \forall integer j; 0 <= j < n ==> fp_rnd(run[j], \old(run[j]) + \old(st[j]));
*/
void kern_excl_step(int64_t n, double *run, double *st);

/* y[i] <- rnd(alpha * x[i]), i < n (contiguous, x and y apart): a row of an outer product
 * alpha x^T, or a scaled copy. */
/*@ requires 0 <= n && \valid_read(x + (0 .. n - 1)) && \valid(y + (0 .. n - 1));
    requires \separated(x + (0 .. n - 1), y + (0 .. n - 1));
    requires fin: finite_range(x, 1, n) && \is_finite(alpha);
    requires \forall integer j; 0 <= j < n ==> \abs(alpha * x[j]) <= fp_big;
    assigns y[0 .. n - 1];
    ensures fin: finite_range(y, 1, n);
    ensures rnd: \forall integer j; 0 <= j < n ==> fp_rnd(y[j], alpha * x[j]);
    ensures err: \forall integer j; 0 <= j < n ==>
      \abs(y[j] - alpha * x[j]) <= fp_u * \abs(alpha * x[j]) + fp_eta;
*/
void kern_scopy(int64_t n, double alpha, const double *x, double *y);

/* x[i] <- rnd(x[i] / d), i < n (contiguous): the normalization O_i / D~_i. */
/*@ requires 0 <= n && \valid(x + (0 .. n - 1));
    requires fin: finite_range(x, 1, n) && \is_finite(d);
    requires d != 0 && \forall integer j; 0 <= j < n ==> \abs(x[j] / d) <= fp_big;
    assigns x[0 .. n - 1];
    ensures fin: finite_range(x, 1, n);
    ensures rnd: \forall integer j; 0 <= j < n ==> fp_rnd(x[j], \old(x[j]) / d);
    ensures err: \forall integer j; 0 <= j < n ==>
      \abs(x[j] - \old(x[j]) / d) <= fp_u * \abs(\old(x[j]) / d) + fp_eta;
*/
void kern_vdiv(int64_t n, double d, double *x);

/* S (r x w) <- S + F^T V, F (bn x r) and V (bn x w) row-major: the scan's state update, one
 * cblas_dgemm (its ASSUMED contract: fast/kern/kern_lowrank.h). Entry (a, c) is S_ac plus the
 * dot of column a of F with column c of V, within the gemm bound. */
/*@ requires 1 <= r <= 2147483647 && 1 <= w <= 2147483647 && 1 <= bn <= 2147483647;
    requires (bn + 1) * fp_u <= 0.5;
    requires \valid(S + (0 .. r * w - 1)) && \valid_read(F + (0 .. bn * r - 1)) &&
             \valid_read(V + (0 .. bn * w - 1));
    requires \separated(S + (0 .. r * w - 1), F + (0 .. bn * r - 1)) &&
             \separated(S + (0 .. r * w - 1), V + (0 .. bn * w - 1));
    requires fin: finite_range(S, 1, r * w) && finite_range(F, 1, bn * r) &&
                  finite_range(V, 1, bn * w);
    requires \forall integer i; 0 <= i < r * w ==> \abs(S[i]) <= 0x1p990;
    requires \forall integer a, c; 0 <= a < r ==> 0 <= c < w ==>
      dotabs(F + a, r, V + c, w, bn) <= 0x1p990;
    assigns S[0 .. r * w - 1];
    ensures fin: finite_range(S, 1, r * w);
    ensures gemm: \forall integer a, c; 0 <= a < r ==> 0 <= c < w ==>
      \abs(S[a * w + c] - (dot{Old}(F + a, r, V + c, w, bn) + \old(S[a * w + c])))
        <= 2 * (bn + 1) * fp_u * (dotabs{Old}(F + a, r, V + c, w, bn) + \abs(\old(S[a * w + c])))
           + 2 * (bn + 1) * fp_eta;
*/
void kern_state_add(int64_t r, int64_t w, int64_t bn, const double *F, const double *V,
                    double *S);

/* Y (bn x w) <- F S, F (bn x r) and S (r x w) row-major: the scan's state read, one
 * cblas_dgemm. Entry (i, c) is the dot of row i of F with column c of S, within the gemm
 * bound (roff(i, r) = i r: proofs/lowrank.acsl). */
/*@ requires 1 <= r <= 2147483647 && 1 <= w <= 2147483647 && 1 <= bn <= 2147483647;
    requires (r + 1) * fp_u <= 0.5;
    requires \valid(Y + (0 .. bn * w - 1)) && \valid_read(F + (0 .. bn * r - 1)) &&
             \valid_read(S + (0 .. r * w - 1));
    requires \separated(Y + (0 .. bn * w - 1), F + (0 .. bn * r - 1)) &&
             \separated(Y + (0 .. bn * w - 1), S + (0 .. r * w - 1));
    requires fin: finite_range(F, 1, bn * r) && finite_range(S, 1, r * w);
    requires r <= 0x1p30 && \forall integer t; 0 <= t < bn * r ==> \abs(F[t]) <= 0x1p480;
    requires \forall integer t; 0 <= t < r * w ==> \abs(S[t]) <= 0x1p480;
    assigns Y[0 .. bn * w - 1];
    ensures fin: finite_range(Y, 1, bn * w);
    ensures gemm: \forall integer i, c; 0 <= i < bn ==> 0 <= c < w ==>
      \abs(Y[roff(i, w) + c] - dot{Old}(F + roff(i, r), 1, S + c, w, r))
        <= 2 * (r + 1) * fp_u * dotabs{Old}(F + roff(i, r), 1, S + c, w, r) + 2 * (r + 1) * fp_eta;
*/
void kern_state_apply(int64_t bn, int64_t w, int64_t r, const double *F, const double *S,
                      double *Y);

#endif
