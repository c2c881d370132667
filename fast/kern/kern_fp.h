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

/* ---- binary32 steps (the float kernels of fast/kern/kern_f32.c; proofs/fp32.acsl) ----
 * A float widens to double exactly and the double product of two floats is exact (24-bit
 * significands: 48 bits, exponents within binary64's normal range), so the double-accumulated
 * float kernels round only in their double additions; the float-to-float kernels round in
 * binary32 (fp32_rnd: u = 2^-24, eta = 2^-150). Certificates: proofs/gappa/rnd32_*.g. */

/* res <- a[i*inc] (a float), finite and below 2^128 (a property of every finite float) */
/*@ requires fin: 0 <= i < n && rd_rangef(a, inc, n);
    assigns \nothing;
    ensures \result == eltf(a, inc, i);
    ensures fin: \is_finite(\result) && \abs(\result) <= fp32_max;
*/
static inline float kern_loadf32(const float *a, int64_t i, int64_t inc, int64_t n) {
  float v = a[kern_idx(i, inc, n)];
  //@ assert fin: \is_finite(v);
  //@ assert mag: \abs(v) <= 0x1p128;
  return v;
}

/* res <- (double) a, exactly (proofs/gappa/rnd32_f2d.g) */
/*@ requires fin: \is_finite(a);
    assigns \nothing;
    ensures fin: \is_finite(\result);
    admit ensures widen: \result == a;
*/
static inline double kern_f2d(float a) {
  //@ assert mag: \abs(a) <= fp32_max;
  return (double)a;
}

/* res <- (double) a * (double) b, exactly (proofs/gappa/rnd32_mulx.g); |res| <= 2^256 */
/*@ requires fin: \is_finite(a) && \is_finite(b);
    assigns \nothing;
    ensures fin: \is_finite(\result) && \abs(\result) <= 0x1p256;
    admit ensures mulx: \result == a * b;
*/
static inline double kern_fmulf(float a, float b) {
  //@ assert mag: \abs(a) <= fp32_max && \abs(b) <= fp32_max;
  double x = kern_f2d(a), y = kern_f2d(b);
  return x * y;
}

/* res <- rnd32(a + b) */
/*@ requires fin: \is_finite(a) && \is_finite(b);
    requires big: \abs(a + b) <= fp32_big;
    assigns \nothing;
    ensures fin: \is_finite(\result);
    admit ensures rnd: fp32_rnd(\result, a + b);
*/
static inline float kern_fadd32(float a, float b) { return a + b; }

/* res <- rnd32(a * b) */
/*@ requires fin: \is_finite(a) && \is_finite(b);
    requires big: \abs(a * b) <= fp32_big;
    assigns \nothing;
    ensures fin: \is_finite(\result);
    admit ensures rnd: fp32_rnd(\result, a * b);
*/
static inline float kern_fmul32(float a, float b) { return a * b; }

/* res <- rnd32(a - b) */
/*@ requires fin: \is_finite(a) && \is_finite(b);
    requires big: \abs(a - b) <= fp32_big;
    assigns \nothing;
    ensures fin: \is_finite(\result);
    admit ensures rnd: fp32_rnd(\result, a - b);
*/
static inline float kern_fsub32(float a, float b) { return a - b; }

/* res <- (a < b) for finite floats: exact (IEEE 754 5.11), ADMITTED as kern_flt. */
/*@ requires fin: \is_finite(a) && \is_finite(b);
    assigns \nothing;
    admit ensures lt32: \result != 0 <==> (a < b);
*/
static inline int kern_flt32(float a, float b) { return a < b; }

#ifdef __FRAMAC__
/* The exponential kern_fexpdiff32 calls, fa_exp32 of fast/vexp.h, on the range it is called
 * with. The contract is an ASSUMPTION (proofs/README.md, A3f): finite and nonnegative on
 * [-87, 0]; its accuracy (2 ulps, tests/fast/t_fast_vexp.c) enters only kern_fexpdiff32's
 * admitted bound. */
/*@ requires -87 <= x <= 0;
    assigns \nothing;
    ensures fin: \is_finite(\result);
    ensures pos: 0 <= \result;
*/
float kern_exp32_assumed(float x);
#define KERN_EXP32 kern_exp32_assumed
#else
#define KERN_EXP32 fa_exp32
#endif

/* res <- exp(x - m) in float for x <= m, 0 when rnd32(x - m) < -87 (then e^(x-m) < 2^-125).
 * ADMITTED (A3f): exp32_term, i.e. |res - e^(x-m)| <= 2^-17 e^(x-m) + 2^-124 and res <= 1. d =
 * rnd32(x - m) has |d - (x-m)| <= 2^-24 |x-m| <= 88 2^-24 when not clamped (rnd32_rel.g);
 * fa_exp32 is within 2 ulps (relative 2^-22) and at most 1 on d <= 0, so exp(d) = e^(x-m) (1 + r)
 * with |r| <= 2^-22 + 89 2^-24 < 2^-17; fa_exp32(-87) = 0 and clamped: e^(x-m) < e^-86.99 <
 * 2^-125. tests/proofs/t_kern_f32.c checks the bound against MPFR. */
/*@ requires fin: \is_finite(x) && \is_finite(m);
    requires big: x <= m && \abs(x) <= 0x1p124 && \abs(m) <= 0x1p124;
    assigns \nothing;
    ensures fin: \is_finite(\result);
    ensures pos: 0 <= \result;
    admit ensures exp32: exp32_term(\result, x, m);
*/
static inline float kern_fexpdiff32(float x, float m) {
  float d = kern_fsub32(x, m);
  //@ assert d_le: d <= 0;
  int clamp = kern_flt32(d, -87.0f);
  float e = KERN_EXP32(clamp ? -87.0f : d);
  return clamp ? 0.0f : e;
}

#endif
