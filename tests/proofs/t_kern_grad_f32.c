/* The binary32 backward's elementwise kernels (fast/kern/kern_grad_f32.h) against MPFR:
 * kern_ds_row_f32, kern_norm_xhat_f32, kern_norm_dx_f32 and kern_vmul_f32 on random float rows
 * (ordinary, subnormal and near-overflow magnitudes, cancellation in the differences). For every element: the result is the chain of
 * roundings the contract names (recomputed here one volatile operation at a time, so the test
 * compiler fuses nothing), each intermediate satisfies fp32_rnd against its exact operation (the
 * witnesses of sub_mul_rnd32 / ndx_rnd32), and the err bound holds against the exact value.
 * Inputs are printed on failure. */
#include <stdlib.h>
#include <string.h>

#include "fast/kern/kern_grad_f32.h"
#include "kern_mpfr.h"

#define PREC KM_PREC
#define U32 0x1p-24    /* binary32's unit roundoff */
#define ETA32 0x1p-150 /* binary32's underflow term */

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

enum { NMAX = 64, ROUNDS = 3000 };

/* exponent ranges by round: ordinary, subnormal products (and differences), near the limits */
static void range_of(int k, int *lo, int *hi) {
  switch (k % 4) {
  case 0: *lo = -20, *hi = 20; break;
  case 1: *lo = -80, *hi = -60; break;
  case 2: *lo = 50, *hi = 63; break;
  default: *lo = -149, *hi = 10; break;
  }
}

static float rnd_in(int k) {
  int lo, hi;
  range_of(k, &lo, &hi);
  return (float)rnd_double(lo, hi);
}

/* x <- a - b, a * b exactly */
static void msub(mpfr_t x, float a, float b) {
  mpfr_set_d(x, a, MPFR_RNDN);
  mpfr_sub_d(x, x, b, MPFR_RNDN);
}
static void mmul(mpfr_t x, float a, float b) {
  mpfr_set_d(x, a, MPFR_RNDN);
  mpfr_mul_d(x, x, b, MPFR_RNDN);
}

/* |x| <= 2^e */
static int mle(const mpfr_t x, int e) {
  mpfr_t a;
  mpfr_init2(a, PREC);
  mpfr_abs(a, x, MPFR_RNDN);
  int ok = mpfr_cmp_ui_2exp(a, 1, e) <= 0;
  mpfr_clear(a);
  return ok;
}

/* bound <- c u |x| + (z0 + z1 |w|) eta */
static void bnd(mpfr_t bound, double c, const mpfr_t x, double z0, double z1, double w) {
  mpfr_t t;
  mpfr_init2(t, PREC);
  mpfr_abs(bound, x, MPFR_RNDN);
  mpfr_mul_d(bound, bound, c * U32, MPFR_RNDN);
  mpfr_set_d(t, fabs(w), MPFR_RNDN);
  mpfr_mul_d(t, t, z1, MPFR_RNDN);
  mpfr_add_d(t, t, z0, MPFR_RNDN);
  mpfr_mul_d(t, t, ETA32, MPFR_RNDN);
  mpfr_add(bound, bound, t, MPFR_RNDN);
  mpfr_clear(t);
}

/* kern_ds_row and kern_norm_xhat: y = rnd(rnd(a - b) * w), out of the same checks */
static int sub_mul_ok(const char *what, float y, float a, float b, float w) {
  mpfr_t x, e, bound;
  mpfr_inits2(PREC, x, e, bound, (mpfr_ptr)0);
  volatile float t = a - b;
  volatile float yy = t * w;
  int ok = y == yy; /* the chain, bit for bit */
  msub(x, a, b);
  ok &= fp32_rnd_holds(t, x);
  mmul(x, t, w);
  ok &= fp32_rnd_holds(y, x);
  msub(e, a, b);
  mpfr_mul_d(e, e, w, MPFR_RNDN);
  bnd(bound, 3, e, 1, 2, w);
  ok &= within(y, e, bound, what, 0);
  CHECK(ok, "%s: a=%a b=%a w=%a -> %a (chain %a)", what, a, b, w, y, yy);
  mpfr_clears(x, e, bound, (mpfr_ptr)0);
  return ok;
}

/* the preconditions of kern_ds_row / kern_norm_xhat for one element */
static int sub_mul_pre(float a, float b, float w) {
  mpfr_t x;
  mpfr_init2(x, PREC);
  msub(x, a, b);
  int ok = mle(x, 125) && fabs(w) <= 0x1p125;
  mpfr_mul_d(x, x, w, MPFR_RNDN);
  ok &= mle(x, 124);
  mpfr_clear(x);
  return ok;
}

static void test_ds_row(void) {
  float p[NMAX], dp[NMAX], d0[NMAX];
  long checked = 0;
  for (int k = 0; k < ROUNDS; k++) {
    int64_t n = (int64_t)(t_rand(&rng) % NMAX);
    float r = rnd_in(k);
    for (int64_t j = 0; j < n; j++) {
      /* p: probabilities in [0, 1] most of the time (the caller's), any magnitude otherwise */
      p[j] = k % 3 ? t_uniform(&rng) * (t_rand(&rng) % 7 ? 1.0 : 0x1p-140) : rnd_in(k + 1);
      dp[j] = rnd_in(k);
      if (t_rand(&rng) % 4 == 0) dp[j] = r * (1 + 0x1p-18 * (t_uniform(&rng) - 0.5)); /* dp ~ r */
      if (t_rand(&rng) % 9 == 0) dp[j] = r; /* exact zero */
      if (!sub_mul_pre(dp[j], r, p[j])) dp[j] = r; /* outside the precondition */
    }
    memcpy(d0, dp, sizeof dp);
    kern_ds_row_f32(n, p, r, dp);
    for (int64_t j = 0; j < n; j++, checked++) sub_mul_ok("kern_ds_row_f32", dp[j], d0[j], r, p[j]);
  }
  printf("kern_ds_row_f32: %ld elements\n", checked);
}

static void test_norm_xhat(void) {
  float x[NMAX], h[NMAX];
  long checked = 0;
  for (int k = 0; k < ROUNDS; k++) {
    int64_t n = (int64_t)(t_rand(&rng) % NMAX);
    float mu = k % 5 == 0 ? 0.0 : rnd_in(k), rs = rnd_in(k + 2);
    if (fabs(rs) > 0x1p125) rs = 1;
    for (int64_t j = 0; j < n; j++) {
      x[j] = rnd_in(k);
      if (t_rand(&rng) % 4 == 0) x[j] = mu * (1 + 0x1p-18 * (t_uniform(&rng) - 0.5));
      if (!sub_mul_pre(x[j], mu, rs)) x[j] = mu;
    }
    kern_norm_xhat_f32(n, x, mu, rs, h);
    for (int64_t j = 0; j < n; j++, checked++) sub_mul_ok("kern_norm_xhat_f32", h[j], x[j], mu, rs);
  }
  printf("kern_norm_xhat_f32: %ld elements\n", checked);
}

/* kern_norm_dx's preconditions for one element */
static int ndx_pre(float g, float a, float h, float b, float rs) {
  mpfr_t x, y;
  mpfr_inits2(PREC, x, y, (mpfr_ptr)0);
  msub(x, g, a);
  mmul(y, h, b);
  int ok = mle(x, 123) && mle(y, 123) && fabs(rs) <= 0x1p125;
  mpfr_abs(x, x, MPFR_RNDN);
  mpfr_abs(y, y, MPFR_RNDN);
  mpfr_add(x, x, y, MPFR_RNDN);
  mpfr_mul_d(x, x, fabs(rs), MPFR_RNDN);
  ok &= mle(x, 123);
  mpfr_clears(x, y, (mpfr_ptr)0);
  return ok;
}

static void test_norm_dx(void) {
  float g[NMAX], g0[NMAX], h[NMAX];
  mpfr_t x, e, s, bound, t;
  mpfr_inits2(PREC, x, e, s, bound, t, (mpfr_ptr)0);
  long checked = 0;
  for (int k = 0; k < ROUNDS; k++) {
    int64_t n = (int64_t)(t_rand(&rng) % NMAX);
    float a = k % 5 == 0 ? 0.0 : rnd_in(k), b = rnd_in(k + 1), rs = rnd_in(k + 2);
    if (fabs(rs) > 0x1p125) rs = 1;
    for (int64_t j = 0; j < n; j++) {
      g[j] = rnd_in(k);
      h[j] = rnd_in(k + 3);
      if (t_rand(&rng) % 4 == 0) { /* g - a ~ h b: cancellation in the last difference */
        volatile float hb = h[j] * b;
        g[j] = (a + hb) * (1 + 0x1p-18 * (t_uniform(&rng) - 0.5));
      }
      if (!ndx_pre(g[j], a, h[j], b, rs)) g[j] = a, h[j] = 0;
      if (!ndx_pre(g[j], a, h[j], b, rs)) g[j] = a, h[j] = 0, rs = 1;
    }
    for (int64_t j = 0; j < n; j++) /* rs may have changed */
      if (!ndx_pre(g[j], a, h[j], b, rs)) g[j] = a, h[j] = 0;
    memcpy(g0, g, sizeof g);
    kern_norm_dx_f32(n, h, a, b, rs, g);
    for (int64_t j = 0; j < n; j++, checked++) {
      volatile float t1 = g0[j] - a, t2 = h[j] * b;
      volatile float t3 = t1 - t2;
      volatile float v = t3 * rs;
      int ok = g[j] == v;
      msub(x, g0[j], a);
      ok &= fp32_rnd_holds(t1, x);
      mmul(x, h[j], b);
      ok &= fp32_rnd_holds(t2, x);
      msub(x, t1, t2);
      ok &= fp32_rnd_holds(t3, x);
      mmul(x, t3, rs);
      ok &= fp32_rnd_holds(g[j], x);
      /* E = g - a - h b, S = |g - a| + |h b| */
      msub(e, g0[j], a);
      mpfr_abs(s, e, MPFR_RNDN);
      mmul(t, h[j], b);
      mpfr_sub(e, e, t, MPFR_RNDN);
      mpfr_abs(t, t, MPFR_RNDN);
      mpfr_add(s, s, t, MPFR_RNDN);
      mpfr_mul_d(e, e, rs, MPFR_RNDN);
      bnd(bound, 3, e, 1, 5, rs);
      mpfr_mul_d(s, s, fabs(rs), MPFR_RNDN); /* 2 u |rs| may underflow */
      mpfr_mul_d(s, s, 2 * U32, MPFR_RNDN);
      mpfr_add(bound, bound, s, MPFR_RNDN);
      ok &= within(g[j], e, bound, "kern_norm_dx_f32", (long)j);
      CHECK(ok, "kern_norm_dx_f32: g=%a a=%a h=%a b=%a rs=%a -> %a (chain %a)", g0[j], a, h[j], b, rs,
            g[j], v);
    }
  }
  printf("kern_norm_dx_f32: %ld elements\n", checked);
  mpfr_clears(x, e, s, bound, t, (mpfr_ptr)0);
}

/* kern_vmul_f32: x'_j = rnd32(w_j x_j) (fp32_rnd against the exact product, bit for bit) */
static void test_vmul(void) {
  float w[NMAX], x[NMAX], x0[NMAX];
  mpfr_t e;
  mpfr_init2(e, PREC);
  long checked = 0;
  for (int k = 0; k < ROUNDS; k++) {
    int64_t n = (int64_t)(t_rand(&rng) % NMAX);
    for (int64_t j = 0; j < n; j++) {
      w[j] = rnd_in(k);
      x[j] = rnd_in(k + (int)(t_rand(&rng) % 2));
      mmul(e, w[j], x[j]);
      if (!mle(e, 126)) x[j] = 1;
    }
    memcpy(x0, x, sizeof x);
    kern_vmul_f32(n, w, x);
    for (int64_t j = 0; j < n; j++, checked++) {
      volatile float v = w[j] * x0[j];
      mmul(e, w[j], x0[j]);
      CHECK(x[j] == v && fp32_rnd_holds(x[j], e), "kern_vmul_f32: w=%a x=%a -> %a (chain %a)",
            w[j], x0[j], x[j], v);
    }
  }
  printf("kern_vmul_f32: %ld elements\n", checked);
  mpfr_clear(e);
}

int main(void) {
  km_init("t-kern-grad-f32");
  test_ds_row();
  test_norm_xhat();
  test_norm_dx();
  test_vmul();
  km_clear();
  return t_done("t-kern-grad-f32");
}
