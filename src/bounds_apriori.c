/* A-priori element-wise bounds on the approx path's errors for one layer
 * (bounds.h; the derivation is error_reports/BOUNDS.md, whose numbering the
 * comments follow).
 *
 * The premise: per head, A~_ij = A_ij (1 + e_ij) with |e_ij| <= eps and every
 * A~_ij > 0 (Taylor, even g). Then F~_ij = F_ij (1 + d_ij) with
 * |d_ij| <= eta = 2 eps / (1 - eps), rows of F~ and F both sum to 1, and with
 * |S_ij| <= R every allowed F_ij <= e^(2R) / |J_i| (J_i the allowed keys of
 * row i: all n, or j <= i when causal). The upstream G = dY Wo^T is exact
 * (one layer, linear loss), and so are Q, K, U (the layer's input is exact). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "bounds_internal.h"

typedef struct work {
  double *xn, *q, *k, *u, *g;        /* exact, n x d */
  double *bo, *bq, *bk, *bu, *bxn;   /* element-wise bounds, n x d */
  double *lo_u, *hi_u, *lo_k, *hi_k; /* running column ranges, dh */
  double *om, *acc_u, *acc_k;        /* n; dh; dh */
} work;

static void work_free(work *w) {
  double **p = (double **)w;
  for (size_t i = 0; i < sizeof *w / sizeof(double *); i++) free(p[i]);
}

/* B (rows x cols) <- the F64 tensor `name` of that shape added to bounds */
static double *add_bound(ar_tensorset *b, const ar_case *c, const char *name,
                         int ndim, int64_t rows, int64_t cols, ar_error *err) {
  int64_t dims[2] = {rows, cols};
  ar_tensor *t = ar_tensorset_add(b, name, AR_F64, ndim, dims, err);
  (void)c;
  return t ? t->data : NULL;
}

/* One head's bounds (§2-§5), columns [c0, c0 + dh) of the n x d arrays.
 * mag: the magnitude variant (eta = 1 from the caller, and every range
 * replaced by twice the largest magnitude: no cancellation assumed). */
static void head_bounds(const ar_config *cf, work *w, int64_t c0, double eta,
                        double E, double tau, int mag) {
  const int64_t n = cf->n, d = cf->d, dh = ar_config_head_dim(cf);
  /* §2 forward and the row weights om_i = sum_c |G_ic| range_{J_i}(U_c),
   * §4 dQ: ranges over J_i, running when causal */
  for (int64_t c = 0; c < dh; c++) {
    w->lo_u[c] = w->lo_k[c] = INFINITY;
    w->hi_u[c] = w->hi_k[c] = -INFINITY;
  }
  if (!cf->causal)
    for (int64_t j = 0; j < n; j++)
      for (int64_t c = 0; c < dh; c++) {
        double u = w->u[j * d + c0 + c], k = w->k[j * d + c0 + c];
        w->lo_u[c] = fmin(w->lo_u[c], u), w->hi_u[c] = fmax(w->hi_u[c], u);
        w->lo_k[c] = fmin(w->lo_k[c], k), w->hi_k[c] = fmax(w->hi_k[c], k);
      }
  for (int64_t i = 0; i < n; i++) {
    if (cf->causal)
      for (int64_t c = 0; c < dh; c++) {
        double u = w->u[i * d + c0 + c], k = w->k[i * d + c0 + c];
        w->lo_u[c] = fmin(w->lo_u[c], u), w->hi_u[c] = fmax(w->hi_u[c], u);
        w->lo_k[c] = fmin(w->lo_k[c], k), w->hi_k[c] = fmax(w->hi_k[c], k);
      }
    double om = 0;
    for (int64_t c = 0; c < dh; c++) {
      double ru = mag ? 2 * fmax(fabs(w->hi_u[c]), fabs(w->lo_u[c]))
                      : w->hi_u[c] - w->lo_u[c];
      w->bo[i * d + c0 + c] = eta * ru / 2; /* §2 */
      om += fabs(w->g[i * d + c0 + c]) * ru;
    }
    w->om[i] = om;
    for (int64_t c = 0; c < dh;
         c++) { /* §4: dQ = tau dS K, rows of dS~-dS sum to 0 */
      double rk = mag ? 2 * fmax(fabs(w->hi_k[c]), fabs(w->lo_k[c]))
                      : w->hi_k[c] - w->lo_k[c];
      w->bq[i * d + c0 + c] = 0.75 * tau * eta * om * rk;
    }
  }
  /* §3 dU and §5 dK: column sums of F weighted, F_ij <= E / |J_i|; the
   * rows i that see key j are all rows, or i >= j when causal (suffix sums) */
  for (int64_t c = 0; c < dh; c++) w->acc_u[c] = w->acc_k[c] = 0;
  if (!cf->causal) {
    for (int64_t i = 0; i < n; i++)
      for (int64_t c = 0; c < dh; c++) {
        w->acc_u[c] += fabs(w->g[i * d + c0 + c]);
        w->acc_k[c] += w->om[i] * fabs(w->q[i * d + c0 + c]);
      }
    for (int64_t j = 0; j < n; j++)
      for (int64_t c = 0; c < dh; c++) {
        w->bu[j * d + c0 + c] = eta * E * w->acc_u[c] / (double)n;
        w->bk[j * d + c0 + c] = 1.5 * tau * eta * E * w->acc_k[c] / (double)n;
      }
  } else {
    for (int64_t j = n - 1; j >= 0; j--) {
      double inv = 1.0 / (double)(j + 1); /* row i = j joins, |J_j| = j + 1 */
      for (int64_t c = 0; c < dh; c++) {
        w->acc_u[c] += fabs(w->g[j * d + c0 + c]) * inv;
        w->acc_k[c] += w->om[j] * fabs(w->q[j * d + c0 + c]) * inv;
        w->bu[j * d + c0 + c] = eta * E * w->acc_u[c];
        w->bk[j * d + c0 + c] = 1.5 * tau * eta * E * w->acc_k[c];
      }
    }
  }
}

/* bounds <- §2-§8 propagated from the relative softmax error eta */
static int propagate(const ar_case *c, double eta, double R, int mag,
                     ar_tensorset *bounds, ar_error *err) {
  const ar_config *cf = &c->cfg;
  if (cf->layers != 1 || cf->mlp != 0 || cf->loss != AR_LOSS_LINEAR)
    return ar_fail(err, AR_FAIL_INPUT,
                   "bounds: a-priori bounds need layers 1, mlp 0, loss linear");
  if (!(R >= 0) || !isfinite(R))
    return ar_fail(err, AR_FAIL_INPUT, "bounds: no bound for radius %g", R);
  const int64_t n = cf->n, d = cf->d, dh = ar_config_head_dim(cf);
  const ar_layer_weights *lw = &c->layer[0];
  const double E = exp(2 * R);
  const double tau = fabs(bd_tau(cf));
  /* slack for this file's own double arithmetic (sums of up to n terms) */
  const double up = 1 + 1e-9;
  work w;
  memset(&w, 0, sizeof w);
  double **arr = (double **)&w;
  const size_t nd = (size_t)(n * d);
  for (int i = 0; i < 10; i++)
    if (!(arr[i] = calloc(nd, sizeof(double)))) goto oom;
  for (int i = 10; i < 14; i++)
    if (!(arr[i] = calloc((size_t)dh, sizeof(double)))) goto oom;
  if (!(w.om = calloc((size_t)n, sizeof(double))) ||
      !(w.acc_u = calloc((size_t)dh, sizeof(double))) ||
      !(w.acc_k = calloc((size_t)dh, sizeof(double))))
    goto oom;

  bd_norm_forward(cf, c->x, lw->norm1_w, lw->norm1_b, w.xn);
  bd_matmul_nd(n, d, w.xn, lw->wq, w.q);
  bd_matmul_nd(n, d, w.xn, lw->wk, w.k);
  bd_matmul_nd(n, d, w.xn, lw->wv, w.u);
  const double *dy = c->cotangent; /* dX_1 = cotangent, exact */
  for (int64_t i = 0; i < n; i++)  /* G = dC = dY Wo^T */
    for (int64_t a = 0; a < d; a++) {
      double s = 0;
      for (int64_t b = 0; b < d; b++) s += dy[i * d + b] * lw->wo[a * d + b];
      w.g[i * d + a] = s;
    }
  for (int64_t h = 0; h < cf->heads; h++)
    head_bounds(cf, &w, h * dh, eta, E, tau, mag);

  ar_tensorset_free(bounds);
  ar_tensorset_init(bounds);
  /* §6 the forward: Att = C Wo, act = X + Att (or Att); |dAtt| <= bO |Wo| */
  double *bact = add_bound(bounds, c, "act.layers.0", 2, n, d, err);
  double *bcot = add_bound(bounds, c, "grad.cotangent", 2, n, d, err);
  double *bga = add_bound(bounds, c, "grad.act.layers.0", 2, n, d, err);
  if (!bact || !bcot || !bga) goto fail;
  /* dX_1 = cotangent exactly: bound 0; its magnitude is its own */
  for (int64_t i = 0; mag && i < n * d; i++) bga[i] = fabs(dy[i]);
  double bl = 0;
  for (int64_t i = 0; i < n; i++)
    for (int64_t b = 0; b < d; b++) {
      double s = 0;
      for (int64_t a = 0; a < d; a++)
        s += w.bo[i * d + a] * fabs(lw->wo[a * d + b]);
      bact[i * d + b] = bcot[i * d + b] = s * up;
      bl += s * fabs(dy[i * d + b]);
    }
  if (!ar_tensorset_add_scalar(bounds, "loss", bl * up, err)) goto fail;
  /* grad.wo = C^T dY: only C is approximate */
  double *bwo = add_bound(bounds, c, "grad.layers.0.wo", 2, d, d, err);
  if (!bwo) goto fail;
  for (int64_t a = 0; a < d; a++)
    for (int64_t b = 0; b < d; b++) {
      double s = 0;
      for (int64_t i = 0; i < n; i++)
        s += w.bo[i * d + a] * fabs(dy[i * d + b]);
      bwo[a * d + b] = s * up;
    }
  /* §7 weights: dW = Xn^T dQ (dK, dU); dXn = dQ Wq^T + dK Wk^T + dU Wv^T */
  static const char *const wn[3] = {"wq", "wk", "wv"};
  const double *bsrc[3] = {w.bq, w.bk, w.bu};
  const double *wmat[3] = {lw->wq, lw->wk, lw->wv};
  for (int m = 0; m < 3; m++) {
    char name[64];
    snprintf(name, sizeof name, "grad.layers.0.%s", wn[m]);
    double *bw = add_bound(bounds, c, name, 2, d, d, err);
    if (!bw) goto fail;
    for (int64_t a = 0; a < d; a++)
      for (int64_t b = 0; b < d; b++) {
        double s = 0;
        for (int64_t i = 0; i < n; i++)
          s += fabs(w.xn[i * d + a]) * bsrc[m][i * d + b];
        bw[a * d + b] = s * up;
      }
    for (int64_t i = 0; i < n; i++)
      for (int64_t a = 0; a < d; a++) {
        double s = 0;
        for (int64_t b = 0; b < d; b++)
          s += bsrc[m][i * d + b] * fabs(wmat[m][a * d + b]);
        w.bxn[i * d + a] += s;
      }
  }
  /* §8 Norm1's backward is linear in dXn: bound it with absolute values;
   * the residual adds the exact dY */
  double *bx = add_bound(bounds, c, "grad.x", 2, n, d, err);
  if (!bx) goto fail;
  double *bgw = NULL, *bgb = NULL;
  if (cf->norm != AR_NORM_NONE) {
    bgw = add_bound(bounds, c, "grad.layers.0.norm1.weight", 1, d, 1, err);
    if (!bgw) goto fail;
    if (cf->norm == AR_NORM_LAYER &&
        !(bgb = add_bound(bounds, c, "grad.layers.0.norm1.bias", 1, d, 1, err)))
      goto fail;
  }
  for (int64_t i = 0; i < n; i++) {
    const double *xi = c->x + i * d, *b = w.bxn + i * d;
    if (cf->norm == AR_NORM_NONE) {
      for (int64_t k = 0; k < d; k++) bx[i * d + k] = b[k] * up;
      continue;
    }
    double mu = 0, v = 0;
    if (cf->norm == AR_NORM_LAYER) {
      for (int64_t k = 0; k < d; k++) mu += xi[k];
      mu /= (double)d;
    }
    for (int64_t k = 0; k < d; k++) v += (xi[k] - mu) * (xi[k] - mu);
    double sig = sqrt(v / (double)d + cf->norm_eps);
    double mg = 0, mgx = 0; /* mean(|gamma| b), mean(|gamma| b |xhat|) */
    for (int64_t k = 0; k < d; k++) {
      double xh = fabs((xi[k] - mu) / sig);
      mg += fabs(lw->norm1_w[k]) * b[k];
      mgx += fabs(lw->norm1_w[k]) * b[k] * xh;
      bgw[k] += b[k] * xh;
      if (bgb) bgb[k] += b[k];
    }
    mg /= (double)d, mgx /= (double)d;
    if (cf->norm != AR_NORM_LAYER) mg = 0; /* rmsnorm has no mean term */
    for (int64_t k = 0; k < d; k++) {
      double xh = fabs((xi[k] - mu) / sig);
      bx[i * d + k] = (fabs(lw->norm1_w[k]) * b[k] + mg + xh * mgx) / sig * up;
    }
  }
  if (bgw)
    for (int64_t k = 0; k < d; k++) bgw[k] *= up;
  if (bgb)
    for (int64_t k = 0; k < d; k++) bgb[k] *= up;
  work_free(&w);
  return AR_OK;
oom:
  ar_fail(err, AR_FAIL_INTERNAL, "bounds: out of memory");
fail:
  work_free(&w);
  return err->code ? err->code : AR_FAIL_INTERNAL;
}

int bd_apriori_one_layer(const ar_case *c, double eps, double R,
                         ar_tensorset *bounds, ar_error *err) {
  if (!(eps >= 0 && eps < 1))
    return ar_fail(err, AR_FAIL_INPUT,
                   "bounds: no a-priori bound for eps %g (>= 1)", eps);
  return propagate(c, 2 * eps / (1 - eps), R, 0, bounds, err);
}

int bd_magnitude_one_layer(const ar_case *c, double R, ar_tensorset *mags,
                           ar_error *err) {
  return propagate(c, 1.0, R, 1, mags, err);
}
