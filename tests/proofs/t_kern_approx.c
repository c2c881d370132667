/* The proved kernels of the approximate path (fast/kern/kern_approx.h), checked against MPFR:
 * the feature map kern_feat_psi on the tables of fa_features_init (the table is well formed,
 * every monomial within ((1+u)^deg - 1) |x^alpha| + mz of x^alpha); every ensures of kern_vmul, kern_excl_step, kern_scopy and kern_vdiv (fp_rnd of the exact
 * product / sum / quotient, and the err bound u |exact| + eta) on random data, subnormal and
 * near-overflow magnitudes included; and the gemm bound of kern_state_add / kern_state_apply,
 * which rests on the ASSUMED cblas_dgemm contract (fast/kern/kern_lowrank.h): this test is its
 * check against OpenBLAS. Inputs are printed on failure. */
#include <stdlib.h>
#include <string.h>

#include "fast/features.h"
#include "fast/kern/kern_approx.h"
#include "kern_mpfr.h"

#define PREC KM_PREC

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

/* kern_feat_psi: feat_table, and |out[a] - x^alpha| <= fe(deg) amono + mz with
 * fe(t) = (1+u)^t - 1, mz(a) = (1+u) |x_v| mz(par a) + eta, all in MPFR along the parent links */
static void test_feat_psi(void) {
  mpfr_t *mono = NULL, *amono = NULL, *mz = NULL;
  mpfr_t fe, b, d;
  mpfr_inits2(PREC, fe, b, d, (mpfr_ptr)0);
  for (int k = 0; k < 120; k++) {
    int dh = 1 + k % 8, g = k % 7;
    fa_poly p;
    fa_features f;
    CHECK(fa_poly_init(&p, FA_POLY_TAYLOR, g, 1.0) == 0, "fa_poly_init g=%d", g);
    CHECK(fa_features_init(&f, dh, &p, 0.5) == 0, "fa_features_init dh=%d g=%d", dh, g);
    int64_t r = f.r;
    double x[8], *out = malloc(sizeof(double) * (size_t)r);
    for (int i = 0; i < dh; i++) /* ordinary, tiny (underflow) and large (up to 2^15) */
      x[i] = k % 3 == 0 ? rnd_double(-200, -150) : k % 3 == 1 ? rnd_double(-20, 14) : rnd_double(-3, 3);
    mono = malloc(sizeof(mpfr_t) * (size_t)r), amono = malloc(sizeof(mpfr_t) * (size_t)r);
    mz = malloc(sizeof(mpfr_t) * (size_t)r);
    kern_feat_psi(r, f.parent, f.var, dh, x, out);
    CHECK(out[0] == 1.0, "psi[0] = %a", out[0]);
    for (int64_t a = 0; a < r; a++) {
      mpfr_inits2(PREC, mono[a], amono[a], mz[a], (mpfr_ptr)0);
      if (a == 0) {
        mpfr_set_ui(mono[0], 1, MPFR_RNDN), mpfr_set_ui(amono[0], 1, MPFR_RNDN);
        mpfr_set_zero(mz[0], 1);
        continue;
      }
      int32_t pa = f.parent[a], v = f.var[a];
      CHECK(0 <= pa && pa < a && 0 <= v && v < dh && f.deg[a] == f.deg[pa] + 1,
            "feat_table: entry %lld parent %d var %d (dh=%d g=%d)", (long long)a, pa, v, dh, g);
      mpfr_mul_d(mono[a], mono[pa], x[v], MPFR_RNDN);
      mpfr_mul_d(amono[a], amono[pa], fabs(x[v]), MPFR_RNDN);
      mpfr_mul_d(mz[a], mz[pa], fabs(x[v]), MPFR_RNDN);
      mpfr_mul_d(d, mz[a], U, MPFR_RNDN);
      mpfr_add(mz[a], mz[a], d, MPFR_RNDN);
      mpfr_add(mz[a], mz[a], eta, MPFR_RNDN);
      mpfr_set_d(fe, U, MPFR_RNDN); /* (1+u)^deg - 1 (1 + u is not a double) */
      mpfr_add_ui(fe, fe, 1, MPFR_RNDN);
      mpfr_pow_ui(fe, fe, (unsigned long)f.deg[a], MPFR_RNDN);
      mpfr_sub_ui(fe, fe, 1, MPFR_RNDN);
      mpfr_mul(b, fe, amono[a], MPFR_RNDN);
      mpfr_add(b, b, mz[a], MPFR_RNDN);
      CHECK(mpfr_cmp_d(fe, 2.0 * f.deg[a] * U) <= 0, "fe(%d) > 2 deg u", f.deg[a]);
      if (!within(out[a], mono[a], b, "kern_feat_psi", (long)a)) {
        fprintf(stderr, "kern_feat_psi: dh=%d g=%d entry %lld deg %d, x =", dh, g, (long long)a, f.deg[a]);
        for (int i = 0; i < dh; i++) fprintf(stderr, " %a", x[i]);
        fprintf(stderr, "\n");
        CHECK(0, "kern_feat_psi bound");
      }
    }
    for (int64_t a = 0; a < r; a++) mpfr_clears(mono[a], amono[a], mz[a], (mpfr_ptr)0);
    free(mono), free(amono), free(mz), free(out);
    fa_features_free(&f);
    fa_poly_free(&p);
  }
  mpfr_clears(fe, b, d, (mpfr_ptr)0);
}

int main(void) {
  km_init("t-kern-approx");
  test_feat_psi();
  test_vmul_scopy_vdiv();
  test_excl_step();
  test_state();
  km_clear();
  return t_done("t-kern-approx");
}
