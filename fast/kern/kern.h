/* fast/kern: small double kernels with ACSL contracts, proved by Frama-C WP (proofs/run_wp.sh).
 * Plain loops, no BLAS, for the fast paths to call. Every contract states memory safety and a
 * functional result over the reals: exact where the kernel is exact (max, counts), otherwise an
 * a-priori rounding-error bound in the model of proofs/fp.acsl. Arrays are strided: element i
 * of (a, inc) is a[i*inc]. */
#ifndef ATTNREF_FAST_KERN_H
#define ATTNREF_FAST_KERN_H

#include <stdint.h>

#ifdef __FRAMAC__
#include "proofs/attnref.acsl"
#endif

/* res <- sum_{i<n} a[i*ia] * b[i*ib] (left to right, a product then a sum per step)
 * |res - dot| <= (2n+1) u sum|a_i b_i| + 4 n eta, u = 2^-53, eta = 2^-1075. */
/*@ requires 0 <= n && n * fp_u <= 0.25;
    requires 0 <= ia && 0 <= ib;
    requires n == 0 || ((n - 1) * ia <= INT64_MAX && (n - 1) * ib <= INT64_MAX);
    requires \valid_read(a + (0 .. (n - 1) * ia)) && \valid_read(b + (0 .. (n - 1) * ib));
    requires finite_range(a, ia, n) && finite_range(b, ib, n);
    requires \forall integer k; 0 <= k <= n ==> dotabs(a, ia, b, ib, k) <= 0x1p990;
    assigns \nothing;
    ensures \is_finite(\result);
    ensures err: \abs(\result - dot(a, ia, b, ib, n))
                   <= acc_k(n, fp_u) * dotabs(a, ia, b, ib, n) + acc_n(n, fp_eta);
    ensures acc_k(n, fp_u) <= fp_u + 2 * n * fp_u && acc_n(n, fp_eta) <= 4 * n * fp_eta;
*/
double kern_dot(int64_t n, const double *a, int64_t ia, const double *b, int64_t ib);

#endif
