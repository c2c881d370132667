/* The proved kernels of the approximate path (fast/kern/kern_approx.h), checked against MPFR:
 * every ensures of kern_vmul, kern_excl_step, kern_scopy and kern_vdiv (fp_rnd of the exact
 * product / sum / quotient, and the err bound u |exact| + eta) on random data, subnormal and
 * near-overflow magnitudes included; and the gemm bound of kern_state_add / kern_state_apply,
 * which rests on the ASSUMED cblas_dgemm contract (fast/kern/kern_lowrank.h): this test is its
 * check against OpenBLAS. Inputs are printed on failure. */
#include <math.h>
#include <stdio.h> /* before mpfr.h: mpfr_fprintf */
#include <gmp.h>
#include <mpfr.h>
#include <stdlib.h>
#include <string.h>

#include "fast/kern/kern_approx.h"
#include "testutil.h"

#define PREC 4096
#define U 0x1p-53

static uint64_t rng;
static mpfr_t eta; /* 2^-1075 */

/* A double with a random sign, mantissa and exponent in [lo, hi]. */
static double rnd_double(int lo, int hi) {
  double m = 1.0 + t_uniform(&rng);
  int e = lo + (int)(t_rand(&rng) % (uint64_t)(hi - lo + 1));
  return (t_rand(&rng) & 1 ? -1.0 : 1.0) * ldexp(m, e);
}

/* fp_rnd(r, x) of proofs/fp.acsl, and the err form |r - x| <= u |x| + eta */
static int fp_rnd_holds(double r, const mpfr_t x) {
  mpfr_t d, ax, lim;
  mpfr_inits2(PREC, d, ax, lim, (mpfr_ptr)0);
  mpfr_abs(ax, x, MPFR_RNDN);
  mpfr_set_d(d, r, MPFR_RNDN);
  mpfr_sub(d, d, x, MPFR_RNDN);
  mpfr_abs(d, d, MPFR_RNDN);
  int ok = 1;
  if (mpfr_cmp_d(ax, 0x1p-1021) >= 0) {
    mpfr_mul_d(lim, ax, U, MPFR_RNDN);
    ok &= mpfr_cmp(d, lim) <= 0;
  }
  if (mpfr_cmp_d(ax, 0x1p-1021) <= 0) ok &= mpfr_cmp(d, eta) <= 0;
  if (mpfr_sgn(x) <= 0) ok &= r <= 0;
  if (mpfr_sgn(x) >= 0) ok &= r >= 0;
  mpfr_mul_d(lim, ax, U, MPFR_RNDN); /* err: u |x| + eta */
  mpfr_add(lim, lim, eta, MPFR_RNDN);
  ok &= mpfr_cmp(d, lim) <= 0;
  ok &= isfinite(r) != 0;
  mpfr_clears(d, ax, lim, (mpfr_ptr)0);
  return ok;
}

enum { NMAX = 64 };

/* random exponent ranges: ordinary, subnormal products, near the 2^1000 limit */
static void fill(double *v, int64_t n, int k) {
  int lo = k % 3 == 0 ? -560 : -40, hi = k % 3 == 1 ? 495 : 40;
  for (int64_t i = 0; i < n; i++) v[i] = rnd_double(lo, hi);
}

static void test_vmul_scopy_vdiv(void) {
  mpfr_t x;
  mpfr_init2(x, PREC);
  double w[NMAX], a[NMAX], y[NMAX];
  for (int k = 0; k < 3000; k++) {
    int64_t n = (int64_t)(t_rand(&rng) % NMAX);
    fill(w, n, k), fill(a, n, k);
    double alpha = rnd_double(k % 3 == 0 ? -560 : -40, k % 3 == 1 ? 495 : 40);
    memcpy(y, a, sizeof a);
    kern_vmul(n, w, y);
    for (int64_t i = 0; i < n; i++) {
      mpfr_set_d(x, w[i], MPFR_RNDN);
      mpfr_mul_d(x, x, a[i], MPFR_RNDN);
      CHECK(fp_rnd_holds(y[i], x), "kern_vmul: w=%a x=%a -> %a", w[i], a[i], y[i]);
    }
    kern_scopy(n, alpha, a, y);
    for (int64_t i = 0; i < n; i++) {
      mpfr_set_d(x, alpha, MPFR_RNDN);
      mpfr_mul_d(x, x, a[i], MPFR_RNDN);
      CHECK(fp_rnd_holds(y[i], x), "kern_scopy: alpha=%a x=%a -> %a", alpha, a[i], y[i]);
    }
    memcpy(y, a, sizeof a);
    kern_vdiv(n, alpha, y);
    for (int64_t i = 0; i < n; i++) {
      if (!(fabs(a[i] / alpha) < 0x1p1000)) continue; /* outside the precondition */
      mpfr_set_d(x, a[i], MPFR_RNDN);
      mpfr_div_d(x, x, alpha, MPFR_RNDN);
      CHECK(fp_rnd_holds(y[i], x), "kern_vdiv: x=%a d=%a -> %a", a[i], alpha, y[i]);
    }
  }
  mpfr_clear(x);
}

static void test_excl_step(void) {
  mpfr_t x;
  mpfr_init2(x, PREC);
  double run[NMAX], st[NMAX], r0[NMAX], s0[NMAX];
  for (int k = 0; k < 3000; k++) {
    int64_t n = (int64_t)(t_rand(&rng) % NMAX);
    fill(run, n, k), fill(st, n, k + 1);
    if (k % 5 == 0) /* cancellation */
      for (int64_t i = 0; i < n; i++) st[i] = -run[i] * (1 + 0x1p-40 * t_uniform(&rng));
    memcpy(r0, run, sizeof run), memcpy(s0, st, sizeof st);
    kern_excl_step(n, run, st);
    for (int64_t i = 0; i < n; i++) {
      CHECK(st[i] == r0[i], "kern_excl_step: st[%lld] = %a, expected old run %a", (long long)i,
            st[i], r0[i]);
      mpfr_set_d(x, r0[i], MPFR_RNDN);
      mpfr_add_d(x, x, s0[i], MPFR_RNDN);
      CHECK(fp_rnd_holds(run[i], x), "kern_excl_step: run=%a st=%a -> %a", r0[i], s0[i], run[i]);
    }
  }
  mpfr_clear(x);
}

/* |got - (dot + c0)| <= 2 (k+1) u (dotabs + |c0|) + 2 (k+1) eta, the gemm ensures, in MPFR:
 * dot over k terms of a[i*ia] b[i*ib] */
static int gemm_ok(double got, double c0, int64_t k, const double *a, int64_t ia, const double *b,
                   int64_t ib) {
  mpfr_t ex, ab, p, bound;
  mpfr_inits2(PREC, ex, ab, p, bound, (mpfr_ptr)0);
  mpfr_set_d(ex, c0, MPFR_RNDN);
  mpfr_set_d(ab, fabs(c0), MPFR_RNDN);
  for (int64_t t = 0; t < k; t++) {
    mpfr_set_d(p, a[t * ia], MPFR_RNDN);
    mpfr_mul_d(p, p, b[t * ib], MPFR_RNDN);
    mpfr_add(ex, ex, p, MPFR_RNDN);
    mpfr_abs(p, p, MPFR_RNDN);
    mpfr_add(ab, ab, p, MPFR_RNDN);
  }
  mpfr_mul_d(bound, ab, 2 * (double)(k + 1) * U, MPFR_RNDN);
  mpfr_mul_si(p, eta, 2 * (k + 1), MPFR_RNDN);
  mpfr_add(bound, bound, p, MPFR_RNDN);
  mpfr_set_d(p, got, MPFR_RNDN);
  mpfr_sub(p, p, ex, MPFR_RNDN);
  mpfr_abs(p, p, MPFR_RNDN);
  int ok = mpfr_cmp(p, bound) <= 0 && isfinite(got);
  if (!ok) mpfr_fprintf(stderr, "gemm: got %.17g, exact %.20Rg, bound %.6Rg\n", got, ex, bound);
  mpfr_clears(ex, ab, p, bound, (mpfr_ptr)0);
  return ok;
}

static void test_state(void) {
  for (int k = 0; k < 200; k++) {
    int64_t r = 1 + (int64_t)(t_rand(&rng) % 40), w = 1 + (int64_t)(t_rand(&rng) % 20);
    int64_t bn = 1 + (int64_t)(t_rand(&rng) % 50);
    double *F = malloc(sizeof(double) * (size_t)(bn * r)), *V = malloc(sizeof(double) * (size_t)(bn * w));
    double *S = malloc(sizeof(double) * (size_t)(r * w)), *S0 = malloc(sizeof(double) * (size_t)(r * w));
    double *Y = malloc(sizeof(double) * (size_t)(bn * w));
    int lo = k % 4 == 0 ? -540 : -30, hi = k % 4 == 0 ? -500 : 30; /* underflowing products */
    for (int64_t t = 0; t < bn * r; t++) F[t] = rnd_double(lo, hi);
    for (int64_t t = 0; t < bn * w; t++) V[t] = rnd_double(lo, hi);
    for (int64_t t = 0; t < r * w; t++) S0[t] = S[t] = rnd_double(lo, hi);
    if (k % 5 == 1) /* cancellation: the second half of the rows undoes the first */
      for (int64_t j = bn / 2; j < 2 * (bn / 2); j++)
        for (int64_t a = 0; a < r; a++) F[j * r + a] = -F[(j - bn / 2) * r + a];
    kern_state_add(r, w, bn, F, V, S);
    for (int64_t a = 0; a < r; a++)
      for (int64_t c = 0; c < w; c++)
        CHECK(gemm_ok(S[a * w + c], S0[a * w + c], bn, F + a, r, V + c, w),
              "kern_state_add r=%lld w=%lld bn=%lld entry (%lld, %lld) (k=%d)", (long long)r,
              (long long)w, (long long)bn, (long long)a, (long long)c, k);
    kern_state_apply(bn, w, r, F, S0, Y);
    for (int64_t i = 0; i < bn; i++)
      for (int64_t c = 0; c < w; c++)
        CHECK(gemm_ok(Y[i * w + c], 0.0, r, F + i * r, 1, S0 + c, w),
              "kern_state_apply bn=%lld w=%lld r=%lld entry (%lld, %lld) (k=%d)", (long long)bn,
              (long long)w, (long long)r, (long long)i, (long long)c, k);
    free(F), free(V), free(S), free(S0), free(Y);
  }
}

int main(void) {
  rng = t_seed("t-kern-approx");
  mpfr_init2(eta, 8);
  mpfr_set_ui_2exp(eta, 1, -1075, MPFR_RNDN);
  test_vmul_scopy_vdiv();
  test_excl_step();
  test_state();
  mpfr_clear(eta);
  return t_done("t-kern-approx");
}
