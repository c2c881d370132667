/* What the polynomial-method paths share (approx_common.h). */
#include "approx_common.h"

#include <math.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/config.h"
#include "attn_approx.h"
#include "features.h"

int fa_approx_params(const ar_case *c, const ar_path_options *o,
                     const char *path, fa_head_params *p, ar_error *err) {
  memset(p, 0, sizeof *p);
  const char *poly = o->poly ? o->poly : "taylor";
  if (strcmp(poly, "taylor") == 0)
    p->chebyshev = 0;
  else if (strcmp(poly, "chebyshev") == 0)
    p->chebyshev = 1;
  else
    return ar_fail(err, AR_FAIL_INPUT,
                   "%s: path %s: --poly \"%s\": expected taylor or chebyshev",
                   c->source, path, poly);
  if (o->degree < 0 || (p->chebyshev && o->degree > FA_CHEB_MAX_DEGREE))
    return ar_fail(err, AR_FAIL_INPUT,
                   "%s: path %s: degree %d out of range (%s: 0..%d)",
                   c->source, path, o->degree, poly,
                   p->chebyshev ? FA_CHEB_MAX_DEGREE : 64);
  int64_t dh = ar_config_head_dim(&c->cfg);
  if (dh > INT32_MAX || fa_features_rank((int)dh, o->degree) < 0)
    return ar_fail(err, AR_FAIL_INPUT,
                   "%s: path %s: rank C(d_h+g, g) with d_h=%lld, g=%d "
                   "exceeds 2^31 features",
                   c->source, path, (long long)dh, o->degree);
  p->degree = o->degree;
  return AR_OK;
}

/* The recorder (see fa_approx_forward_recorded). */
static struct {
  const fa_head_impl *head; /* the head being recorded */
  fa_approx_layer *layer;
  int64_t layers, heads, calls;
  int skip_failed;
  int failed; /* a polynomial could not be built for a head's R */
} rec;
static pthread_mutex_t rec_lock = PTHREAD_MUTEX_INITIALIZER;

/* the wrapped head's forward: record R, eps and the output bound, then run */
static int recording_forward(const fa_head *h, const fa_head_params *p,
                             const double *q, const double *k, const double *u,
                             double *o, double *saved) {
  double R = fa_approx_head_radius(h, p, q, k);
  fa_poly poly;
  int prc = fa_approx_poly(p, R, &poly);
  double eps = prc ? INFINITY : poly.eps;
  if (!prc) fa_poly_free(&poly);
  double umax = 0;
  for (int64_t i = 0; i < h->n; i++)
    for (int64_t c = 0; c < h->dh; c++)
      if (fabs(u[i * h->ld + c]) > umax) umax = fabs(u[i * h->ld + c]);
  double bound = eps < 1 ? 2 * eps / (1 - eps) * umax : INFINITY;
  int64_t call;
#pragma omp atomic capture
  call = rec.calls++;
  int64_t l = call / rec.heads;
#pragma omp critical(attnref_approx_rec)
  {
    if (prc) rec.failed = 1;
    if (l < rec.layers) {
      fa_approx_layer *s = &rec.layer[l];
      if (R > s->radius) s->radius = R;
      if (!(eps <= s->eps)) s->eps = eps;
      if (!(bound <= s->bound)) s->bound = bound;
    }
  }
  if (prc && rec.skip_failed) return -1;
  return rec.head->forward(h, p, q, k, u, o, saved);
}

int fa_approx_forward_recorded(const ar_case *c, const char *path,
                               const fa_head_impl *head, int skip_failed,
                               const fa_head_params *p, fa_model_state *st,
                               ar_tensorset *out, fa_approx_layer *ls,
                               int *failed, ar_error *err) {
  const fa_head_impl recording = {path, recording_forward, head->backward};
  pthread_mutex_lock(&rec_lock);
  rec.head = head, rec.layer = ls, rec.layers = c->cfg.layers;
  rec.heads = c->cfg.heads, rec.calls = 0, rec.failed = 0;
  rec.skip_failed = skip_failed;
  int rc = fa_model_forward(c, &recording, p, st, out, err);
  *failed = rec.failed;
  memset(&rec, 0, sizeof rec);
  pthread_mutex_unlock(&rec_lock);
  return rc;
}

/* "[v0,v1,...]" of one field over the layers, null for non-finite values */
static char *json_array(const fa_approx_layer *s, int64_t L, size_t field) {
  size_t cap = 32 * (size_t)L + 3, len = 0;
  char *buf = malloc(cap);
  if (!buf) return NULL;
  buf[len++] = '[';
  for (int64_t l = 0; l < L; l++) {
    double v = *(const double *)((const char *)&s[l] + field);
    len += (size_t)snprintf(buf + len, cap - len,
                            isfinite(v) ? "%s%.6e" : "%snull", l ? "," : "", v);
  }
  snprintf(buf + len, cap - len, "]");
  return buf;
}

static int set_meta(ar_tensorset *out, const char *path, const char *key,
                    const char *value, ar_error *err) {
  if (!value)
    return ar_fail(err, AR_FAIL_INTERNAL, "path %s: out of memory", path);
  return ar_tensorset_set_meta(out, key, value, err);
}

int fa_approx_report(const ar_case *c, const char *path, const char *device,
                     const fa_head_params *p, const fa_approx_layer *ls,
                     ar_tensorset *out, ar_error *err) {
  const int64_t L = c->cfg.layers;
  const int64_t dh = ar_config_head_dim(&c->cfg);
  const int64_t r = fa_features_rank((int)dh, p->degree);
  const char *kind = p->chebyshev ? "chebyshev" : "taylor";
  const char *eps_kind = p->chebyshev ? "measured" : "bound";
  for (int64_t l = 0; l < L; l++)
    fprintf(stderr,
            "%s: layer %lld: R = %.6g (max over heads), %s g = %d, "
            "r = C(%lld+%d,%d) = %lld, eps = %.3e (%s), |O~-O| <= %.3e "
            "(a-priori, attention output, given the layer's input)\n",
            path, (long long)l, ls[l].radius, kind, p->degree, (long long)dh,
            p->degree, p->degree, (long long)r, ls[l].eps, eps_kind,
            ls[l].bound);

  char num[64];
  /* set_meta copies its value */
  char *rad = json_array(ls, L, offsetof(fa_approx_layer, radius));
  char *eps = json_array(ls, L, offsetof(fa_approx_layer, eps));
  char *bnd = json_array(ls, L, offsetof(fa_approx_layer, bound));
  int rc = ar_tensorset_set_meta(out, "attnref.path", path, err);
  if (!rc && device)
    rc = ar_tensorset_set_meta(out, "attnref.device", device, err);
  if (!rc) rc = set_meta(out, path, "attnref.approx.radius", rad, err);
  if (!rc) rc = set_meta(out, path, "attnref.approx.eps", eps, err);
  if (!rc) rc = set_meta(out, path, "attnref.approx.bound_attn_out", bnd, err);
  free(rad), free(eps), free(bnd);
  snprintf(num, sizeof num, "%lld", (long long)r);
  if (!rc) rc = set_meta(out, path, "attnref.approx.rank", num, err);
  snprintf(num, sizeof num, "%d", p->degree);
  if (!rc) rc = set_meta(out, path, "attnref.approx.degree", num, err);
  if (!rc) rc = set_meta(out, path, "attnref.approx.poly", kind, err);
  if (!rc) rc = set_meta(out, path, "attnref.approx.eps_kind", eps_kind, err);
  return rc;
}
