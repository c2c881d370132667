/* The isolated floating-point steps of fast/kern: each is one IEEE operation (or exp) whose
 * rounding error is ADMITTED in its contract and certified outside WP (proofs/gappa/ for + - * /,
 * the libm accuracy assumption for exp: see proofs/README.md). Everything else in fast/kern is
 * proved from these contracts. Finiteness of each result is proved by WP (Gappa, -wp-rte). */
#ifndef ATTNREF_FAST_KERN_FP_H
#define ATTNREF_FAST_KERN_FP_H

#include <math.h>
#include <stdint.h>

#ifdef __FRAMAC__
#include "proofs/attnref.acsl"
#endif

/* res <- i * inc, an element offset inside a strided range of n elements. Kept apart so that
 * the kernels' proof goals stay linear in the indices. */
/*@ requires 0 <= i < n && 0 <= inc && (n - 1) * inc <= INT64_MAX;
    assigns \nothing;
    ensures \result == i * inc && 0 <= \result <= (n - 1) * inc;
*/
static inline int64_t kern_idx(int64_t i, int64_t inc, int64_t n) {
  //@ assert i * inc <= (n - 1) * inc;
  return i * inc;
}

/* res <- a[i*inc], known finite. Kept apart for the same reason as kern_idx: the kernels' goals
 * then get the element's finiteness as a plain fact instead of instantiating finite_range. */
/*@ requires 0 <= i < n && 0 <= inc && (n - 1) * inc <= INT64_MAX;
    requires \valid_read(a + (0 .. (n - 1) * inc)) && finite_range(a, inc, n);
    assigns \nothing;
    ensures \result == a[i * inc] && \is_finite(\result);
*/
static inline double kern_load(const double *a, int64_t i, int64_t inc, int64_t n) {
  return a[kern_idx(i, inc, n)];
}

/* res <- rnd(a + b) */
/*@ requires \is_finite(a) && \is_finite(b) && \abs(a + b) <= fp_big;
    assigns \nothing;
    ensures fin: \is_finite(\result);
    admit ensures rnd: fp_rnd(\result, a + b);
*/
static inline double kern_fadd(double a, double b) { return a + b; }

/* res <- rnd(a - b) */
/*@ requires \is_finite(a) && \is_finite(b) && \abs(a - b) <= fp_big;
    assigns \nothing;
    ensures fin: \is_finite(\result);
    admit ensures rnd: fp_rnd(\result, a - b);
*/
static inline double kern_fsub(double a, double b) { return a - b; }

/* res <- rnd(a * b) */
/*@ requires \is_finite(a) && \is_finite(b) && \abs(a * b) <= fp_big;
    assigns \nothing;
    ensures fin: \is_finite(\result);
    admit ensures rnd: fp_rnd(\result, a * b);
*/
static inline double kern_fmul(double a, double b) { return a * b; }

/* res <- rnd(a / b) */
/*@ requires \is_finite(a) && \is_finite(b) && b != 0.0 && \abs(a / b) <= fp_big;
    assigns \nothing;
    ensures fin: \is_finite(\result);
    admit ensures rnd: fp_rnd(\result, a / b);
*/
static inline double kern_fdiv(double a, double b) { return a / b; }

#endif
