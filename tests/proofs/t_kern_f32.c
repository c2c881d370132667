/* The float kernels of fast/kern/kern_f32.c (exact32's row operations, reductions and norm
 * statistics), checked against MPFR: every ensures of kern_f32.h and every admitted binary32
 * step of kern_fp.h (fp32_rnd of + - and *, exact widening, exact double product of floats,
 * the float exponential of A3f) on random floats, subnormal and near-FLT_MAX ranges and
 * cancellation included. Exact values are MPFR at 4096 bits. */
#include <float.h>
#include <stdlib.h>
#include <string.h>

#include "fast/kern/kern_f32.h"
#include "fast/kern/kern_fp.h"
#include "kern_mpfr.h"

#define PREC KM_PREC
#define U32 0x1p-24    /* binary32's unit roundoff */
#define ETA32 0x1p-150 /* binary32's underflow term */

/* A float with a random sign, mantissa and exponent in [lo, hi] (lo < -126: subnormal). */
static float rnd_float(int lo, int hi) {
  return (float)rnd_double(lo, hi);
}

/* fp32_rnd(r, x) of proofs/fp32.acsl, its err form, and r finite */
static int fp32_rnd_holds(float r, const mpfr_t x) {
  mpfr_t d, ax, lim;
  mpfr_inits2(PREC, d, ax, lim, (mpfr_ptr)0);
  mpfr_abs(ax, x, MPFR_RNDN);
  mpfr_set_d(d, r, MPFR_RNDN);
  mpfr_sub(d, d, x, MPFR_RNDN);
  mpfr_abs(d, d, MPFR_RNDN);
  int ok = isfinite(r) != 0;
  if (mpfr_cmp_d(ax, 0x1p-125) >= 0) {
    mpfr_mul_d(lim, ax, U32, MPFR_RNDN);
    ok &= mpfr_cmp(d, lim) <= 0;
  }
  if (mpfr_cmp_d(ax, 0x1p-125) <= 0) ok &= mpfr_cmp_d(d, ETA32) <= 0;
  if (mpfr_sgn(x) <= 0) ok &= r <= 0;
  if (mpfr_sgn(x) >= 0) ok &= r >= 0;
  mpfr_mul_d(lim, ax, U32, MPFR_RNDN);
  mpfr_add_d(lim, lim, ETA32, MPFR_RNDN);
  ok &= mpfr_cmp(d, lim) <= 0;
  mpfr_clears(d, ax, lim, (mpfr_ptr)0);
  return ok;
}

/* bound <- 2 i u a + 2 i eta (acc_k(i, 0) a + acc_n(i, 0), binary64) */
static void acc0_bound(mpfr_t bound, long i, const mpfr_t a) {
  mpfr_mul_d(bound, a, 2.0 * (double)i * U, MPFR_RNDN);
  mpfr_t t;
  mpfr_init2(t, PREC);
  mpfr_mul_si(t, eta, 2 * i, MPFR_RNDN);
  mpfr_add(bound, bound, t, MPFR_RNDN);
  mpfr_clear(t);
}

/* the exponent range of trial k: subnormal, near FLT_MAX, or moderate */
static void range_of(long k, int *lo, int *hi) {
  switch (k % 4) {
  case 0: *lo = -149, *hi = -120; break;
  case 1: *lo = 100, *hi = 126; break;
  case 2: *lo = -149, *hi = 127; break;
  default: *lo = -30, *hi = 30;
  }
}

/* sign(|x| - b) */
static int cmpabs_d(const mpfr_t x, double b) {
  mpfr_t l;
  mpfr_init2(l, 64);
  mpfr_set_d(l, b, MPFR_RNDN);
  int c = mpfr_cmpabs(x, l);
  mpfr_clear(l);
  return c;
}

/* kern_fadd32, kern_fmul32 (fp32_rnd), kern_f2d (exact), kern_fmulf (exact, |.| <= 2^256) */
static void test_steps(void) {
  mpfr_t x, y;
  mpfr_inits2(PREC, x, y, (mpfr_ptr)0);
  for (long k = 0; k < 200000; k++) {
    int lo, hi;
    range_of(k, &lo, &hi);
    float a = rnd_float(lo, hi), b = rnd_float(lo, hi);
    if (k % 7 == 0) b = -a * (1 + 0x1p-20f * (float)t_uniform(&rng)); /* cancellation */
    if (k % 11 == 0) b = rnd_float(-149, -140);                        /* tiny against any */
    mpfr_set_flt(x, a, MPFR_RNDN);
    mpfr_set_flt(y, b, MPFR_RNDN);
    mpfr_add(x, x, y, MPFR_RNDN);
    if (cmpabs_d(x, 0x1p126) <= 0)
      CHECK(fp32_rnd_holds(kern_fadd32(a, b), x), "fadd32(%a, %a)", a, b);
    mpfr_set_flt(x, a, MPFR_RNDN);
    mpfr_mul(x, x, y, MPFR_RNDN);
    if (cmpabs_d(x, 0x1p126) <= 0)
      CHECK(fp32_rnd_holds(kern_fmul32(a, b), x), "fmul32(%a, %a)", a, b);
    double p = kern_fmulf(a, b);
    CHECK(mpfr_cmp_d(x, p) == 0 && fabs(p) <= 0x1p256, "fmulf(%a, %a) = %a not exact", a, b, p);
    double w = kern_f2d(a);
    mpfr_set_flt(y, a, MPFR_RNDN);
    CHECK(mpfr_cmp_d(y, w) == 0 && isfinite(w), "f2d(%a)", a);
  }
  float ext[] = {FLT_MAX, -FLT_MAX, FLT_TRUE_MIN, -FLT_TRUE_MIN, FLT_MIN, 0.0f, -0.0f};
  for (int i = 0; i < 7; i++)
    for (int j = 0; j < 7; j++) {
      mpfr_set_flt(x, ext[i], MPFR_RNDN);
      mpfr_mul_d(x, x, ext[j], MPFR_RNDN);
      CHECK(mpfr_cmp_d(x, kern_fmulf(ext[i], ext[j])) == 0, "fmulf(%a, %a)", ext[i], ext[j]);
      CHECK(kern_f2d(ext[i]) == (double)ext[i], "f2d(%a)", ext[i]);
    }
  mpfr_clears(x, y, (mpfr_ptr)0);
}

/* kern_dot_f32, kern_row_sum_f32 (err, bound), kern_row_max_f32 (max, attained) */
static void test_dot_sum_max(void) {
  mpfr_t ex, ab, p, bound;
  mpfr_inits2(PREC, ex, ab, p, bound, (mpfr_ptr)0);
  for (int trial = 0; trial < 600; trial++) {
    int64_t n = (int64_t)(t_rand(&rng) % 300), ia = 1 + trial % 3, ib = 1 + (trial / 3) % 2;
    int lo, hi;
    range_of(trial, &lo, &hi);
    float *a = malloc(sizeof(float) * (size_t)(n * ia + 1));
    float *b = malloc(sizeof(float) * (size_t)(n * ib + 1));
    for (int64_t i = 0; i < n * ia + 1; i++) a[i] = rnd_float(lo, hi);
    for (int64_t i = 0; i < n * ib + 1; i++) b[i] = rnd_float(lo, hi);
    if (trial % 5 == 0) /* cancellation: the second half undoes the first */
      for (int64_t i = n / 2; i < n; i++) a[i * ia] = -a[(i - n / 2) * ia], b[i * ib] = b[(i - n / 2) * ib];
    mpfr_set_zero(ex, 1);
    mpfr_set_zero(ab, 1);
    for (int64_t i = 0; i < n; i++) {
      mpfr_set_flt(p, a[i * ia], MPFR_RNDN);
      mpfr_mul_d(p, p, b[i * ib], MPFR_RNDN);
      mpfr_add(ex, ex, p, MPFR_RNDN);
      mpfr_abs(p, p, MPFR_RNDN);
      mpfr_add(ab, ab, p, MPFR_RNDN);
    }
    acc0_bound(bound, n, ab);
    CHECK(within(kern_dot_f32(n, a, ia, b, ib), ex, bound, "dot_f32", n),
          "kern_dot_f32 n=%lld ia=%lld ib=%lld a0=%a b0=%a", (long long)n, (long long)ia,
          (long long)ib, a[0], b[0]);
    mpfr_set_zero(ex, 1);
    mpfr_set_zero(ab, 1);
    for (int64_t i = 0; i < n; i++) {
      mpfr_add_d(ex, ex, a[i * ia], MPFR_RNDN);
      mpfr_set_d(p, fabs(a[i * ia]), MPFR_RNDN);
      mpfr_add(ab, ab, p, MPFR_RNDN);
    }
    acc0_bound(bound, n, ab);
    CHECK(within(kern_row_sum_f32(n, a, ia), ex, bound, "row_sum_f32", n),
          "kern_row_sum_f32 n=%lld inc=%lld a0=%a", (long long)n, (long long)ia, a[0]);
    if (n >= 1) {
      float mx = a[0];
      for (int64_t i = 1; i < n; i++) mx = a[i * ia] > mx ? a[i * ia] : mx;
      float got = kern_row_max_f32(n, a, ia);
      int attained = 0;
      for (int64_t i = 0; i < n; i++) attained |= a[i * ia] == got;
      CHECK(got == mx && attained, "kern_row_max_f32 n=%lld: %a, max %a", (long long)n, got, mx);
    }
    free(a), free(b);
  }
  mpfr_clears(ex, ab, p, bound, (mpfr_ptr)0);
}

/* kern_mean_var_f32, kern_sqdev_sum_f32, kern_var_about_f32 (rmsnorm: about 0) */
static void test_norm(void) {
  mpfr_t ex, ab, t, bound;
  mpfr_inits2(PREC, ex, ab, t, bound, (mpfr_ptr)0);
  for (int trial = 0; trial < 400; trial++) {
    int64_t n = 1 + (int64_t)(t_rand(&rng) % 300), inc = 1 + trial % 2;
    int lo, hi;
    range_of(trial, &lo, &hi);
    float *x = malloc(sizeof(float) * (size_t)(n * inc));
    float shift = trial % 3 == 0 ? rnd_float(10, 30) : 0; /* large mean, small spread */
    for (int64_t i = 0; i < n * inc; i++) x[i] = trial % 3 == 0 ? shift + rnd_float(-10, 5) : rnd_float(lo, hi);
    double mean, var;
    kern_mean_var_f32(n, x, inc, &mean, &var);
    mpfr_set_zero(ex, 1);
    mpfr_set_zero(ab, 1);
    for (int64_t i = 0; i < n; i++) {
      mpfr_add_d(ex, ex, x[i * inc], MPFR_RNDN);
      mpfr_set_d(t, fabs(x[i * inc]), MPFR_RNDN);
      mpfr_add(ab, ab, t, MPFR_RNDN);
    }
    mpfr_div_si(ex, ex, n, MPFR_RNDN);
    /* ((2nu + 2u) A + 4n eta) / n + eta */
    mpfr_mul_d(bound, ab, (2.0 * (double)n + 2) * U, MPFR_RNDN);
    mpfr_mul_si(t, eta, 4 * n, MPFR_RNDN);
    mpfr_add(bound, bound, t, MPFR_RNDN);
    mpfr_div_si(bound, bound, n, MPFR_RNDN);
    mpfr_add(bound, bound, eta, MPFR_RNDN);
    CHECK(within(mean, ex, bound, "mean_f32", n), "kern_mean_var_f32 mean, n=%lld x0=%a",
          (long long)n, x[0]);
    CHECK(kern_mean_f32(n, x, inc) == mean && fabs(mean) <= 0x1p399, "kern_mean_f32");
    for (int about0 = 0; about0 < 2; about0++) {
      double c = about0 ? 0.0 : mean;
      mpfr_set_zero(ex, 1);
      for (int64_t i = 0; i < n; i++) {
        mpfr_set_d(t, x[i * inc], MPFR_RNDN);
        mpfr_sub_d(t, t, c, MPFR_RNDN);
        mpfr_sqr(t, t, MPFR_RNDN);
        mpfr_add(ex, ex, t, MPFR_RNDN);
      }
      /* sqdev_sum: (2^-51 + 2nu) Q + 2n (2^-1060 + eta) */
      mpfr_mul_d(bound, ex, 0x1p-51 + 2.0 * (double)n * U, MPFR_RNDN);
      mpfr_set_d(t, 0x1p-1000 * 0x1p-60, MPFR_RNDN);
      mpfr_add(t, t, eta, MPFR_RNDN);
      mpfr_mul_si(t, t, 2 * n, MPFR_RNDN);
      mpfr_add(bound, bound, t, MPFR_RNDN);
      CHECK(within(kern_sqdev_sum_f32(n, x, inc, c), ex, bound, "sqdev_sum_f32", n),
            "kern_sqdev_sum_f32 n=%lld c=%a", (long long)n, c);
      /* var: ((2^-51 + 2nu + 2u) Q + 4n (2^-1060 + eta)) / n + eta */
      mpfr_mul_d(bound, ex, 0x1p-51 + (2.0 * (double)n + 2) * U, MPFR_RNDN);
      mpfr_mul_si(t, t, 2, MPFR_RNDN);
      mpfr_add(bound, bound, t, MPFR_RNDN);
      mpfr_div_si(bound, bound, n, MPFR_RNDN);
      mpfr_add(bound, bound, eta, MPFR_RNDN);
      mpfr_div_si(ex, ex, n, MPFR_RNDN);
      double v = about0 ? kern_var_about_f32(n, x, inc, 0.0) : var;
      CHECK(within(v, ex, bound, about0 ? "var_about_f32(0)" : "var_f32", n),
            "variance n=%lld about %a", (long long)n, c);
    }
    free(x);
  }
  mpfr_clears(ex, ab, t, bound, (mpfr_ptr)0);
}

/* kern_scale_f32 (rnd, err) and kern_axpy_f32 (err), alpha = 1 (the callers') included */
static void test_scale_axpy(void) {
  mpfr_t p, q, bound;
  mpfr_inits2(PREC, p, q, bound, (mpfr_ptr)0);
  for (int trial = 0; trial < 600; trial++) {
    int64_t n = (int64_t)(t_rand(&rng) % 200);
    int lo, hi;
    range_of(trial, &lo, &hi);
    if (hi > 60) hi = 62, lo = lo > 0 ? 40 : lo; /* alpha x, y + alpha x within 2^125 */
    float alpha = trial % 5 == 0 ? 1.0f : rnd_float(trial % 4 ? -20 : -60, 60);
    float *x = malloc(sizeof(float) * (size_t)(n + 1)), *y = malloc(sizeof(float) * (size_t)(n + 1));
    float *x0 = malloc(sizeof(float) * (size_t)(n + 1)), *y0 = malloc(sizeof(float) * (size_t)(n + 1));
    for (int64_t i = 0; i < n; i++) {
      x0[i] = x[i] = rnd_float(lo, hi);
      y0[i] = y[i] = i % 4 ? rnd_float(lo, hi) : -alpha * x[i] * (1 + 0x1p-12f);
    }
    kern_axpy_f32(n, alpha, x, y);
    kern_scale_f32(n, alpha, x);
    for (int64_t i = 0; i < n; i++) {
      mpfr_set_flt(p, alpha, MPFR_RNDN);
      mpfr_mul_d(p, p, x0[i], MPFR_RNDN); /* alpha x, exact */
      CHECK(fp32_rnd_holds(x[i], p) && x[i] == (float)((double)alpha * x0[i]),
            "kern_scale_f32[%lld] = %a, not rnd32(%a * %a)", (long long)i, x[i], alpha, x0[i]);
      mpfr_add_d(q, p, y0[i], MPFR_RNDN); /* y + alpha x, exact */
      mpfr_abs(bound, q, MPFR_RNDN);
      mpfr_mul_d(bound, bound, U32, MPFR_RNDN);
      mpfr_abs(p, p, MPFR_RNDN);
      mpfr_mul_d(p, p, 2 * U32, MPFR_RNDN);
      mpfr_add(bound, bound, p, MPFR_RNDN);
      mpfr_add_d(bound, bound, 3 * ETA32, MPFR_RNDN);
      CHECK(within(y[i], q, bound, "axpy_f32", i), "kern_axpy_f32 alpha=%a x=%a y=%a", alpha,
            x0[i], y0[i]);
      if (alpha == 1.0f) CHECK(y[i] == y0[i] + x0[i], "kern_axpy_f32(1) is one rounding");
    }
    free(x), free(y), free(x0), free(y0);
  }
  mpfr_clears(p, q, bound, (mpfr_ptr)0);
}

/* exp32_term(r, x, m): 0 <= r <= 1 and |r - e^(x-m)| <= 2^-17 e^(x-m) + 2^-124 (A3f) */
static int exp32_term_holds(float r, float x, float m, const char *what, long at) {
  mpfr_t e, b;
  mpfr_inits2(PREC, e, b, (mpfr_ptr)0);
  mpfr_set_flt(e, x, MPFR_RNDN);
  mpfr_sub_d(e, e, m, MPFR_RNDN);
  mpfr_exp(e, e, MPFR_RNDN);
  mpfr_mul_d(b, e, 0x1p-17, MPFR_RNDN);
  mpfr_add_d(b, b, 0x1p-124, MPFR_RNDN);
  int ok = r >= 0 && r <= 1 && within(r, e, b, what, at);
  mpfr_clears(e, b, (mpfr_ptr)0);
  return ok;
}

/* kern_fexpdiff32 (the admitted A3f bound: fa_exp32 after a float subtraction, the clamp at
 * -87 included), as inlined here and as it runs in the library (kern_exp_shift_f32) */
static void test_fexpdiff32(void) {
  enum { N = 1000 };
  float x[N], p[N];
  for (long k = 0; k < 100000; k++) {
    float m = k % 4 == 0 ? rnd_float(-20, 100) : rnd_float(-20, 10);
    float d = k % 3 == 0 ? -90 * (float)t_uniform(&rng) : -ldexpf((float)t_uniform(&rng), -(int)(k % 60));
    if (k % 11 == 0) d = -87 + 1e-4f * (float)(t_uniform(&rng) - 0.5);
    float xx = m + d;
    if (xx > m) xx = m;
    float r = kern_fexpdiff32(xx, m);
    CHECK(exp32_term_holds(r, xx, m, "fexpdiff32", k), "fexpdiff32(%a, %a) = %a", xx, m, r);
    x[k % N] = xx;
    if (k % N == N - 1) { /* the same points against one shift, through the library */
      float mx = x[0];
      for (int j = 1; j < N; j++) mx = x[j] > mx ? x[j] : mx;
      kern_exp_shift_f32(N, x, mx, p);
      for (int j = 0; j < N; j++)
        CHECK(exp32_term_holds(p[j], x[j], mx, "exp_shift_f32", j), "exp_shift_f32(%a - %a) = %a",
              x[j], mx, p[j]);
    }
  }
}

/* kern_online_softmax_update_f32 over a row cut into tiles: each call's contract (max, p,
 * alpha, l), then the whole row's l against sum_j exp(s_j - max) */
static void test_softmax_f32(void) {
  mpfr_t e, b, L, tot;
  mpfr_inits2(PREC, e, b, L, tot, (mpfr_ptr)0);
  for (int trial = 0; trial < 300; trial++) {
    int64_t len = 1 + (int64_t)(t_rand(&rng) % 400), tile = 1 + (int64_t)(t_rand(&rng) % 64);
    float spread = trial % 4 == 0 ? 100 : 30;
    float *s = malloc(sizeof(float) * (size_t)len), *s0 = malloc(sizeof(float) * (size_t)len);
    float *p = malloc(sizeof(float) * (size_t)len);
    for (int64_t j = 0; j < len; j++)
      s0[j] = s[j] = spread * (float)(2 * t_uniform(&rng) - 1) + (trial % 5 == 0 ? 1e6f : 0);
    float m = KERN_SOFTMAX_M0_f32;
    double l = 0;
    for (int64_t at = 0; at < len; at += tile) {
      int64_t nt = at + tile <= len ? tile : len - at;
      float m0 = m;
      double l0 = l;
      float alpha = kern_online_softmax_update_f32(nt, s + at, p + at, &m, &l);
      float mx = m0;
      for (int64_t j = 0; j < nt; j++) mx = s0[at + j] > mx ? s0[at + j] : mx;
      CHECK(m == mx, "softmax_f32 max");
      CHECK(exp32_term_holds(alpha, m0, m, "alpha_f32", at), "softmax_f32 alpha");
      mpfr_set_flt(e, m0, MPFR_RNDN);
      mpfr_sub_d(e, e, m, MPFR_RNDN);
      mpfr_exp(e, e, MPFR_RNDN);
      mpfr_mul_d(L, e, l0, MPFR_RNDN); /* l0 exp(m0 - m) */
      for (int64_t j = 0; j < nt; j++) {
        mpfr_set_flt(e, s0[at + j], MPFR_RNDN);
        mpfr_sub_d(e, e, m, MPFR_RNDN);
        mpfr_exp(e, e, MPFR_RNDN);
        mpfr_add(L, L, e, MPFR_RNDN);
        CHECK(s[at + j] == s0[at + j], "softmax_f32 scores untouched");
        CHECK(exp32_term_holds(p[at + j], s0[at + j], m, "p_f32", at + j), "softmax_f32 p");
      }
      /* l: (acc_k(nt, 2^-17) + 4u) L + 4 l0 2^-124 + 2 acc_n(nt, 2^-124) + 3 eta */
      mpfr_mul_d(b, L, 0x1p-17 + 2.0 * (double)nt * U + 4 * U, MPFR_RNDU);
      mpfr_add_d(b, b, 4 * l0 * 0x1p-124 + 4.0 * (double)nt * (0x1p-124 + 0x1p-1074)
                 + 3 * 0x1p-1074, MPFR_RNDU);
      CHECK(within(l, L, b, "l_f32", at), "softmax_f32 l, tile at %lld", (long long)at);
    }
    mpfr_set_zero(tot, 1);
    for (int64_t j = 0; j < len; j++) {
      mpfr_set_flt(e, s0[j], MPFR_RNDN);
      mpfr_sub_d(e, e, m, MPFR_RNDN);
      mpfr_exp(e, e, MPFR_RNDN);
      mpfr_add(tot, tot, e, MPFR_RNDN);
    }
    mpfr_mul_d(b, tot, 1e-3, MPFR_RNDN);
    CHECK(within(l, tot, b, "row l_f32", len), "online softmax f32 over %lld tiles of %lld",
          (long long)((len + tile - 1) / tile), (long long)tile);
    free(s), free(s0), free(p);
  }
  mpfr_clears(e, b, L, tot, (mpfr_ptr)0);
}

int main(void) {
  km_init("t-kern-f32");
  test_steps();
  test_dot_sum_max();
  test_norm();
  test_scale_axpy();
  test_fexpdiff32();
  test_softmax_f32();
  km_clear();
  return t_done("t-kern-f32");
}
