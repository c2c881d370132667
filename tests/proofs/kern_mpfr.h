/* What the fast/kern tests share: random doubles over chosen exponent ranges, the admitted
 * rounding predicate fp_rnd of proofs/fp.acsl evaluated in MPFR, and |got - exact| <= bound.
 * One test program per translation unit, so the state is file-static here. Exact values are
 * MPFR at KM_PREC bits (every sum the tests form is then exact). */
#ifndef ATTNREF_TESTS_KERN_MPFR_H
#define ATTNREF_TESTS_KERN_MPFR_H

#include <math.h>
#include <stdio.h> /* before mpfr.h: mpfr_fprintf */
#include <gmp.h>
#include <mpfr.h>
#include <stdint.h>

#include "testutil.h"

#define KM_PREC 4096
#define U 0x1p-53 /* binary64's unit roundoff */

static uint64_t rng;
static mpfr_t eta; /* 2^-1075, binary64's underflow term: not a double (0x1p-1075 rounds to 0) */

/* seeds the generator from the test's name (t_seed) and sets eta */
static inline void km_init(const char *test) {
  rng = t_seed(test);
  mpfr_init2(eta, 8);
  mpfr_set_ui_2exp(eta, 1, -1075, MPFR_RNDN);
}

static inline void km_clear(void) { mpfr_clear(eta); }

/* A double with a random sign, mantissa and exponent in [lo, hi]. */
static inline double rnd_double(int lo, int hi) {
  double m = 1.0 + t_uniform(&rng);
  int e = lo + (int)(t_rand(&rng) % (uint64_t)(hi - lo + 1));
  return (t_rand(&rng) & 1 ? -1.0 : 1.0) * ldexp(m, e);
}

/* fp_rnd(r, x) of proofs/fp.acsl (|r - x| <= u |x| at or above 2^-1021, <= eta at or below,
 * the sign kept), its err form |r - x| <= u |x| + eta, and r finite */
static inline int fp_rnd_holds(double r, const mpfr_t x) {
  mpfr_t d, ax, lim;
  mpfr_inits2(KM_PREC, d, ax, lim, (mpfr_ptr)0);
  mpfr_abs(ax, x, MPFR_RNDN);
  mpfr_set_d(d, r, MPFR_RNDN);
  mpfr_sub(d, d, x, MPFR_RNDN);
  mpfr_abs(d, d, MPFR_RNDN);
  int ok = isfinite(r) != 0;
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
  mpfr_clears(d, ax, lim, (mpfr_ptr)0);
  return ok;
}

/* |got - exact| <= bound and got finite, in MPFR; reports what and where on failure. */
static inline int within(double got, const mpfr_t exact, const mpfr_t bound, const char *what,
                         long i) {
  mpfr_t d;
  mpfr_init2(d, KM_PREC);
  mpfr_set_d(d, got, MPFR_RNDN);
  mpfr_sub(d, d, exact, MPFR_RNDN);
  mpfr_abs(d, d, MPFR_RNDN);
  int ok = isfinite(got) && mpfr_cmp(d, bound) <= 0;
  if (!ok)
    mpfr_fprintf(stderr, "%s[%ld]: got %a (%.17g), exact %.20Rg, error %.6Rg > bound %.6Rg\n",
                 what, i, got, got, exact, d, bound);
  mpfr_clear(d);
  return ok;
}

#endif
