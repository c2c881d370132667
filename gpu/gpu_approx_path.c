/* The paths "gpu-approx" (float states and products, sums across blocks in
 * double) and "gpu-approx64" (double): the shared double model
 * (fast/model.h) with the GPU polynomial-method head (attn_poly.h); the
 * options, metadata and stderr lines of fast/approx_path.c (degree g,
 * Taylor or Chebyshev; per layer the radius R, eps, rank and the a-priori
 * bound on the attention output |O~ - O| <= 2eps/(1-eps) max_j |U_jc|).
 * Projections, norms, MLP and loss run on the CPU.
 *
 * The per-layer figures come from a head that wraps the GPU head and
 * records what each call sees; the model calls the H heads of a layer
 * before any head of the next, so call k belongs to layer k / H. The
 * recorder is process-wide; runs are serialized by a mutex. */
#include <math.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../fast/attn_approx.h"
#include "../fast/features.h"
#include "../fast/model.h"
#include "../src/config.h"
#include "attn_poly.h"
#include "gpu.h"
#include "gpu_rt.h"

typedef struct layer_stats {
  double radius, eps, bound; /* max over the layer's heads */
} layer_stats;

static struct {
  const fa_head_impl *head; /* the GPU head being recorded */
  layer_stats *layer;
  int64_t layers, heads, calls;
  int failed;
} rec;
static pthread_mutex_t rec_lock = PTHREAD_MUTEX_INITIALIZER;

/* record R, eps and the output bound of this call, then run the GPU head */
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
#pragma omp critical(attnref_gpu_approx_rec)
  {
    if (prc) rec.failed = 1;
    if (l < rec.layers) {
      layer_stats *s = &rec.layer[l];
      if (R > s->radius) s->radius = R;
      if (!(eps <= s->eps)) s->eps = eps;
      if (!(bound <= s->bound)) s->bound = bound;
    }
  }
  if (prc) return -1;
  return rec.head->forward(h, p, q, k, u, o, saved);
}

static int backward32(const fa_head *h, const fa_head_params *p,
                      const double *q, const double *k, const double *u,
                      const double *o, const double *g, const double *saved,
                      double *dq, double *dk, double *du) {
  return gpu_head_poly32.backward(h, p, q, k, u, o, g, saved, dq, dk, du);
}
static int backward64(const fa_head *h, const fa_head_params *p,
                      const double *q, const double *k, const double *u,
                      const double *o, const double *g, const double *saved,
                      double *dq, double *dk, double *du) {
  return gpu_head_poly64.backward(h, p, q, k, u, o, g, saved, dq, dk, du);
}

static const fa_head_impl recording32 = {"gpu-approx", recording_forward,
                                         backward32};
static const fa_head_impl recording64 = {"gpu-approx64", recording_forward,
                                         backward64};

static int params_of(const ar_case *c, const ar_path_options *o,
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
  if (dh > 254)
    return ar_fail(err, AR_FAIL_INPUT,
                   "%s: path %s: d_h = %lld above 254 (the GPU head's state "
                   "width d_h^2 + 2 d_h must stay below 65536)",
                   c->source, path, (long long)dh);
  p->degree = o->degree;
  return AR_OK;
}

/* the model's host memory, the feature table (28 bytes a feature) and one
 * head's device arrays with one block state at a time (the least the head
 * runs with; it takes more blocks at once when the device has room) */
static int64_t approx_memory(const ar_config *c, const ar_path_options *o,
                             int real_bytes) {
  int64_t model = fa_model_bytes(c, 8), dh = ar_config_head_dim(c), tot;
  if (model < 0 || o->degree < 0 || dh > INT32_MAX) return -1;
  int64_t r = fa_features_rank((int)dh, o->degree);
  int64_t dev = gpu_poly_device_bytes(c->n, dh, o->degree, real_bytes, 1);
  if (r < 0 || dev < 0 || !ar_add_ok(model, dev, &tot) ||
      !ar_add_ok(tot, 28 * r, &tot))
    return -1;
  return tot;
}
static int64_t memory32(const ar_config *c, const ar_path_options *o) {
  return approx_memory(c, o, 4);
}
static int64_t memory64(const ar_config *c, const ar_path_options *o) {
  return approx_memory(c, o, 8);
}

typedef struct approx_state {
  fa_model_state st;
  fa_head_params p;
} approx_state;

static char *json_array(const layer_stats *s, int64_t L, size_t field) {
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

static int set_meta(ar_tensorset *out, const char *key, const char *value,
                    ar_error *err) {
  if (!value)
    return ar_fail(err, AR_FAIL_INTERNAL, "path gpu-approx: out of memory");
  return ar_tensorset_set_meta(out, key, value, err);
}

/* a head failure as the model reports it replaced by the recorded error */
static int head_error(const ar_case *c, const char *path, int rc,
                      ar_error *err) {
  if (rc == AR_OK || !gpu_last_error()[0]) return rc;
  ar_error_clear(err);
  return ar_fail(err, AR_FAIL_INTERNAL, "%s: path %s: %s", c->source, path,
                 gpu_last_error());
}

static int forward_with(const ar_case *c, const ar_path_options *o,
                        void **state, ar_tensorset *out, ar_error *err,
                        const char *path, const fa_head_impl *gpu_head,
                        const fa_head_impl *recording) {
  int rc = gpu_device_check(c->source, path, err);
  if (rc) return rc;
  approx_state *s = calloc(1, sizeof *s);
  if (!s) return ar_fail(err, AR_FAIL_INTERNAL, "%s: out of memory", c->source);
  *state = s;
  if ((rc = params_of(c, o, path, &s->p, err))) return rc;
  fa_set_threads(o->threads);
  const int64_t L = c->cfg.layers;
  layer_stats *ls = calloc((size_t)L, sizeof *ls);
  if (!ls) return ar_fail(err, AR_FAIL_INTERNAL, "%s: out of memory", c->source);

  pthread_mutex_lock(&rec_lock);
  rec.head = gpu_head, rec.layer = ls, rec.layers = L;
  rec.heads = c->cfg.heads, rec.calls = 0, rec.failed = 0;
  gpu_clear_error();
  rc = fa_model_forward(c, recording, &s->p, &s->st, out, err);
  int failed = rec.failed;
  memset(&rec, 0, sizeof rec);
  pthread_mutex_unlock(&rec_lock);
  if (failed) {
    free(ls);
    ar_error_clear(err);
    return ar_fail(err, AR_FAIL_INPUT,
                   "%s: path %s: no polynomial of degree %d for a score "
                   "radius (non-finite projections?)",
                   c->source, path, s->p.degree);
  }
  if ((rc = head_error(c, path, rc, err))) {
    free(ls);
    return rc;
  }

  const int64_t dh = ar_config_head_dim(&c->cfg);
  const int64_t r = fa_features_rank((int)dh, s->p.degree);
  const char *kind = s->p.chebyshev ? "chebyshev" : "taylor";
  const char *eps_kind = s->p.chebyshev ? "measured" : "bound";
  for (int64_t l = 0; l < L; l++)
    fprintf(stderr,
            "%s: layer %lld: R = %.6g (max over heads), %s g = %d, "
            "r = C(%lld+%d,%d) = %lld, eps = %.3e (%s), |O~-O| <= %.3e "
            "(a-priori, attention output, given the layer's input)\n",
            path, (long long)l, ls[l].radius, kind, s->p.degree,
            (long long)dh, s->p.degree, s->p.degree, (long long)r, ls[l].eps,
            eps_kind, ls[l].bound);
  char num[64];
  char *rad = json_array(ls, L, offsetof(layer_stats, radius));
  char *eps = json_array(ls, L, offsetof(layer_stats, eps));
  char *bnd = json_array(ls, L, offsetof(layer_stats, bound));
  rc = set_meta(out, "attnref.path", path, err);
  if (!rc) rc = set_meta(out, "attnref.device", gpu_device_name(), err);
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

static int backward_with(const ar_case *c, const ar_path_options *o,
                         void *state, ar_tensorset *out, ar_error *err,
                         const char *path, const fa_head_impl *recording) {
  approx_state *s = state;
  fa_set_threads(o->threads);
  gpu_clear_error();
  int rc = fa_model_backward(c, recording, &s->p, &s->st, out, err);
  return head_error(c, path, rc, err);
}

static void approx_release(void *state) {
  approx_state *s = state;
  if (s) fa_model_release(&s->st);
  free(s);
  gpu_release_all();
}

static int forward32(const ar_case *c, const ar_path_options *o, void **state,
                     ar_tensorset *out, ar_error *err) {
  return forward_with(c, o, state, out, err, "gpu-approx", &gpu_head_poly32,
                      &recording32);
}
static int bwd32(const ar_case *c, const ar_path_options *o, void *state,
                 ar_tensorset *out, ar_error *err) {
  return backward_with(c, o, state, out, err, "gpu-approx", &recording32);
}
static int forward64(const ar_case *c, const ar_path_options *o, void **state,
                     ar_tensorset *out, ar_error *err) {
  return forward_with(c, o, state, out, err, "gpu-approx64", &gpu_head_poly64,
                      &recording64);
}
static int bwd64(const ar_case *c, const ar_path_options *o, void *state,
                 ar_tensorset *out, ar_error *err) {
  return backward_with(c, o, state, out, err, "gpu-approx64", &recording64);
}

const ar_path ar_path_gpu_approx = {
    .name = "gpu-approx",
    .summary = "double model, polynomial-method heads on the GPU in float "
               "(cuBLAS; block sums in double): --degree g, --poly "
               "taylor|chebyshev",
    .memory_needed = memory32,
    .forward = forward32,
    .backward = bwd32,
    .release = approx_release,
};

const ar_path ar_path_gpu_approx64 = {
    .name = "gpu-approx64",
    .summary = "double model, polynomial-method heads on the GPU in double "
               "(cuBLAS): --degree g, --poly taylor|chebyshev",
    .memory_needed = memory64,
    .forward = forward64,
    .backward = bwd64,
    .release = approx_release,
};
