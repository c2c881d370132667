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
/*@ requires fin: 0 <= i < n && rd_range(a, inc, n);
    assigns \nothing;
    ensures \result == elt(a, inc, i);
    ensures fin: \is_finite(\result);
*/
static inline double kern_load(const double *a, int64_t i, int64_t inc, int64_t n) {
  return a[kern_idx(i, inc, n)];
}

/* a[i*inc] <- v, for in-place strided kernels: the frame facts (the other elements and the
 * cells between them unchanged) proved here once, in a small context. */
/*@ requires fin: 0 <= i < n && 1 <= inc && (n - 1) * inc <= INT64_MAX &&
                  \valid(a + (0 .. (n - 1) * inc)) && \is_finite(v) && finite_range(a, inc, n);
    assigns a[0 .. (n - 1) * inc]; // only a[i*inc] changes: set, kept and gap say so exactly
    ensures set: elt(a, inc, i) == v;
    ensures kept: \forall integer r; 0 <= r < n ==> r != i ==> elt(a, inc, r) == \old(elt(a, inc, r));
    ensures gap: \forall integer k; 0 <= k <= (n - 1) * inc ==> k % inc != 0 ==> a[k] == \old(a[k]);
    ensures fin: finite_range(a, inc, n);
*/
static inline void kern_store(double *a, int64_t i, int64_t inc, int64_t n, double v) {
  int64_t k = kern_idx(i, inc, n);
  //@ assert apart: \forall integer r; 0 <= r < n ==> r != i ==> r * inc != k;
  //@ assert apart_gap: \forall integer j; 0 <= j <= (n - 1) * inc ==> j % inc != 0 ==> j != k;
  a[k] = v;
  //@ assert fin: \forall integer r; 0 <= r < n ==> r != i ==> \is_finite(a[r * inc]);
  //@ assert fin: \is_finite(a[i * inc]);
  //@ assert fin: \forall integer r; 0 <= r < n ==> \is_finite(a[r * inc]);
}

/* res <- rnd(a + b) */
/*@ requires fin: \is_finite(a) && \is_finite(b);
    requires big: \abs(a + b) <= fp_big;
    assigns \nothing;
    ensures fin: \is_finite(\result);
    admit ensures rnd: fp_rnd(\result, a + b);
*/
static inline double kern_fadd(double a, double b) { return a + b; }

/* res <- rnd(a - b) */
/*@ requires fin: \is_finite(a) && \is_finite(b);
    requires big: \abs(a - b) <= fp_big;
    assigns \nothing;
    ensures fin: \is_finite(\result);
    admit ensures rnd: fp_rnd(\result, a - b);
*/
static inline double kern_fsub(double a, double b) { return a - b; }

/* res <- rnd(a * b) */
/*@ requires fin: \is_finite(a) && \is_finite(b);
    requires big: \abs(a * b) <= fp_big;
    assigns \nothing;
    ensures fin: \is_finite(\result);
    admit ensures rnd: fp_rnd(\result, a * b);
*/
static inline double kern_fmul(double a, double b) { return a * b; }

/* res <- rnd(a / b) */
/*@ requires fin: \is_finite(a) && \is_finite(b);
    requires big: b != 0.0 && \abs(a / b) <= fp_big;
    assigns \nothing;
    ensures fin: \is_finite(\result);
    admit ensures rnd: fp_rnd(\result, a / b);
*/
static inline double kern_fdiv(double a, double b) { return a / b; }

/* res <- (double) n, exactly for 0 <= n <= 2^53 (proofs/gappa/int_exact.g). */
/*@ requires 0 <= n <= 0x1p53;
    assigns \nothing;
    ensures fin: \is_finite(\result);
    admit ensures exact: \result == n;
*/
static inline double kern_i2d(int64_t n) { return (double)n; }

/* res <- rnd(rnd(x - c)^2), the term of a sum of squared deviations. ADMITTED: sq_rnd (relative
 * error 2^-51, or 2^-1060 absolute near 0, and res >= 0), certified by proofs/gappa/sqdiff_rel.g
 * and sqdiff_abs.g for t = x - c. */
/*@ requires fin: \is_finite(x) && \is_finite(c);
    requires big: \abs(x - c) <= 0x1p499;
    assigns \nothing;
    ensures fin: \is_finite(\result);
    admit ensures sq: sq_rnd(\result, x - c);
*/
static inline double kern_fsqdiff(double x, double c) {
  double d = kern_fsub(x, c);
  //@ assert d_big: \abs(d) <= 0x1p500;
  return kern_fmul(d, d);
}

/* res <- (a < b). An IEEE 754 comparison of two finite doubles is exact (no rounding, no
 * overflow): ADMITTED, because WP's provers do not relate IEEE comparisons to real ones. */
/*@ requires fin: \is_finite(a) && \is_finite(b);
    assigns \nothing;
    admit ensures lt: \result != 0 <==> a < b;
*/
static inline int kern_flt(double a, double b) { return a < b; }

#ifdef __FRAMAC__
/* The exponential kern_fexpdiff calls, fa_exp64 of fast/vexp.h, on the range it is called with.
 * The contract is an ASSUMPTION (proofs/README.md, A3): finite and positive on [-700, 0]; its
 * accuracy (within 2 ulps, tests/fast/t_fast_vexp.c against long double over the whole range)
 * enters only kern_fexpdiff's admitted bound. */
/*@ requires -700 <= x <= 0;
    assigns \nothing;
    ensures fin: \is_finite(\result);
    ensures pos: 0 < \result;
*/
double kern_exp_assumed(double x);
#define KERN_EXP kern_exp_assumed
#define KERN_VECTOR_CLONES
#else
/* fa_exp64 rather than libm's exp: branch-free, so the kernels' loops of exponentials
 * vectorize (a libm call per score would cost as much as the tile's matrix products). */
#include "fast/vexp.h"
#define KERN_EXP fa_exp64
/* Kernels that run once per row of a tile are compiled for AVX-512 and AVX2 too, picked at
 * run time (the build targets baseline x86-64). Still without contraction (-ffp-contract=off
 * holds for every clone). */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define KERN_VECTOR_CLONES \
  __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define KERN_VECTOR_CLONES
#endif
#endif

/* res <- exp(x - m) for x <= m, 0 when rnd(x - m) < -700 (then e^(x-m) < 2^-1009). The
 * accuracy of this step is ADMITTED: |res - e^(x-m)| <= 2^-43 e^(x-m) + 2^-1000, and res <= 1.
 * Derivation (proofs/README.md): d = rnd(x - m) has |d - (x-m)| <= 2^-53 |x-m| <= 701 2^-53
 * when not clamped (rnd_rel.g); fa_exp64 is within 2 ulps (relative 2^-51) and at most 1 on
 * d <= 0; so exp(d) = e^(x-m) (1 + r) with |r| <= 2^-51 + 702 2^-53 < 2^-43. Clamped:
 * x - m < -699.9 and e^(x-m) < 2^-1009. tests/proofs/t-kern.c checks the bound against MPFR. */
/*@ requires fin: \is_finite(x) && \is_finite(m);
    requires big: x <= m && \abs(x) <= 0x1p998 && \abs(m) <= 0x1p998;
    assigns \nothing;
    ensures fin: \is_finite(\result);
    ensures pos: 0 <= \result;
    admit ensures one: \result <= 1;
    admit ensures exp: \abs(\result - \exp(x - m)) <= exp_e * \exp(x - m) + exp_z;
*/
static inline double kern_fexpdiff(double x, double m) {
  double d = kern_fsub(x, m);
  //@ assert d_le: d <= 0;
  /* branch-free (selects, exp computed either way), so that loops of it vectorize without
   * speculating floating-point operations */
  int clamp = kern_flt(d, -700.0);
  double e = KERN_EXP(clamp ? -700.0 : d);
  return clamp ? 0.0 : e;
}

#endif
