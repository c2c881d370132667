#include "poly.h"
#include "kern/kern_horner.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* eps <- R^(g+1) e^R / (g+1)!, in logs so large g or R neither overflow early
 * nor lose the value to an intermediate inf/inf */
double fa_taylor_eps(int g, double R) {
  if (R == 0) return 0;
  double l = (g + 1) * log(R) + R - lgamma((double)g + 2);
  return exp(l); /* +inf on overflow: no bound */
}

/* c[t] <- 1/t!, t = 0..g (each from the previous: 1/t! = (1/(t-1)!)/t) */
static void taylor_coeffs(int g, double *c) {
  long double f = 1;
  c[0] = 1;
  for (int t = 1; t <= g; t++) {
    f /= t;
    c[t] = (double)f;
  }
}

/* c <- monomial coefficients in s of the degree-g interpolant of exp at the
 * g+1 Chebyshev nodes of [-R, R]. In x = s/R: a_j = (2/N) sum_k exp(R x_k)
 * T_j(x_k) (a_0 halved), P = sum_j a_j T_j(x); T_j's monomial coefficients by
 * T_{j+1} = 2x T_j - T_{j-1} (integers, exact in long double for g <= 48);
 * then c_t = b_t / R^t. All in long double to keep the conversion's own
 * rounding below double's; the conditioning limit is in poly.h. */
static int chebyshev_coeffs(int g, double R, double *c) {
  int N = g + 1;
  long double *a = calloc((size_t)N, sizeof *a);
  long double *tprev = calloc((size_t)N, sizeof *tprev);
  long double *tcur = calloc((size_t)N, sizeof *tcur);
  long double *tnext = calloc((size_t)N, sizeof *tnext);
  long double *b = calloc((size_t)N, sizeof *b);
  if (!a || !tprev || !tcur || !tnext || !b) {
    free(a), free(tprev), free(tcur), free(tnext), free(b);
    return -2;
  }
  const long double pi = 3.141592653589793238462643383279502884L;
  for (int k = 0; k < N; k++) {
    long double th = pi * (k + 0.5L) / N;
    long double fx = expl((long double)R * cosl(th));
    for (int j = 0; j < N; j++) a[j] += fx * cosl(j * th); /* T_j(cos th) */
  }
  for (int j = 0; j < N; j++) a[j] *= 2.0L / N;
  a[0] /= 2;
  /* b <- sum_j a_j T_j, T_j as monomials: tprev = T_{j-1}, tcur = T_j */
  tcur[0] = 1; /* T_0 */
  for (int j = 0; j < N; j++) {
    for (int t = 0; t <= j; t++) b[t] += a[j] * tcur[t];
    if (j + 1 == N) break;
    memset(tnext, 0, (size_t)N * sizeof *tnext);
    if (j == 0) {
      tnext[1] = 1; /* T_1 = x */
    } else {
      for (int t = 0; t <= j; t++) tnext[t + 1] += 2 * tcur[t];
      for (int t = 0; t < j; t++) tnext[t] -= tprev[t];
    }
    long double *tmp = tprev;
    tprev = tcur, tcur = tnext, tnext = tmp;
  }
  long double Rt = 1;
  for (int t = 0; t < N; t++, Rt *= R) c[t] = (double)(b[t] / Rt);
  free(a), free(tprev), free(tcur), free(tnext), free(b);
  return 0;
}

/* P(s) = c_0 + s (c_1 + s (...)), by the proved kernel (rnd(1 * s) = s: the same steps) */
double fa_poly_eval(const fa_poly *p, double s) {
  double v = s;
  kern_poly_row(1, p->g, p->c, 1.0, &v);
  return v;
}

/* eps <- max_s |P(s) - e^s| / e^s over the grid and the interpolation nodes */
double fa_poly_measure_eps(const fa_poly *p, int m) {
  double worst = 0;
  if (p->R == 0) return fabs(fa_poly_eval(p, 0) - 1);
  for (int i = 0; i <= m + p->g + 1; i++) {
    double s;
    if (i <= m)
      s = -p->R + 2 * p->R * ((double)i / m);
    else /* nodes, where the interpolation error is 0 in exact arithmetic */
      s = p->R * cos(M_PI * (i - m - 1 + 0.5) / (p->g + 1));
    if (s > p->R) s = p->R;
    long double e = expl((long double)s);
    double rel = (double)(fabsl((long double)fa_poly_eval(p, s) - e) / e);
    if (!(rel <= worst)) worst = rel; /* NaN propagates as worst */
  }
  return worst;
}

int fa_poly_init(fa_poly *p, fa_poly_kind kind, int g, double R) {
  memset(p, 0, sizeof *p);
  if (g < 0 || !(R >= 0) || !isfinite(R)) return -1;
  if (kind == FA_POLY_CHEBYSHEV && g > FA_CHEB_MAX_DEGREE) return -1;
  if (kind != FA_POLY_TAYLOR && kind != FA_POLY_CHEBYSHEV) return -1;
  p->kind = kind, p->g = g, p->R = R;
  p->c = calloc((size_t)g + 1, sizeof *p->c);
  if (!p->c) return -2;
  if (R == 0) { /* every score is 0: P = 1 is exact */
    p->c[0] = 1;
    p->eps = 0;
    return 0;
  }
  if (kind == FA_POLY_TAYLOR) {
    taylor_coeffs(g, p->c);
    p->eps = fa_taylor_eps(g, R);
    p->eps_measured = 0;
  } else {
    if (chebyshev_coeffs(g, R, p->c)) {
      fa_poly_free(p);
      return -2;
    }
    p->eps = fa_poly_measure_eps(p, 20000);
    p->eps_measured = 1;
  }
  return 0;
}

void fa_poly_free(fa_poly *p) {
  free(p->c);
  p->c = NULL;
}
