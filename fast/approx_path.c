/* The "approx" path: the shared double model (model.h) with the
 * polynomial-method head (attn_approx.h), degree o->degree (default 4),
 * polynomial o->poly ("taylor" | "chebyshev").
 *
 * It reports, on stderr and in the result's metadata, per layer (max over
 * its heads): the radius R that bounds every |tau <q_i,k_j>|, the relative
 * error eps of P ~ exp on [-R, R] (Taylor: the a-priori bound
 * eps(g,R) = R^(g+1) e^R/(g+1)!; Chebyshev: measured on a fine grid), the
 * rank r = C(dh+g, g), and the a-priori bound on the attention output:
 * A~_ij = A_ij (1 + e_ij) with |e_ij| <= eps gives
 * |F~_ij - F_ij| <= F_ij 2eps/(1-eps), hence
 *   |O~_h - O_h|_ic <= 2eps/(1-eps) max_j |U_h,jc|
 * for every head h and entry (i, c) of the concatenated head outputs, given
 * the layer's input. It bounds this layer's own approximation only (the
 * layers before it feed it an input that is itself approximate); the
 * harness compares it with the measured error.
 *
 * Metadata (JSON arrays over layers; null where eps >= 1 gives no bound):
 *   attnref.approx.radius, attnref.approx.eps, attnref.approx.bound_attn_out,
 *   attnref.approx.rank, attnref.approx.degree, attnref.approx.poly,
 *   attnref.approx.eps_kind ("bound" | "measured").
 *
 * The per-layer figures are gathered by a head that wraps fa_head_approx and
 * records what each call sees; the model calls the H heads of a layer (in
 * parallel or not) before any head of the next layer, so the k-th call
 * belongs to layer k / H. That recorder is process-wide: approx runs in one
 * process are serialized by a mutex. */
#include <math.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "../src/path.h"
#include "attn_approx.h"
#include "fast.h"
#include "features.h"
#include "model.h"

typedef struct layer_stats {
  double radius, eps, bound; /* max over the layer's heads */
} layer_stats;

/* The recorder (see the top of this file). */
static struct {
  layer_stats *layer;
  int64_t layers, heads, calls;
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
      layer_stats *s = &rec.layer[l];
      if (R > s->radius) s->radius = R;
      if (!(eps <= s->eps)) s->eps = eps;
      if (!(bound <= s->bound)) s->bound = bound;
    }
  }
  return fa_head_approx.forward(h, p, q, k, u, o, saved);
}

static const fa_head_impl recording_head = {
    .name = "approx",
    .forward = recording_forward,
    .backward = fa_approx_backward,
};

static int params_of(const ar_case *c, const ar_path_options *o,
                     fa_head_params *p, ar_error *err) {
  memset(p, 0, sizeof *p);
  const char *poly = o->poly ? o->poly : "taylor";
  if (strcmp(poly, "taylor") == 0)
    p->chebyshev = 0;
  else if (strcmp(poly, "chebyshev") == 0)
    p->chebyshev = 1;
  else
    return ar_fail(err, AR_FAIL_INPUT,
                   "%s: path approx: --poly \"%s\": expected taylor or "
                   "chebyshev",
                   c->source, poly);
  if (o->degree < 0 || (p->chebyshev && o->degree > FA_CHEB_MAX_DEGREE))
    return ar_fail(err, AR_FAIL_INPUT,
                   "%s: path approx: degree %d out of range (%s: 0..%d)",
                   c->source, o->degree, poly,
                   p->chebyshev ? FA_CHEB_MAX_DEGREE : 64);
  int64_t dh = ar_config_head_dim(&c->cfg);
  if (dh > INT32_MAX || fa_features_rank((int)dh, o->degree) < 0)
    return ar_fail(err, AR_FAIL_INPUT,
                   "%s: path approx: rank C(d_h+g, g) with d_h=%lld, g=%d "
                   "exceeds 2^31 features",
                   c->source, (long long)dh, o->degree);
  p->degree = o->degree;
  return AR_OK;
}

static int64_t approx_memory(const ar_config *c, const ar_path_options *o) {
  int64_t model = fa_model_bytes(c, 8);
  if (model < 0 || o->degree < 0) return model;
  int64_t head = fa_approx_bytes(c->n, ar_config_head_dim(c), o->degree);
  if (head < 0) return -1;
  /* heads run side by side when there are at least as many as threads */
  int64_t T = o->threads;
#ifdef _OPENMP
  if (T <= 0) T = omp_get_max_threads();
#else
  T = 1;
#endif
  int64_t conc = (T > 1 && c->heads >= T) ? T : 1, tot;
  if (!ar_mul_ok(head, conc, &tot) || !ar_add_ok(tot, model, &tot)) return -1;
  return tot;
}

typedef struct approx_state {
  fa_model_state st;
  fa_head_params p;
} approx_state;

/* "[v0,v1,...]" of one field over the layers, null for non-finite values */
static char *json_array(const layer_stats *s, int64_t L, size_t field) {
  size_t cap = 32 * (size_t)L + 3, len = 0;
  char *buf = malloc(cap);
  if (!buf) return NULL;
  buf[len++] = '[';
  for (int64_t l = 0; l < L; l++) {
    double v = *(const double *)((const char *)&s[l] + field);
    len += (size_t)snprintf(buf + len, cap - len, isfinite(v) ? "%s%.6e" : "%snull",
                            l ? "," : "", v);
  }
  snprintf(buf + len, cap - len, "]");
  return buf;
}

static int set_meta(ar_tensorset *out, const char *key, const char *value,
                    ar_error *err) {
  if (!value)
    return ar_fail(err, AR_FAIL_INTERNAL, "path approx: out of memory");
  return ar_tensorset_set_meta(out, key, value, err);
}

static int approx_forward(const ar_case *c, const ar_path_options *o,
                          void **state, ar_tensorset *out, ar_error *err) {
  approx_state *s = calloc(1, sizeof *s);
  if (!s) return ar_fail(err, AR_FAIL_INTERNAL, "%s: out of memory", c->source);
  *state = s;
  int rc = params_of(c, o, &s->p, err);
  if (rc) return rc;
  fa_set_threads(o->threads);
  const int64_t L = c->cfg.layers;
  layer_stats *ls = calloc((size_t)L, sizeof *ls);
  if (!ls) return ar_fail(err, AR_FAIL_INTERNAL, "%s: out of memory", c->source);

  pthread_mutex_lock(&rec_lock);
  rec.layer = ls, rec.layers = L, rec.heads = c->cfg.heads, rec.calls = 0;
  rec.failed = 0;
  rc = fa_model_forward(c, &recording_head, &s->p, &s->st, out, err);
  int failed = rec.failed;
  memset(&rec, 0, sizeof rec);
  pthread_mutex_unlock(&rec_lock);
  if (rc) {
    free(ls);
    return rc;
  }
  if (failed) {
    free(ls);
    return ar_fail(err, AR_FAIL_INPUT,
                   "%s: path approx: no polynomial of degree %d for a score "
                   "radius (non-finite projections?)",
                   c->source, s->p.degree);
  }

  const int64_t dh = ar_config_head_dim(&c->cfg);
  const int64_t r = fa_features_rank((int)dh, s->p.degree);
  const char *kind = s->p.chebyshev ? "chebyshev" : "taylor";
  const char *eps_kind = s->p.chebyshev ? "measured" : "bound";
  for (int64_t l = 0; l < L; l++)
    fprintf(stderr,
            "approx: layer %lld: R = %.6g (max over heads), %s g = %d, "
            "r = C(%lld+%d,%d) = %lld, eps = %.3e (%s), |O~-O| <= %.3e "
            "(a-priori, attention output, given the layer's input)\n",
            (long long)l, ls[l].radius, kind, s->p.degree, (long long)dh,
            s->p.degree, s->p.degree, (long long)r, ls[l].eps, eps_kind,
            ls[l].bound);

  char num[64];
  /* set_meta copies its value */
  char *rad = json_array(ls, L, offsetof(layer_stats, radius));
  char *eps = json_array(ls, L, offsetof(layer_stats, eps));
  char *bnd = json_array(ls, L, offsetof(layer_stats, bound));
  rc = set_meta(out, "attnref.path", "approx", err);
  if (!rc) rc = set_meta(out, "attnref.approx.radius", rad, err);
  if (!rc) rc = set_meta(out, "attnref.approx.eps", eps, err);
  if (!rc) rc = set_meta(out, "attnref.approx.bound_attn_out", bnd, err);
  free(rad), free(eps), free(bnd);
  snprintf(num, sizeof num, "%lld", (long long)r);
  if (!rc) rc = set_meta(out, "attnref.approx.rank", num, err);
  snprintf(num, sizeof num, "%d", s->p.degree);
  if (!rc) rc = set_meta(out, "attnref.approx.degree", num, err);
  if (!rc) rc = set_meta(out, "attnref.approx.poly", kind, err);
  if (!rc) rc = set_meta(out, "attnref.approx.eps_kind", eps_kind, err);
  free(ls);
  return rc;
}

static int approx_backward(const ar_case *c, const ar_path_options *o,
                           void *state, ar_tensorset *out, ar_error *err) {
  approx_state *s = state;
  fa_set_threads(o->threads);
  return fa_model_backward(c, &recording_head, &s->p, &s->st, out, err);
}

static void approx_release(void *state) {
  approx_state *s = state;
  if (!s) return;
  fa_model_release(&s->st);
  free(s);
}

const ar_path ar_path_approx = {
    .name = "approx",
    .summary = "double model, polynomial-method attention heads (Alman-Song): "
               "O(n r dh^2) with r = C(dh+g,g); --degree g, --poly "
               "taylor|chebyshev",
    .memory_needed = approx_memory,
    .forward = approx_forward,
    .backward = approx_backward,
    .release = approx_release,
};
