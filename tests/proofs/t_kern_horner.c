/* t-kern-horner: kern_poly_row (fast/kern/kern_horner.h) against MPFR. For every element:
 * the result is finite; the rounded argument s = rnd(tau e) satisfies fp_rnd; the result is
 * within hg(g) habs(c, 0, g, s) + hz(0, g, s) of the exact Horner value P(s) (proofs/horner.acsl,
 * all evaluated in MPFR); hg(g) <= 4 g u; and the kernel returns bit for bit what the plain
 * Horner loop fa_poly_eval ran before (so the approximate path's results did not move).
 * Coefficients: fa_poly_init's Taylor and Chebyshev tables, and random signs and magnitudes;
 * arguments ordinary, tiny (subnormal products) and large. kern_ds_q / kern_ds_k: every
 * intermediate rounding of the chain (the witnesses of ds_q, ds_k) is fp_rnd of its exact
 * operation (MPFR), and the results equal the plain expressions the backward ran before.
 * Inputs are printed on failure. */
#include <stdlib.h>
#include <string.h>

#include "fast/kern/kern_horner.h"
#include "fast/poly.h"
#include "kern_mpfr.h"

#define PREC KM_PREC

enum { GMAX = 60, MMAX = 48 };

/* v <- rnd(rnd(v s) + c_t), the loop fa_poly_eval ran before the kernel (two roundings) */
static double horner_plain(int g, const double *c, double s) {
  volatile double v = c[g];
  for (int t = g - 1; t >= 0; t--) {
    volatile double p = v * s;
    v = p + c[t];
  }
  return v;
}

/* H = horner(c, 0, g, s), A = habs(c, 0, g, s), Z = hz(0, g, s), exactly (PREC bits); returns
 * whether hbig(c, g, s) holds (every habs(c, t, g, s) <= 2^900 and hz(t, g, s) <= 1) */
static int horner_mpfr(int g, const double *c, double s, mpfr_t H, mpfr_t A, mpfr_t Z) {
  mpfr_t k, d;
  mpfr_inits2(PREC, k, d, (mpfr_ptr)0);
  mpfr_set_d(k, U, MPFR_RNDN); /* (1 + u)^2 */
  mpfr_add_ui(k, k, 1, MPFR_RNDN);
  mpfr_sqr(k, k, MPFR_RNDN);
  mpfr_set_d(H, c[g], MPFR_RNDN);
  mpfr_set_d(A, fabs(c[g]), MPFR_RNDN);
  mpfr_set_zero(Z, 1);
  int ok = mpfr_cmp_d(A, 0x1p900) <= 0;
  for (int t = g - 1; t >= 0; t--) {
    mpfr_mul_d(H, H, s, MPFR_RNDN);
    mpfr_add_d(H, H, c[t], MPFR_RNDN);
    mpfr_mul_d(A, A, fabs(s), MPFR_RNDN);
    mpfr_add_d(A, A, fabs(c[t]), MPFR_RNDN);
    mpfr_mul_d(Z, Z, fabs(s), MPFR_RNDN); /* (1+u)^2 |s| Z + (2 + u) eta */
    mpfr_mul(Z, Z, k, MPFR_RNDN);
    mpfr_set_d(d, 2 + U, MPFR_RNDN); /* 2 + u is exact in double */
    mpfr_mul(d, d, eta, MPFR_RNDN);
    mpfr_add(Z, Z, d, MPFR_RNDN);
    ok &= mpfr_cmp_d(A, 0x1p900) <= 0 && mpfr_cmp_ui(Z, 1) <= 0;
  }
  mpfr_clears(k, d, (mpfr_ptr)0);
  return ok;
}

static long checked, skipped;

/* one row: kern_poly_row on e (m elements) and every ensures */
static void check_row(int g, const double *c, double tau, const double *e0, int m,
                      const char *what) {
  double e[MMAX];
  memcpy(e, e0, (size_t)m * sizeof *e);
  /* the precondition big: skip rows outside the contract (checked for s = rnd(tau e), the
   * value the kernel uses; the contract asks it for every s near tau e) */
  mpfr_t H, A, Z, hg, B, x;
  mpfr_inits2(PREC, H, A, Z, B, x, (mpfr_ptr)0);
  mpfr_init2(hg, 4 * PREC); /* (1 + u)^(2g) has 106 g bits */
  for (int j = 0; j < m; j++) {
    double s = tau * e0[j];
    if (!(fabs(s) <= 0x1p1000) || !horner_mpfr(g, c, s, H, A, Z)) {
      skipped++;
      goto out;
    }
  }
  kern_poly_row(m, g, c, tau, e);
  mpfr_set_d(hg, U, MPFR_RNDN); /* hg(g) = (1 + u)^(2g) - 1 */
  mpfr_add_ui(hg, hg, 1, MPFR_RNDN);
  mpfr_pow_ui(hg, hg, 2 * (unsigned long)g, MPFR_RNDN);
  mpfr_sub_ui(hg, hg, 1, MPFR_RNDN);
  CHECK(mpfr_cmp_d(hg, 4.0 * g * U) <= 0 && mpfr_sgn(hg) >= 0, "bound: hg(%d) > 4 g u", g);
  for (int j = 0; j < m; j++) {
    double s = tau * e0[j];
    mpfr_set_d(x, tau, MPFR_RNDN);
    mpfr_mul_d(x, x, e0[j], MPFR_RNDN);
    CHECK(fp_rnd_holds(s, x), "%s: fp_rnd(s, tau e): tau=%a e=%a s=%a", what, tau, e0[j], s);
    horner_mpfr(g, c, s, H, A, Z);
    mpfr_mul(B, hg, A, MPFR_RNDU);
    mpfr_add(B, B, Z, MPFR_RNDU);
    int ok = within(e[j], H, B, what, j);
    CHECK(ok, "%s: g=%d tau=%a e=%a s=%a -> %a", what, g, tau, e0[j], s, e[j]);
    if (!ok)
      for (int t = 0; t <= g; t++) fprintf(stderr, "  c[%d] = %a\n", t, c[t]);
    double ref = horner_plain(g, c, s);
    CHECK(e[j] == ref || (e[j] != e[j] && ref != ref),
          "%s: g=%d tau=%a e=%a: kernel %a, plain Horner %a", what, g, tau, e0[j], e[j], ref);
    checked++;
  }
out:
  mpfr_clears(H, A, Z, hg, B, x, (mpfr_ptr)0);
}

/* the scores of a row: ordinary, tiny (tau e and the powers underflow) or up to 2^4 */
static void fill_e(double *e, int m, int k) {
  for (int j = 0; j < m; j++)
    e[j] = k % 3 == 0 ? rnd_double(-1080, -1000) : k % 3 == 1 ? rnd_double(-30, 3) : rnd_double(-4, 4);
}

static void test_tables(void) {
  double e[MMAX];
  for (int k = 0; k < 600; k++) {
    int cheb = k & 1, g = cheb ? k % (FA_CHEB_MAX_DEGREE + 1) : k % 21;
    double R = k % 5 == 0 ? 0.5 : 1.0 + (double)(k % 16);
    fa_poly p;
    CHECK(fa_poly_init(&p, cheb ? FA_POLY_CHEBYSHEV : FA_POLY_TAYLOR, g, R) == 0,
          "fa_poly_init kind=%d g=%d R=%g", cheb, g, R);
    int m = 1 + (int)(t_rand(&rng) % MMAX);
    fill_e(e, m, k);
    double tau = k % 4 == 0 ? rnd_double(-1040, -1000) : rnd_double(-3, 2);
    check_row(p.g, p.c, tau, e, m, cheb ? "chebyshev" : "taylor");
    /* fa_poly_eval runs the kernel too: the same value as the plain loop */
    double s = rnd_double(-10, 4);
    CHECK(fa_poly_eval(&p, s) == horner_plain(p.g, p.c, s), "fa_poly_eval g=%d s=%a", g, s);
    fa_poly_free(&p);
  }
}

static void test_random(void) {
  double c[GMAX + 1], e[MMAX];
  for (int k = 0; k < 3000; k++) {
    int g = (int)(t_rand(&rng) % (GMAX + 1));
    int lo = k % 4 == 0 ? -1074 : k % 4 == 1 ? -200 : -40, hi = k % 4 == 3 ? 400 : 10;
    for (int t = 0; t <= g; t++) c[t] = k % 7 == 0 && t % 3 == 1 ? 0.0 : rnd_double(lo, hi);
    int m = 1 + (int)(t_rand(&rng) % MMAX);
    fill_e(e, m, k);
    if (k % 5 == 0) e[0] = 0.0;
    /* k % 8 == 3: coefficients up to 2^400 and |tau e| up to 2^12, near the 2^900 limit */
    double tau = k % 6 == 0 ? rnd_double(-60, 60) : k % 8 == 3 ? rnd_double(0, 8) : rnd_double(-3, 3);
    check_row(g, c, tau, e, m, "random");
  }
}

/* a double in [2^lo, 2^hi) or its negative, or 0 now and then */
static double rnd_or_zero(int lo, int hi) { return t_rand(&rng) % 16 == 0 ? 0.0 : rnd_double(lo, hi); }

/* fp_rnd(r, x op y) for op in '*', '-', '/' */
static int rnd_op(double r, double x, char op, double y) {
  mpfr_t z;
  mpfr_init2(z, PREC);
  mpfr_set_d(z, x, MPFR_RNDN);
  if (op == '*') mpfr_mul_d(z, z, y, MPFR_RNDN);
  else if (op == '-') mpfr_sub_d(z, z, y, MPFR_RNDN);
  else mpfr_div_d(z, z, y, MPFR_RNDN);
  int ok = fp_rnd_holds(r, z);
  mpfr_clear(z);
  return ok;
}

static void test_ds(void) {
  double p[MMAX], g[MMAX], d[MMAX], r[MMAX], t[MMAX], w[MMAX];
  for (int k = 0; k < 4000; k++) {
    int m = 1 + (int)(t_rand(&rng) % MMAX);
    /* ordinary, subnormal products, near the 2^200 limits */
    int lo = k % 3 == 0 ? -560 : -30, hi = k % 3 == 1 ? 199 : 30;
    double tau = rnd_or_zero(lo, hi), wi = rnd_or_zero(lo, hi), ri = rnd_or_zero(lo, hi);
    for (int j = 0; j < m; j++) {
      p[j] = rnd_or_zero(lo, hi);
      g[j] = k % 5 == 0 ? ri * (1 + 0x1p-40 * (j - 8)) : rnd_or_zero(lo, hi); /* cancellation */
      r[j] = rnd_or_zero(lo, hi);
      d[j] = rnd_double(k % 3 == 0 ? -1074 : -20, 20);
      if (!(fabs(p[j] / d[j]) <= 0x1p200)) d[j] = p[j] * 0x1p-190; /* keep |p / d| <= 2^200 */
      if (d[j] == 0) d[j] = 1;
    }
    kern_ds_q(m, tau, wi, ri, p, g, t);
    for (int j = 0; j < m; j++) {
      volatile double a = p[j] * wi, b = g[j] - ri, q = a * b, v = tau * q;
      CHECK(t[j] == v, "kern_ds_q: p=%a w=%a g=%a r=%a tau=%a: %a, plain %a", p[j], wi, g[j], ri, tau, t[j], v);
      CHECK(isfinite(t[j]) && rnd_op(a, p[j], '*', wi) && rnd_op(b, g[j], '-', ri) &&
                rnd_op(q, a, '*', b) && rnd_op(v, tau, '*', q),
            "kern_ds_q chain: p=%a w=%a g=%a r=%a tau=%a", p[j], wi, g[j], ri, tau);
    }
    kern_ds_k(m, tau, p, d, r, g, t, w);
    for (int j = 0; j < m; j++) {
      volatile double a = p[j] / d[j], b = g[j] - r[j], q = a * b, v = tau * q;
      CHECK(w[j] == a && t[j] == v, "kern_ds_k: p=%a d=%a g=%a r=%a tau=%a: %a %a, plain %a %a",
            p[j], d[j], g[j], r[j], tau, w[j], t[j], a, v);
      CHECK(isfinite(t[j]) && isfinite(w[j]) && rnd_op(a, p[j], '/', d[j]) &&
                rnd_op(b, g[j], '-', r[j]) && rnd_op(q, a, '*', b) && rnd_op(v, tau, '*', q),
            "kern_ds_k chain: p=%a d=%a g=%a r=%a tau=%a", p[j], d[j], g[j], r[j], tau);
      checked++;
    }
  }
}

int main(void) {
  km_init("t-kern-horner");
  test_tables();
  test_random();
  test_ds();
  printf("t-kern-horner: %ld elements checked, %ld rows outside the precondition skipped\n",
         checked, skipped);
  CHECK(checked > 50000, "too few elements checked: %ld", checked);
  km_clear();
  return t_done("t-kern-horner");
}
