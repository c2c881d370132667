/* The polynomial P ~ exp on [-R, R]: Taylor's a-priori relative error bound
 * holds (measured <= eps(g,R)), even-degree Taylor stays positive everywhere,
 * Chebyshev interpolates exp at its nodes, beats Taylor for the same degree,
 * and its measured error shrinks with g up to the conditioning limit. */
#include <math.h>
#include <stdio.h>

#include "fast/poly.h"
#include "testutil.h"

static void taylor_eps_formula(void) {
  /* R = 1, g = 2: e / 3! */
  double e = fa_taylor_eps(2, 1.0);
  CHECK(fabs(e - exp(1.0) / 6) <= 1e-15 * e, "eps(2,1) = %.17g", e);
  /* R = 0.5, g = 5: 0.5^6 e^0.5 / 720 */
  e = fa_taylor_eps(5, 0.5);
  double w = pow(0.5, 6) * exp(0.5) / 720;
  CHECK(fabs(e - w) <= 1e-14 * w, "eps(5,0.5) = %.17g want %.17g", e, w);
  CHECK(fa_taylor_eps(4, 0.0) == 0, "eps at R = 0");
}

static void taylor_bound_holds(void) {
  const double Rs[] = {0.25, 1, 2, 4};
  for (int ri = 0; ri < 4; ri++)
    for (int g = 0; g <= 12; g++) {
      fa_poly p;
      int rc = fa_poly_init(&p, FA_POLY_TAYLOR, g, Rs[ri]);
      CHECK(rc == 0, "taylor init g=%d R=%g rc=%d", g, Rs[ri], rc);
      if (rc) continue;
      double m = fa_poly_measure_eps(&p, 4000);
      /* rounding of P in double adds a few ulps of e^{2R} near s = -R */
      double slack = 8 * 0x1p-52 * exp(2 * Rs[ri]);
      CHECK(m <= p.eps + slack && !p.eps_measured,
            "taylor g=%d R=%g measured %.3g > bound %.3g", g, Rs[ri], m, p.eps);
      /* the bound is attained at s=-R up to the e^xi factor: not loose by
       * more than e^R */
      CHECK(m >= p.eps * exp(-Rs[ri]) * 0.5 || p.eps < 1e-14,
            "taylor g=%d R=%g measured %.3g, bound %.3g too loose", g, Rs[ri],
            m, p.eps);
      fa_poly_free(&p);
    }
}

static void even_taylor_positive(void) {
  for (int g = 0; g <= 16; g++) {
    fa_poly p;
    fa_poly_init(&p, FA_POLY_TAYLOR, g, 1.0);
    double minv = INFINITY;
    for (int i = 0; i <= 20000; i++) {
      double v = fa_poly_eval(&p, -60 + 120.0 * i / 20000);
      if (v < minv) minv = v;
    }
    if (g % 2 == 0)
      CHECK(minv > 0, "even taylor g=%d has P = %g <= 0 on [-60,60]", g, minv);
    else /* odd degree: P -> -inf as s -> -inf, so it must go negative */
      CHECK(minv < 0, "odd taylor g=%d never negative?", g);
    fa_poly_free(&p);
  }
}

static void chebyshev_interpolates(void) {
  const double Rs[] = {0.5, 2, 5};
  for (int ri = 0; ri < 3; ri++)
    for (int g = 1; g <= 16; g++) {
      double R = Rs[ri];
      fa_poly p;
      int rc = fa_poly_init(&p, FA_POLY_CHEBYSHEV, g, R);
      CHECK(rc == 0 && p.eps_measured, "cheb init g=%d R=%g", g, R);
      if (rc) continue;
      /* P(node) = exp(node), up to the monomial form's conditioning */
      double tol = 1e-15 * pow(1 + sqrt(2.0), g) * exp(2 * R);
      for (int k = 0; k <= g; k++) {
        double x = R * cos(M_PI * (k + 0.5) / (g + 1));
        double rel = fabs(fa_poly_eval(&p, x) - exp(x)) / exp(x);
        CHECK(rel <= tol, "cheb g=%d R=%g node %d rel err %.3g > %.3g", g, R,
              k, rel, tol);
      }
      fa_poly t;
      fa_poly_init(&t, FA_POLY_TAYLOR, g, R);
      double tm = fa_poly_measure_eps(&t, 20000);
      /* where Taylor is a usable approximation (relative error < 1) and above
       * rounding, Chebyshev is better (it spreads the absolute error evenly
       * instead of piling it at the ends) */
      if (tm > 1e-12 && tm < 1)
        CHECK(p.eps < tm, "cheb g=%d R=%g eps %.3g not below taylor %.3g", g,
              R, p.eps, tm);
      fa_poly_free(&t);
      fa_poly_free(&p);
    }
}

static void chebyshev_converges(void) {
  double prev = INFINITY;
  for (int g = 2; g <= 12; g += 2) {
    fa_poly p;
    fa_poly_init(&p, FA_POLY_CHEBYSHEV, g, 3.0);
    printf("chebyshev R=3 g=%2d measured eps %.3e (taylor bound %.3e)\n", g,
           p.eps, fa_taylor_eps(g, 3.0));
    CHECK(p.eps < prev / 4, "cheb R=3 g=%d eps %.3g not << %.3g", g, p.eps,
          prev);
    prev = p.eps;
    fa_poly_free(&p);
  }
  fa_poly p;
  CHECK(fa_poly_init(&p, FA_POLY_CHEBYSHEV, FA_CHEB_MAX_DEGREE + 1, 1.0) == -1,
        "chebyshev past its conditioning limit accepted");
  CHECK(fa_poly_init(&p, FA_POLY_TAYLOR, -1, 1.0) == -1, "g = -1 accepted");
  CHECK(fa_poly_init(&p, FA_POLY_TAYLOR, 2, NAN) == -1, "R = NaN accepted");
}

int main(void) {
  taylor_eps_formula();
  taylor_bound_holds();
  even_taylor_positive();
  chebyshev_interpolates();
  chebyshev_converges();
  if (t_failures) fprintf(stderr, "%d failure(s)\n", t_failures);
  return t_failures ? 1 : 0;
}
