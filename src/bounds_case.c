/* The harness's cases: input distributions, identities, the score-radius
 * calibration, bf16 rounding of inputs (bounds.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../fast/fast.h"
#include "bounds.h"
#include "bounds_internal.h"
#include "safetensors.h"

const char *bd_dist_name(bd_dist d) {
  return d == BD_OUTLIER ? "outlier" : "uniform";
}

/* z <- N(0,1) by Box-Muller (u1 in (0, 1] so the log is finite) */
static double normal(ar_rng *r) {
  double u1 = 1.0 - ar_rng_uniform(r), u2 = ar_rng_uniform(r);
  return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

void bd_fill(ar_rng *r, bd_dist d, double s, double *v, int64_t n) {
  for (int64_t i = 0; i < n; i++)
    v[i] =
        d == BD_UNIFORM ? s * (2.0 * ar_rng_uniform(r) - 1.0) : s * normal(r);
  if (d != BD_OUTLIER || n == 0) return;
  /* a fixed share of the entries (at least one), at distinct random
   * positions (a bitmap of the positions taken; k <= n/1000 + 1, so the
   * rejections are rare) */
  int64_t k = (int64_t)llround(BD_OUTLIER_RATE * (double)n);
  if (k < 1) k = 1;
  unsigned char *taken = calloc((size_t)(n / 8 + 1), 1);
  for (int64_t t = 0; t < k;) {
    int64_t i = ar_rng_below(r, n);
    if (taken && (taken[i / 8] >> (i % 8) & 1)) continue;
    if (taken) taken[i / 8] |= (unsigned char)(1u << (i % 8));
    v[i] *= BD_OUTLIER_LO + (BD_OUTLIER_HI - BD_OUTLIER_LO) * ar_rng_uniform(r);
    t++;
  }
  free(taken);
}

void bd_case_spec_defaults(bd_case_spec *s) {
  memset(s, 0, sizeof *s);
  ar_config_defaults(&s->cfg);
  s->seed = 1;
  s->dist = BD_UNIFORM;
  s->xscale = 1;
}

double bd_tau(const ar_config *c) {
  return c->has_scale ? c->scale : 1.0 / sqrt((double)ar_config_head_dim(c));
}

void bd_norm_forward(const ar_config *c, const double *x, const double *w,
                     const double *b, double *y) {
  const int64_t n = c->n, d = c->d;
  for (int64_t i = 0; i < n; i++) {
    const double *xi = x + i * d;
    double *yi = y + i * d;
    if (c->norm == AR_NORM_NONE) {
      memcpy(yi, xi, (size_t)d * sizeof *yi);
      continue;
    }
    double mu = 0, v = 0;
    if (c->norm == AR_NORM_LAYER) {
      for (int64_t k = 0; k < d; k++) mu += xi[k];
      mu /= (double)d;
    }
    for (int64_t k = 0; k < d; k++) v += (xi[k] - mu) * (xi[k] - mu);
    double sig = sqrt(v / (double)d + c->norm_eps);
    for (int64_t k = 0; k < d; k++)
      yi[k] = (xi[k] - mu) / sig * w[k] + (b ? b[k] : 0);
  }
}

void bd_matmul_nd(int64_t n, int64_t d, const double *x, const double *w,
                  double *y) {
  for (int64_t i = 0; i < n; i++)
    for (int64_t c = 0; c < d; c++) {
      double s = 0;
      for (int64_t k = 0; k < d; k++) s += x[i * d + k] * w[k * d + c];
      y[i * d + c] = s;
    }
}

/* Q, K of one layer from its input X (n x d): q, k <- Norm1(X) Wq, Wk. */
static int layer_qk(const ar_config *c, const ar_layer_weights *lw,
                    const double *x, double **q, double **k) {
  const size_t nd = (size_t)(c->n * c->d);
  double *xn = malloc(nd * sizeof *xn);
  *q = malloc(nd * sizeof **q);
  *k = malloc(nd * sizeof **k);
  if (!xn || !*q || !*k) {
    free(xn), free(*q), free(*k);
    *q = *k = NULL;
    return -1;
  }
  bd_norm_forward(c, x, lw->norm1_w, lw->norm1_b, xn);
  bd_matmul_nd(c->n, c->d, xn, lw->wq, *q);
  bd_matmul_nd(c->n, c->d, xn, lw->wk, *k);
  free(xn);
  return 0;
}

/* tau max_h max_i|q_h,i| max_j|k_h,j| */
static double radius_qk(const ar_config *c, const double *q, const double *k) {
  const int64_t dh = ar_config_head_dim(c);
  double R = 0;
  for (int64_t h = 0; h < c->heads; h++) {
    double mq = 0, mk = 0;
    for (int64_t i = 0; i < c->n; i++) {
      double sq = 0, sk = 0;
      for (int64_t t = 0; t < dh; t++) {
        double a = q[i * c->d + h * dh + t], b = k[i * c->d + h * dh + t];
        sq += a * a, sk += b * b;
      }
      if (sq > mq) mq = sq;
      if (sk > mk) mk = sk;
    }
    double r = fabs(bd_tau(c)) * sqrt(mq) * sqrt(mk);
    if (r > R) R = r;
  }
  return R;
}

double bd_layer0_radius(const ar_case *c) {
  double *q, *k;
  if (layer_qk(&c->cfg, &c->layer[0], c->x, &q, &k)) return NAN;
  double R = radius_qk(&c->cfg, q, k);
  free(q), free(k);
  return R;
}

double bd_layer0_max_score(const ar_case *c) {
  const ar_config *cf = &c->cfg;
  double *q, *k;
  if (layer_qk(cf, &c->layer[0], c->x, &q, &k)) return NAN;
  const int64_t dh = ar_config_head_dim(cf);
  double m = 0;
  for (int64_t h = 0; h < cf->heads; h++)
    for (int64_t i = 0; i < cf->n; i++) {
      const double *qi = q + i * cf->d + h * dh;
      int64_t jmax = cf->causal ? i + 1 : cf->n;
      for (int64_t j = 0; j < jmax; j++) {
        const double *kj = k + j * cf->d + h * dh;
        double s = 0;
        for (int64_t t = 0; t < dh; t++) s += qi[t] * kj[t];
        if (fabs(s) > m) m = fabs(s);
      }
    }
  free(q), free(k);
  return fabs(bd_tau(cf)) * m;
}

static ar_tensor *need(ar_tensorset *s, const char *name, ar_error *err) {
  ar_tensor *t = ar_tensorset_find(s, name);
  if (!t)
    ar_fail(err, AR_FAIL_INTERNAL, "bounds: generated case lacks %s", name);
  return t;
}

static void fill_identity(ar_tensor *t) {
  memset(t->data, 0, (size_t)t->numel * sizeof *t->data);
  for (int64_t i = 0; i < t->shape[0]; i++) t->data[i * t->shape[1] + i] = 1;
}

/* Scales layer l's wq and wk so that its exact radius is `radius`. */
static int calibrate_layer(const bd_case_spec *s, ar_tensorset *cs, int64_t l,
                           ar_error *err) {
  ar_case c;
  memset(&c, 0, sizeof c);
  if (ar_case_bind(cs, "bounds case", &c, err)) return err->code;
  const double *x = c.x;
  ar_tensorset act;
  ar_tensorset_init(&act);
  int rc = AR_OK;
  if (l > 0) {
    ar_path_options o;
    ar_path_options_defaults(&o);
    double secs;
    if ((rc = bd_run(&ar_path_exact64, cs, &o, NULL, &act, &secs, err)))
      goto done;
    char name[64];
    snprintf(name, sizeof name, "act.layers.%lld", (long long)(l - 1));
    ar_tensor *t = ar_tensorset_find(&act, name);
    if (!t) {
      rc = ar_fail(err, AR_FAIL_INTERNAL, "bounds: exact64 gave no %s", name);
      goto done;
    }
    x = t->data;
  }
  double *q, *k;
  if (layer_qk(&c.cfg, &c.layer[l], x, &q, &k)) {
    rc = ar_fail(err, AR_FAIL_INTERNAL, "bounds: out of memory");
    goto done;
  }
  double R = radius_qk(&c.cfg, q, k);
  free(q), free(k);
  if (!(R > 0) || !isfinite(R)) {
    rc = ar_fail(err, AR_FAIL_INPUT,
                 "bounds: layer %lld has score radius %g: cannot calibrate",
                 (long long)l, R);
    goto done;
  }
  double f = sqrt(s->radius / R);
  char name[64];
  for (int w = 0; w < 2; w++) {
    snprintf(name, sizeof name, "layers.%lld.%s", (long long)l,
             w ? "wk" : "wq");
    ar_tensor *t = need(cs, name, err);
    if (!t) {
      rc = err->code;
      goto done;
    }
    for (int64_t i = 0; i < t->numel; i++) t->data[i] *= f;
  }
done:
  ar_tensorset_free(&act);
  ar_case_release(&c);
  return rc;
}

int bd_make_case(const bd_case_spec *s, ar_tensorset *out, ar_error *err) {
  if (s->identity_qkv && s->radius > 0)
    return ar_fail(err, AR_FAIL_INPUT,
                   "bounds: a radius needs scalable wq, wk (not identities)");
  int rc = ar_gen_case(&s->cfg, s->seed, 1.0, 0, out, err);
  if (rc) return rc;
  ar_rng r;
  ar_rng_seed(&r, s->seed ^ 0x626f756e6473ULL); /* "bounds" */
  ar_tensor *x = need(out, "x", err);
  if (!x) return err->code;
  bd_fill(&r, s->dist, s->xscale, x->data, x->numel);
  double ws = s->wscale > 0 ? s->wscale : sqrt(3.0 / (double)s->cfg.d);
  static const char *const mats[] = {"wq", "wk",     "wv",
                                     "wo", "mlp.w1", "mlp.w2"};
  char name[64];
  for (int64_t l = 0; l < s->cfg.layers; l++)
    for (size_t m = 0; m < sizeof mats / sizeof mats[0]; m++) {
      snprintf(name, sizeof name, "layers.%lld.%s", (long long)l, mats[m]);
      ar_tensor *t = ar_tensorset_find(out, name);
      if (!t) continue; /* the MLP's, when m = 0 */
      int ident = (m < 3 && s->identity_qkv) || (m == 3 && s->identity_wo);
      if (ident)
        fill_identity(t);
      else
        bd_fill(&r, BD_UNIFORM, ws, t->data, t->numel);
    }
  if (s->radius > 0)
    for (int64_t l = 0; l < s->cfg.layers; l++)
      if ((rc = calibrate_layer(s, out, l, err))) return rc;
  return AR_OK;
}

void bd_round_bf16(ar_tensorset *cs) {
  for (size_t i = 0; i < cs->count; i++) {
    ar_tensor *t = &cs->t[i];
    if (!t->data) continue;
    for (int64_t e = 0; e < t->numel; e++)
      t->data[e] = ar_bf16_to_double(ar_double_to_bf16(t->data[e]));
  }
}
