/* The paths "gpu-approx" (float states and products, sums across blocks in
 * double) and "gpu-approx64" (double): the shared double model
 * (fast/model.h) with the GPU polynomial-method head (attn_poly.h); the
 * options, metadata and stderr lines of fast/approx_path.c (degree g,
 * Taylor or Chebyshev; per layer the radius R, eps, rank and the a-priori
 * bound on the attention output |O~ - O| <= 2eps/(1-eps) max_j |U_jc|).
 * Projections, norms, MLP and loss run on the CPU.
 *
 * Options, recording and report are fast/approx_common.c's (a head that
 * wraps the GPU head records what each call sees). */
#include <stdlib.h>

#include "../fast/approx_common.h"
#include "../fast/attn_approx.h"
#include "../fast/features.h"
#include "../fast/model.h"
#include "../src/config.h"
#include "attn_poly.h"
#include "gpu.h"
#include "gpu_rt.h"

/* fa_approx_params, and the GPU head's limit on d_h */
static int params_of(const ar_case *c, const ar_path_options *o,
                     const char *path, fa_head_params *p, ar_error *err) {
  int rc = fa_approx_params(c, o, path, p, err);
  if (rc) return rc;
  int64_t dh = ar_config_head_dim(&c->cfg);
  if (dh > 254)
    return ar_fail(err, AR_FAIL_INPUT,
                   "%s: path %s: d_h = %lld above 254 (the GPU head's state "
                   "width d_h^2 + 2 d_h must stay below 65536)",
                   c->source, path, (long long)dh);
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
                        const char *path, const fa_head_impl *gpu_head) {
  int rc = gpu_device_check(c->source, path, err);
  if (rc) return rc;
  approx_state *s = calloc(1, sizeof *s);
  if (!s) return ar_fail(err, AR_FAIL_INTERNAL, "%s: out of memory", c->source);
  *state = s;
  if ((rc = params_of(c, o, path, &s->p, err))) return rc;
  fa_set_threads(o->threads);
  fa_approx_layer *ls = calloc((size_t)c->cfg.layers, sizeof *ls);
  if (!ls) return ar_fail(err, AR_FAIL_INTERNAL, "%s: out of memory", c->source);
  gpu_clear_error();
  int failed;
  rc = fa_approx_forward_recorded(c, path, gpu_head, 1, &s->p, &s->st, out,
                                  ls, &failed, err);
  if (failed) {
    ar_error_clear(err);
    rc = ar_fail(err, AR_FAIL_INPUT,
                 "%s: path %s: no polynomial of degree %d for a score "
                 "radius (non-finite projections?)",
                 c->source, path, s->p.degree);
  } else {
    rc = head_error(c, path, rc, err);
  }
  if (!rc) rc = fa_approx_report(c, path, gpu_device_name(), &s->p, ls, out, err);
  free(ls);
  return rc;
}

static int backward_with(const ar_case *c, const ar_path_options *o,
                         void *state, ar_tensorset *out, ar_error *err,
                         const char *path, const fa_head_impl *gpu_head) {
  approx_state *s = state;
  fa_set_threads(o->threads);
  gpu_clear_error();
  int rc = fa_model_backward(c, gpu_head, &s->p, &s->st, out, err);
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
  return forward_with(c, o, state, out, err, "gpu-approx", &gpu_head_poly32);
}
static int bwd32(const ar_case *c, const ar_path_options *o, void *state,
                 ar_tensorset *out, ar_error *err) {
  return backward_with(c, o, state, out, err, "gpu-approx", &gpu_head_poly32);
}
static int forward64(const ar_case *c, const ar_path_options *o, void **state,
                     ar_tensorset *out, ar_error *err) {
  return forward_with(c, o, state, out, err, "gpu-approx64",
                      &gpu_head_poly64);
}
static int bwd64(const ar_case *c, const ar_path_options *o, void *state,
                 ar_tensorset *out, ar_error *err) {
  return backward_with(c, o, state, out, err, "gpu-approx64",
                       &gpu_head_poly64);
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
