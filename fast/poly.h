/* Polynomials P(s) = sum_{t<=g} c_t s^t approximating exp(s) on [-R, R], the
 * first step of the polynomial method (DESIGN §4): P(tau <q,k>) replaces
 * exp(tau <q,k>) and is split into feature maps (features.h).
 *
 * Two families:
 *  - Taylor, c_t = 1/t!. Relative error on |s| <= R at most
 *    eps(g,R) = R^(g+1) e^R / (g+1)! (Lagrange remainder; the worst point is
 *    s = -R). With g even, P(s) > 0 for every real s, so every approximate
 *    softmax denominator stays positive whatever the data.
 *  - Chebyshev: interpolation of exp at the g+1 Chebyshev nodes of [-R, R],
 *    converted to monomial coefficients (the feature maps need monomials). Its
 *    relative error is MEASURED on a fine grid (not a proven bound); P > 0 on
 *    [-R, R] whenever that measured error is below 1.
 *    Conditioning: T_j's monomial coefficients grow like (1+sqrt 2)^j, so
 *    the conversion multiplies the rounding noise of the Chebyshev
 *    coefficients (long double, ~1e-19 e^R) by up to (1+sqrt 2)^(2g) in the
 *    monomial coefficients, and T_j's integer coefficients stop being exact
 *    in long double's 64-bit significand near j = 50. Measured (R in
 *    0.5..16): sum_t |c_t| R^t stays at e^R (no cancellation) up to g ~ 44
 *    and grows past it from g ~ 52 (x7 at 52, x400 at 56, x5e4 at 60 for
 *    R = 0.5), with the measured error rising with it. FA_CHEB_MAX_DEGREE
 *    refuses larger g.
 *  Both families also meet the floor of evaluating P in double: near s = -R
 *  the terms are up to e^R and the value e^-R, so the relative rounding of
 *  P(s) is about 1e-16 e^(2R) whatever g is. */
#ifndef ATTNREF_FAST_POLY_H
#define ATTNREF_FAST_POLY_H

#define FA_CHEB_MAX_DEGREE 48

typedef enum { FA_POLY_TAYLOR = 0, FA_POLY_CHEBYSHEV = 1 } fa_poly_kind;

typedef struct fa_poly {
  fa_poly_kind kind;
  int g;       /* degree */
  double R;    /* interval [-R, R] it was built for */
  double *c;   /* g+1 monomial coefficients, c[t] multiplies s^t */
  double eps;  /* relative error on [-R, R]: a-priori bound (Taylor) or
                  measured max over a fine grid (Chebyshev) */
  int eps_measured; /* 1 when eps is a measurement, 0 when a proven bound */
} fa_poly;

/* p <- coefficients and error of the degree-g polynomial of that kind on
 * [-R, R]. Returns 0 on success, -1 on bad arguments (g < 0, R < 0 or not
 * finite, Chebyshev g > FA_CHEB_MAX_DEGREE), -2 out of memory.
 * R = 0 gives P = 1 exactly (eps 0) for both kinds. */
int fa_poly_init(fa_poly *p, fa_poly_kind kind, int g, double R);
void fa_poly_free(fa_poly *p);

/* eps(g,R) = R^(g+1) e^R / (g+1)!, the Taylor relative error bound
 * (+inf when it overflows). */
double fa_taylor_eps(int g, double R);

/* P(s) by Horner in double. */
double fa_poly_eval(const fa_poly *p, double s);

/* max over a grid of m+1 equispaced points of [-R, R] (and the Chebyshev
 * nodes) of |P(s) - exp(s)| / exp(s), with P evaluated by fa_poly_eval and
 * exp in long double. */
double fa_poly_measure_eps(const fa_poly *p, int m);

#endif
