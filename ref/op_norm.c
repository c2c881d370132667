/* Pre-norms: layernorm (biased variance, eps inside the sqrt) and rmsnorm. */
#include <assert.h>

#include "ops.h"

/* Y (n x d) <- Norm(X); xhat (n x d), rstd (n x 1) saved for backward */
void norm_forward(mpctx *c, ar_norm kind, mpfr_srcptr eps, mpmat *Y,
                  mpmat *xhat, mpmat *rstd, const mpmat *X,
                  const mpmat *gamma, const mpmat *beta) {
  int64_t n = X->rows, d = X->cols;
  mpfr_ptr mu = c->t[0], var = c->t[1], sq = c->t[2];
  assert(kind != AR_NORM_NONE);
  for (int64_t i = 0; i < n; i++) {
    mpfr_ptr *xr = X->p + i * d, *hr = xhat->p + i * d;
    mpfr_ptr r = &rstd->v[i];
    if (kind == AR_NORM_LAYER) {
      /* mu = sum(x)/d; xc = x - mu (kept in xhat); var = <xc,xc>/d */
      c_sum(mu, xr, d);
      c_div_ui(mu, mu, (unsigned long)d);
      for (int64_t j = 0; j < d; j++) c_sub(hr[j], xr[j], mu);
      c_dot(var, hr, hr, d);
    } else {
      /* var here is mean(x^2) */
      c_dot(var, xr, xr, d);
    }
    c_div_ui(var, var, (unsigned long)d);
    /* rstd = 1/sqrt(var + eps) */
    c_add(var, var, eps);
    c_sqrt(sq, var);
    c_div(r, c->one, sq);
    for (int64_t j = 0; j < d; j++) {
      c_mul(hr[j], kind == AR_NORM_LAYER ? hr[j] : xr[j], r);
      if (beta)
        c_fma(MAT(Y, i, j), hr[j], &gamma->v[j], &beta->v[j]);
      else
        c_mul(MAT(Y, i, j), hr[j], &gamma->v[j]);
    }
  }
}

/* Forward, per row: y_j = gamma_j xhat_j + beta_j, xhat_j = (x_j - mu) r,
 * r = (var + eps)^-1/2, var = (1/d) sum_k (x_k - mu)^2  (rms: mu = 0,
 * var = (1/d) sum x_k^2). With g_j = dy_j gamma_j:
 *   dxhat_j/dx_k = r (delta_jk - 1/d) + (x_j - mu) dr/dx_k,
 *   dr/dx_k = -r^3 (x_k - mu)/d   (the mean's own derivative drops out as
 *                                  sum_k (x_k - mu) = 0),
 * so dx_k = sum_j g_j dxhat_j/dx_k = r (g_k - mean(g) - xhat_k mean(g xhat));
 * rms has no mean term: dx_k = r (g_k - xhat_k mean(g xhat)).
 *   dgamma_j = sum_i dy_ij xhat_ij,  dbeta_j = sum_i dy_ij.
 * The bracket cancels strongly, so it is one correctly rounded dot. */
void norm_backward(mpctx *c, ar_norm kind, const mpmat *dY,
                   const mpmat *xhat, const mpmat *rstd, const mpmat *gamma,
                   const mpmat *dres, mpmat *dX, mpmat *dgamma, mpmat *dbeta,
                   mpmat *g) {
  int64_t n = dY->rows, d = dY->cols;
  mpfr_ptr mg = c->t[0], nmgx = c->t[1], inner = c->t[2];
  int layer = kind == AR_NORM_LAYER;
  if (dgamma)
    for (int64_t j = 0; j < d; j++)
      c_dot(&dgamma->v[j], dY->pt + j * n, xhat->pt + j * n, n);
  if (dbeta) mm_colsum(dbeta, dY);
  if (!dX) return;
  if (!mpctx_reserve(c, 3)) return;
  for (int64_t i = 0; i < n; i++) {
    mpfr_ptr *gr = g->p + i * d, *hr = xhat->p + i * d;
    for (int64_t j = 0; j < d; j++) c_mul(gr[j], MAT(dY, i, j), &gamma->v[j]);
    /* -mean(g xhat) */
    c_dot(nmgx, gr, hr, d);
    c_div_ui(nmgx, nmgx, (unsigned long)d);
    c_neg(nmgx, nmgx);
    if (layer) {
      c_sum(mg, gr, d);
      c_div_ui(mg, mg, (unsigned long)d);
    }
    /* inner = g_k*1 + xhat_k*(-mgx) [+ mg*(-1)] */
    c->pb[0] = c->one;
    c->pb[1] = nmgx;
    c->pb[2] = c->mone;
    c->pa[2] = mg;
    for (int64_t k = 0; k < d; k++) {
      c->pa[0] = gr[k];
      c->pa[1] = hr[k];
      c_dot(inner, c->pa, c->pb, layer ? 3 : 2);
      if (dres)
        c_fma(MAT(dX, i, k), &rstd->v[i], inner, MAT(dres, i, k));
      else
        c_mul(MAT(dX, i, k), &rstd->v[i], inner);
    }
  }
}
