#include "naive_head.h"

#include <math.h>
#include <stdlib.h>

#include "testutil.h"

double rng_uniform(rng *r) { return t_uniform(&r->s); }

void rng_fill(rng *r, double *m, int64_t numel, double a) {
  for (int64_t i = 0; i < numel; i++) m[i] = a * (2 * rng_uniform(r) - 1);
}

/* F <- the n x n row-normalized kernel (long double), masked when causal */
static long double *kernel(const fa_head *h, const fa_poly *poly,
                           const double *q, const double *k) {
  int64_t n = h->n, dh = h->dh, ld = h->ld;
  long double *F = calloc((size_t)(n * n), sizeof *F);
  for (int64_t i = 0; i < n; i++) {
    long double den = 0, mx = -INFINITY;
    int64_t jend = h->causal ? i + 1 : n;
    for (int64_t j = 0; j < jend; j++) {
      long double s = 0;
      for (int64_t c = 0; c < dh; c++)
        s += (long double)q[i * ld + c] * k[j * ld + c];
      s *= h->tau;
      F[i * n + j] = s;
      if (s > mx) mx = s;
    }
    for (int64_t j = 0; j < jend; j++) {
      /* exp: shift by the row max (cancels in F); P: no shift */
      long double a = poly ? (long double)fa_poly_eval(poly, (double)F[i * n + j])
                           : expl(F[i * n + j] - mx);
      F[i * n + j] = a;
      den += a;
    }
    for (int64_t j = 0; j < jend; j++) F[i * n + j] /= den;
  }
  return F;
}

/* O = F U */
void naive_forward(const fa_head *h, const fa_poly *poly, const double *q,
                   const double *k, const double *u, double *o) {
  int64_t n = h->n, dh = h->dh, ld = h->ld;
  long double *F = kernel(h, poly, q, k);
  for (int64_t i = 0; i < n; i++)
    for (int64_t c = 0; c < dh; c++) {
      long double s = 0;
      for (int64_t j = 0; j < n; j++) s += F[i * n + j] * u[j * ld + c];
      o[i * ld + c] = (double)s;
    }
  free(F);
}

/* dU = F^T G, r_i = <O_i,G_i>, dS = F o (G U^T) - diag(r) F,
 * dQ = tau dS K, dK = tau dS^T Q */
void naive_backward(const fa_head *h, const fa_poly *poly, const double *q,
                    const double *k, const double *u, const double *g,
                    double *dq, double *dk, double *du) {
  int64_t n = h->n, dh = h->dh, ld = h->ld;
  long double *F = kernel(h, poly, q, k);
  long double *dS = calloc((size_t)(n * n), sizeof *dS);
  for (int64_t i = 0; i < n; i++) {
    long double r = 0;
    for (int64_t c = 0; c < dh; c++) {
      long double oc = 0;
      for (int64_t j = 0; j < n; j++) oc += F[i * n + j] * u[j * ld + c];
      r += oc * g[i * ld + c];
    }
    for (int64_t j = 0; j < n; j++) {
      long double gu = 0;
      for (int64_t c = 0; c < dh; c++)
        gu += (long double)g[i * ld + c] * u[j * ld + c];
      dS[i * n + j] = F[i * n + j] * (gu - r);
    }
  }
  for (int64_t i = 0; i < n; i++)
    for (int64_t c = 0; c < dh; c++) {
      long double sq = 0, sk = 0, su = 0;
      for (int64_t j = 0; j < n; j++) {
        sq += dS[i * n + j] * k[j * ld + c];
        sk += dS[j * n + i] * q[j * ld + c];
        su += F[j * n + i] * g[j * ld + c];
      }
      dq[i * ld + c] = (double)(h->tau * sq);
      dk[i * ld + c] = (double)(h->tau * sk);
      du[i * ld + c] = (double)su;
    }
  free(F);
  free(dS);
}

double rel_err(const double *x, const double *y, int64_t n, int64_t dh,
               int64_t ld) {
  double e = 0, m = 0;
  for (int64_t i = 0; i < n; i++)
    for (int64_t c = 0; c < dh; c++) {
      double d = fabs(x[i * ld + c] - y[i * ld + c]);
      if (!(d <= e)) e = d; /* NaN wins */
      if (fabs(y[i * ld + c]) > m) m = fabs(y[i * ld + c]);
    }
  return m > 0 ? e / m : e;
}

double max_abs_col(const double *x, int64_t n, int64_t ld, int64_t c) {
  double m = 0;
  for (int64_t i = 0; i < n; i++)
    if (fabs(x[i * ld + c]) > m) m = fabs(x[i * ld + c]);
  return m;
}
