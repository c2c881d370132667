/* The proved kernels of fast/kern, checked numerically against MPFR: every contract the WP run
 * proves (proofs/REPORT.md) is evaluated on random data, and the admitted step bounds
 * (kern_fp.h: rounding of + - * /, the squared difference, exp(x - m)) are stress-tested,
 * subnormal and clamping ranges included. Exact values are MPFR at 4096 bits (every sum here
 * is then exact); bounds are evaluated in MPFR too. */
#include <stdlib.h>
#include <string.h>

#include "fast/kern/kern.h"
#include "fast/kern/kern_fp.h"
#include "kern_mpfr.h"

#define PREC KM_PREC

/* bound <- k * a + nn, with k = c + 2 i u, nn = 2 i (e + eta) (proofs/acc.acsl) */
static void acc_bound(mpfr_t bound, long i, double c, double e, const mpfr_t a) {
  mpfr_t t;
  mpfr_init2(t, PREC);
  mpfr_set_d(t, c, MPFR_RNDN);
  mpfr_set_d(bound, U, MPFR_RNDN);
  mpfr_mul_si(bound, bound, 2 * i, MPFR_RNDN);
  mpfr_add(t, t, bound, MPFR_RNDN);
  mpfr_mul(bound, t, a, MPFR_RNDN);
  mpfr_set_d(t, e, MPFR_RNDN);
  mpfr_add(t, t, eta, MPFR_RNDN);
  mpfr_mul_si(t, t, 2 * i, MPFR_RNDN);
  mpfr_add(bound, bound, t, MPFR_RNDN);
  mpfr_clear(t);
}

static void test_steps(void) {
  mpfr_t x, y;
  mpfr_inits2(PREC, x, y, (mpfr_ptr)0);
  for (long k = 0; k < 60000; k++) {
    int lo = k % 4 == 0 ? -1074 : -600, hi = k % 4 == 1 ? 499 : 40;
    double a = rnd_double(lo, hi), b = rnd_double(lo, hi);
    if (k % 7 == 0) b = -a * (1 + 0x1p-40 * t_uniform(&rng)); /* cancellation */
    mpfr_set_d(x, a, MPFR_RNDN);
    mpfr_set_d(y, b, MPFR_RNDN);
    mpfr_add(x, x, y, MPFR_RNDN);
    CHECK(fp_rnd_holds(kern_fadd(a, b), x), "fadd(%a, %a)", a, b);
    mpfr_set_d(x, a, MPFR_RNDN);
    mpfr_sub(x, x, y, MPFR_RNDN);
    CHECK(fp_rnd_holds(kern_fsub(a, b), x), "fsub(%a, %a)", a, b);
    mpfr_set_d(x, a, MPFR_RNDN);
    mpfr_mul(x, x, y, MPFR_RNDN);
    CHECK(fp_rnd_holds(kern_fmul(a, b), x), "fmul(%a, %a)", a, b);
    mpfr_set_d(x, a, MPFR_RNDN);
    mpfr_div(x, x, y, MPFR_RNDN);
    if (fabs(a / b) < 0x1p1000) CHECK(fp_rnd_holds(kern_fdiv(a, b), x), "fdiv(%a, %a)", a, b);
    CHECK(kern_flt(a, b) == (a < b), "flt(%a, %a)", a, b);
  }
  for (int64_t n = 0; n <= 1 << 20; n = 2 * n + 1) CHECK(kern_i2d(n) == (double)n, "i2d");
  CHECK(kern_i2d((int64_t)1 << 53) == 0x1p53, "i2d(2^53)");
  mpfr_clears(x, y, (mpfr_ptr)0);
}

/* kern_fsqdiff: sq_rnd, relative 2^-51 above |t| = 2^-510, 2^-1060 absolute below, >= 0. */
static void test_fsqdiff(void) {
  mpfr_t t, d, lim;
  mpfr_inits2(PREC, t, d, lim, (mpfr_ptr)0);
  for (long k = 0; k < 60000; k++) {
    double x = rnd_double(k % 3 ? -600 : -1074, k % 5 ? 40 : 497);
    double c = k % 2 ? x * (1 + rnd_double(-60, -1)) : rnd_double(-600, 40);
    if (fabs(x - c) > 0x1p499 || !isfinite(x - c)) continue;
    double r = kern_fsqdiff(x, c);
    mpfr_set_d(t, x, MPFR_RNDN);
    mpfr_sub_d(t, t, c, MPFR_RNDN);
    int rel = mpfr_cmpabs(t, (mpfr_set_d(lim, 0x1p-510, MPFR_RNDN), lim)) >= 0;
    mpfr_sqr(t, t, MPFR_RNDN);
    mpfr_set_d(d, r, MPFR_RNDN);
    mpfr_sub(d, d, t, MPFR_RNDN);
    mpfr_abs(d, d, MPFR_RNDN);
    if (rel) {
      mpfr_mul_d(lim, t, 0x1p-51, MPFR_RNDN);
      CHECK(mpfr_cmp(d, lim) <= 0, "fsqdiff(%a, %a) relative", x, c);
    } else {
      CHECK(mpfr_cmp_d(d, 0x1p-1000 * 0x1p-60) <= 0 && r >= 0, "fsqdiff(%a, %a) absolute", x, c);
    }
  }
  mpfr_clears(t, d, lim, (mpfr_ptr)0);
}

/* kern_fexpdiff: |res - e^(x-m)| <= 2^-43 e^(x-m) + 2^-1000 and 0 <= res <= 1 (libm's exp,
 * the clamp at -700, and large |x|, |m| where x - m itself rounds). */
static void test_fexpdiff(void) {
  mpfr_t e, b;
  mpfr_inits2(PREC, e, b, (mpfr_ptr)0);
  for (long k = 0; k < 100000; k++) {
    double m = k % 4 == 0 ? rnd_double(-20, 900) : rnd_double(-20, 10);
    double d = k % 3 == 0 ? -720 * t_uniform(&rng) : -ldexp(t_uniform(&rng), -(int)(k % 60));
    if (k % 11 == 0) d = -700 + 1e-9 * (t_uniform(&rng) - 0.5);
    double x = m + d;
    if (x > m) x = m;
    double r = kern_fexpdiff(x, m);
    mpfr_set_d(e, x, MPFR_RNDN);
    mpfr_sub_d(e, e, m, MPFR_RNDN);
    mpfr_exp(e, e, MPFR_RNDN);
    mpfr_mul_d(b, e, 0x1p-43, MPFR_RNDN);
    mpfr_add_d(b, b, 0x1p-1000, MPFR_RNDN);
    CHECK(r >= 0 && r <= 1 && within(r, e, b, "fexpdiff", k), "fexpdiff(%a, %a) = %a", x, m, r);
  }
  mpfr_clears(e, b, (mpfr_ptr)0);
}

/* kern_dot and kern_row_sum: the err ensures against the exact MPFR values. */
static void test_dot_sum(void) {
  mpfr_t ex, ab, p, bound;
  mpfr_inits2(PREC, ex, ab, p, bound, (mpfr_ptr)0);
  for (int trial = 0; trial < 400; trial++) {
    int64_t n = (int64_t)(t_rand(&rng) % 300), ia = 1 + trial % 3, ib = 1 + (trial / 3) % 2;
    double *a = malloc(sizeof(double) * (size_t)(n * ia + 1));
    double *b = malloc(sizeof(double) * (size_t)(n * ib + 1));
    for (int64_t i = 0; i < n * ia + 1; i++) a[i] = rnd_double(-40, 40);
    for (int64_t i = 0; i < n * ib + 1; i++) b[i] = rnd_double(-40, 40);
    if (trial % 5 == 0) /* cancellation: the second half undoes the first */
      for (int64_t i = n / 2; i < n; i++) a[i * ia] = -a[(i - n / 2) * ia], b[i * ib] = b[(i - n / 2) * ib];
    mpfr_set_zero(ex, 1);
    mpfr_set_zero(ab, 1);
    for (int64_t i = 0; i < n; i++) {
      mpfr_set_d(p, a[i * ia], MPFR_RNDN);
      mpfr_mul_d(p, p, b[i * ib], MPFR_RNDN);
      mpfr_add(ex, ex, p, MPFR_RNDN);
      mpfr_abs(p, p, MPFR_RNDN);
      mpfr_add(ab, ab, p, MPFR_RNDN);
    }
    acc_bound(bound, n, U, 0, ab); /* + 2n eta; the term error e = eta adds 2n eta more */
    mpfr_mul_si(p, eta, 2 * n, MPFR_RNDN);
    mpfr_add(bound, bound, p, MPFR_RNDN);
    CHECK(within(kern_dot(n, a, ia, b, ib), ex, bound, "dot", n), "kern_dot n=%lld", (long long)n);
    mpfr_set_zero(ex, 1);
    mpfr_set_zero(ab, 1);
    for (int64_t i = 0; i < n; i++) {
      mpfr_add_d(ex, ex, a[i * ia], MPFR_RNDN);
      mpfr_set_d(p, fabs(a[i * ia]), MPFR_RNDN);
      mpfr_add(ab, ab, p, MPFR_RNDN);
    }
    acc_bound(bound, n, 0, 0, ab);
    CHECK(within(kern_row_sum(n, a, ia), ex, bound, "row_sum", n), "kern_row_sum n=%lld", (long long)n);
    if (n >= 1) {
      double mx = a[0];
      int64_t at = 0;
      for (int64_t i = 1; i < n; i++)
        if (a[i * ia] > mx) mx = a[i * ia], at = i;
      CHECK(kern_row_max(n, a, ia) == mx, "kern_row_max n=%lld (max at %lld)", (long long)n,
            (long long)at);
    }
    free(a);
    free(b);
  }
  mpfr_clears(ex, ab, p, bound, (mpfr_ptr)0);
}

/* kern_scale (correct rounding of each product) and kern_axpy (its per-element bound). */
static void test_scale_axpy(void) {
  mpfr_t p, q, bound;
  mpfr_inits2(PREC, p, q, bound, (mpfr_ptr)0);
  for (int trial = 0; trial < 200; trial++) {
    int64_t n = (int64_t)(t_rand(&rng) % 200);
    double alpha = rnd_double(trial % 4 ? -20 : -600, 20);
    double *x = malloc(sizeof(double) * (size_t)(n + 1)), *y = malloc(sizeof(double) * (size_t)(n + 1));
    double *x0 = malloc(sizeof(double) * (size_t)(n + 1)), *y0 = malloc(sizeof(double) * (size_t)(n + 1));
    for (int64_t i = 0; i < n; i++) {
      x0[i] = x[i] = rnd_double(trial % 3 ? -40 : -500, 40);
      y0[i] = y[i] = i % 4 ? rnd_double(-40, 40) : -alpha * x[i] * (1 + 0x1p-30);
    }
    kern_axpy(n, alpha, x, y);
    kern_scale(n, alpha, x);
    for (int64_t i = 0; i < n; i++) {
      mpfr_set_d(p, alpha, MPFR_RNDN);
      mpfr_mul_d(p, p, x0[i], MPFR_RNDN); /* alpha x, exact */
      /* mpfr_get_d rounds once, to the nearest double, subnormals included */
      CHECK(x[i] == mpfr_get_d(p, MPFR_RNDN), "kern_scale[%lld] = %a, not rnd(%a * %a)",
            (long long)i, x[i], alpha, x0[i]);
      mpfr_add_d(q, p, y0[i], MPFR_RNDN); /* y + alpha x, exact */
      mpfr_abs(bound, q, MPFR_RNDN);
      mpfr_mul_d(bound, bound, U, MPFR_RNDN);
      mpfr_abs(p, p, MPFR_RNDN);
      mpfr_mul_d(p, p, 2 * U, MPFR_RNDN);
      mpfr_add(bound, bound, p, MPFR_RNDN);
      mpfr_add(bound, bound, eta, MPFR_RNDN);
      mpfr_add(bound, bound, eta, MPFR_RNDN);
      mpfr_add(bound, bound, eta, MPFR_RNDN);
      CHECK(within(y[i], q, bound, "axpy", i), "kern_axpy");
    }
    free(x), free(y), free(x0), free(y0);
  }
  mpfr_clears(p, q, bound, (mpfr_ptr)0);
}

/* kern_sqdev_sum, kern_mean, kern_var_about, kern_mean_var: their err ensures. */
static void test_norm(void) {
  mpfr_t ex, ab, t, bound, mu;
  mpfr_inits2(PREC, ex, ab, t, bound, mu, (mpfr_ptr)0);
  for (int trial = 0; trial < 300; trial++) {
    int64_t n = 1 + (int64_t)(t_rand(&rng) % 300), inc = 1 + trial % 2;
    double *x = malloc(sizeof(double) * (size_t)(n * inc));
    double shift = trial % 3 == 0 ? rnd_double(10, 30) : 0; /* large mean, small spread */
    for (int64_t i = 0; i < n * inc; i++) x[i] = shift + rnd_double(-30, 5);
    double mean, var;
    kern_mean_var(n, x, inc, &mean, &var);
    /* mean: |mean - sum/n| <= ((k + 2u) sumabs + 2 nn) / n + eta */
    mpfr_set_zero(ex, 1);
    mpfr_set_zero(ab, 1);
    for (int64_t i = 0; i < n; i++) {
      mpfr_add_d(ex, ex, x[i * inc], MPFR_RNDN);
      mpfr_set_d(t, fabs(x[i * inc]), MPFR_RNDN);
      mpfr_add(ab, ab, t, MPFR_RNDN);
    }
    mpfr_div_si(ex, ex, n, MPFR_RNDN);
    acc_bound(bound, n, 2 * U, 0, ab); /* (2nu + 2u) A + 2n eta; the contract has 2 acc_n */
    mpfr_mul_si(t, eta, 2 * n, MPFR_RNDN);
    mpfr_add(bound, bound, t, MPFR_RNDN);
    mpfr_div_si(bound, bound, n, MPFR_RNDN);
    mpfr_add(bound, bound, eta, MPFR_RNDN);
    CHECK(within(mean, ex, bound, "mean", n), "kern_mean_var mean, n=%lld", (long long)n);
    /* var about the computed mean: |var - Q/n| <= ((k + 2u) Q + 2 nn) / n + eta */
    mpfr_set_zero(ex, 1);
    for (int64_t i = 0; i < n; i++) {
      mpfr_set_d(t, x[i * inc], MPFR_RNDN);
      mpfr_sub_d(t, t, mean, MPFR_RNDN);
      mpfr_sqr(t, t, MPFR_RNDN);
      mpfr_add(ex, ex, t, MPFR_RNDN);
    }
    acc_bound(bound, n, 0x1p-51, 0x1p-1000 * 0x1p-60, ex); /* sqdev_sum's own bound */
    CHECK(within(kern_sqdev_sum(n, x, inc, mean), ex, bound, "sqdev_sum", n), "kern_sqdev_sum");
    acc_bound(bound, n, 0x1p-51 + 2 * U, 0x1p-1000 * 0x1p-60, ex);
    mpfr_set_d(t, 0x1p-1000 * 0x1p-60, MPFR_RNDN);
    mpfr_add(t, t, eta, MPFR_RNDN);
    mpfr_mul_si(t, t, 2 * n, MPFR_RNDN);
    mpfr_add(bound, bound, t, MPFR_RNDN);
    mpfr_div_si(bound, bound, n, MPFR_RNDN);
    mpfr_add(bound, bound, eta, MPFR_RNDN);
    mpfr_div_si(ex, ex, n, MPFR_RNDN);
    CHECK(within(var, ex, bound, "var", n), "kern_mean_var var, n=%lld", (long long)n);
    free(x);
  }
  mpfr_clears(ex, ab, t, bound, mu, (mpfr_ptr)0);
}

/* kern_online_softmax_update over a row cut into tiles: each call's contract, then the end:
 * l = sum_j exp(s_j - m) for the whole row, m its max (the composition the caller relies on). */
static void test_softmax(void) {
  mpfr_t e, b, L, tot;
  mpfr_inits2(PREC, e, b, L, tot, (mpfr_ptr)0);
  for (int trial = 0; trial < 300; trial++) {
    int64_t len = 1 + (int64_t)(t_rand(&rng) % 400), tile = 1 + (int64_t)(t_rand(&rng) % 64);
    double spread = trial % 4 == 0 ? 800 : 30;
    double *s = malloc(sizeof(double) * (size_t)len), *s0 = malloc(sizeof(double) * (size_t)len);
    double *p = malloc(sizeof(double) * (size_t)len);
    for (int64_t j = 0; j < len; j++)
      s0[j] = s[j] = spread * (2 * t_uniform(&rng) - 1) + (trial % 5 == 0 ? 1e6 : 0);
    double m = KERN_SOFTMAX_M0, l = 0;
    for (int64_t at = 0; at < len; at += tile) {
      int64_t nt = at + tile <= len ? tile : len - at;
      double m0 = m, l0 = l;
      double alpha = kern_online_softmax_update(nt, s + at, p + at, &m, &l);
      double mx = m0;
      for (int64_t j = 0; j < nt; j++) mx = s0[at + j] > mx ? s0[at + j] : mx;
      CHECK(m == mx, "softmax max");
      /* alpha, p_j: 2^-43 relative + 2^-1000 */
      mpfr_set_d(e, m0, MPFR_RNDN);
      mpfr_sub_d(e, e, m, MPFR_RNDN);
      mpfr_exp(e, e, MPFR_RNDN);
      mpfr_mul_d(L, e, l0, MPFR_RNDN); /* l0 exp(m0 - m) */
      mpfr_mul_d(b, e, 0x1p-43, MPFR_RNDN);
      mpfr_add_d(b, b, 0x1p-1000, MPFR_RNDN);
      CHECK(alpha >= 0 && alpha <= 1 && within(alpha, e, b, "alpha", at), "softmax alpha");
      for (int64_t j = 0; j < nt; j++) {
        mpfr_set_d(e, s0[at + j], MPFR_RNDN);
        mpfr_sub_d(e, e, m, MPFR_RNDN);
        mpfr_exp(e, e, MPFR_RNDN);
        mpfr_add(L, L, e, MPFR_RNDN);
        mpfr_mul_d(b, e, 0x1p-43, MPFR_RNDN);
        mpfr_add_d(b, b, 0x1p-1000, MPFR_RNDN);
        CHECK(s[at + j] == s0[at + j], "softmax scores untouched");
        CHECK(p[at + j] >= 0 && p[at + j] <= 1 && within(p[at + j], e, b, "p", at + j),
              "softmax p");
      }
      /* l: (acc_k(nt, 2^-43) + 4u) L + 4 l0 2^-1000 + 2 acc_n(nt, 2^-1000) + 3 eta,
       * acc_k(i, c) = c + 2iu, acc_n(i, e) = 2i(e + eta) */
      mpfr_mul_d(b, L, 0x1p-43 + 2.0 * (double)nt * U + 4 * U, MPFR_RNDU);
      mpfr_add_d(b, b, 4 * l0 * 0x1p-1000 + 4.0 * (double)nt * (0x1p-1000 + 0x1p-1074)
                 + 3 * 0x1p-1074, MPFR_RNDU);
      CHECK(within(l, L, b, "l", at), "softmax l, tile at %lld", (long long)at);
    }
    /* the whole row: l against sum_j exp(s_j - max) */
    mpfr_set_zero(tot, 1);
    for (int64_t j = 0; j < len; j++) {
      mpfr_set_d(e, s0[j], MPFR_RNDN);
      mpfr_sub_d(e, e, m, MPFR_RNDN);
      mpfr_exp(e, e, MPFR_RNDN);
      mpfr_add(tot, tot, e, MPFR_RNDN);
    }
    mpfr_mul_d(b, tot, 1e-10, MPFR_RNDN);
    CHECK(within(l, tot, b, "row l", len), "online softmax over %lld tiles of %lld",
          (long long)((len + tile - 1) / tile), (long long)tile);
    free(s);
    free(s0);
    free(p);
  }
  mpfr_clears(e, b, L, tot, (mpfr_ptr)0);
}

/* kern_prefix_sum down the columns of an n x c row-major block (inc = ld): element i against
 * the exact (i+1)-term sum, and every cell that is not an element unchanged. */
static void test_prefix(void) {
  mpfr_t ex, ab, t, bound;
  mpfr_inits2(PREC, ex, ab, t, bound, (mpfr_ptr)0);
  for (int trial = 0; trial < 100; trial++) {
    int64_t n = (int64_t)(t_rand(&rng) % 200), c = 1 + trial % 5, ld = c + trial % 3;
    size_t cells = (size_t)(n * ld + 1);
    double *x = malloc(sizeof(double) * cells), *x0 = malloc(sizeof(double) * cells);
    for (size_t k = 0; k < cells; k++) x0[k] = x[k] = rnd_double(-30, 30);
    for (int64_t j = 0; j < c; j++) kern_prefix_sum(n, x + j, ld);
    for (int64_t j = 0; j < c; j++) {
      mpfr_set_zero(ex, 1);
      mpfr_set_zero(ab, 1);
      for (int64_t i = 0; i < n; i++) {
        mpfr_add_d(ex, ex, x0[i * ld + j], MPFR_RNDN);
        mpfr_set_d(t, fabs(x0[i * ld + j]), MPFR_RNDN);
        mpfr_add(ab, ab, t, MPFR_RNDN);
        acc_bound(bound, i + 1, 0, 0, ab);
        CHECK(within(x[i * ld + j], ex, bound, "prefix", i), "kern_prefix_sum column %lld",
              (long long)j);
      }
    }
    for (int64_t i = 0; i < n; i++)
      for (int64_t j = c; j < ld; j++)
        CHECK(x[i * ld + j] == x0[i * ld + j], "kern_prefix_sum touched a gap cell");
    free(x);
    free(x0);
  }
  mpfr_clears(ex, ab, t, bound, (mpfr_ptr)0);
}

/* kern_binom against GMP: C(d + g, g) when it fits in int64, -1 otherwise (the contract only
 * promises "-1 or exact"; the intermediate sums never exceed the result, so -1 means overflow). */
static void test_binom(void) {
  mpz_t c;
  mpz_init(c);
  for (int64_t d = 0; d <= 300; d += d < 40 ? 1 : 13)
    for (int64_t g = 0; g <= KERN_BINOM_GMAX; g++) {
      mpz_bin_uiui(c, (unsigned long)(d + g), (unsigned long)g);
      int64_t want = mpz_fits_slong_p(c) ? (int64_t)mpz_get_si(c) : -1;
      CHECK(kern_binom(d, g) == want, "kern_binom(%lld, %lld)", (long long)d, (long long)g);
    }
  CHECK(kern_binom(64, 4) == 814385, "kern_binom(64, 4) = C(68, 4)");
  mpz_clear(c);
}

int main(void) {
  km_init("t-kern");
  test_steps();
  test_fsqdiff();
  test_fexpdiff();
  test_dot_sum();
  test_scale_axpy();
  test_norm();
  test_softmax();
  test_prefix();
  test_binom();
  km_clear();
  return t_done("t-kern");
}
