/* The paths "gpu-approx" (float heads: states and products in float, sums
 * across blocks in double) and "gpu-approx64" (double heads): the whole
 * double model on the device (model_gpu.h: projections, norms, residuals,
 * MLP and loss as cuBLAS products and CUDA kernels) with the GPU
 * polynomial-method head (attn_poly.h); the options, metadata and stderr
 * lines of fast/approx_path.c (degree g, Taylor or Chebyshev; per layer the
 * radius R, eps, rank and the a-priori bound on the attention output
 * |O~ - O| <= 2eps/(1-eps) max_j |U_jc|).
 *
 * Options and report are fast/approx_common.c's; the device model records
 * R, eps and the bound per head as that file's recorder does. */
#include <stdlib.h>

#include "../fast/approx_common.h"
#include "../fast/attn_approx.h"
#include "../fast/features.h"
#include "../src/config.h"
#include "attn_poly.h"
#include "gpu.h"
#include "gpu_rt.h"
#include "model_gpu.h"

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

/* the double model's host and device bytes, the feature table (28 bytes a
 * feature) and one head's device arrays with one block state at a time (the
 * least the head runs with; it takes more blocks at once when the device has
 * room) */
static int64_t approx_memory(const ar_config *c, const ar_path_options *o,
                             int real_bytes) {
  int64_t host = gpu_model_host_bytes(c, 8), dh = ar_config_head_dim(c), tot;
  int64_t mdev = gpu_model_device_bytes(c, 8), model;
  if (host < 0 || mdev < 0 || !ar_add_ok(host, mdev, &model) ||
      o->degree < 0 || dh > INT32_MAX)
    return -1;
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
  gpu_model *st;
  fa_head_params p;
} approx_state;

static int forward_with(const ar_case *c, const ar_path_options *o,
                        void **state, ar_tensorset *out, ar_error *err,
                        const char *path, gpu_head_kind head) {
  int rc = gpu_device_check(c->source, path, err);
  if (rc) return rc;
  approx_state *s = calloc(1, sizeof *s);
  if (!s) return ar_fail(err, AR_FAIL_INTERNAL, "%s: out of memory", c->source);
  *state = s;
  if ((rc = params_of(c, o, path, &s->p, err))) return rc;
  fa_approx_layer *ls = calloc((size_t)c->cfg.layers, sizeof *ls);
  if (!ls) return ar_fail(err, AR_FAIL_INTERNAL, "%s: out of memory", c->source);
  int failed = 0;
  rc = gpu_model_forward(c, path, 8, head, &s->p, &s->st, out, ls, &failed,
                         err);
  if (failed) {
    ar_error_clear(err);
    rc = ar_fail(err, AR_FAIL_INPUT,
                 "%s: path %s: no polynomial of degree %d for a score "
                 "radius (non-finite projections?)",
                 c->source, path, s->p.degree);
  }
  if (!rc) rc = fa_approx_report(c, path, gpu_device_name(), &s->p, ls, out, err);
  free(ls);
  return rc;
}

static int backward_with(const ar_case *c, void *state, ar_tensorset *out,
                         ar_error *err) {
  approx_state *s = state;
  return gpu_model_backward(c, s ? s->st : NULL, out, err);
}

static void approx_release(void *state) {
  approx_state *s = state;
  if (s) gpu_model_release(s->st);
  free(s);
  gpu_release_all();
}

static int forward32(const ar_case *c, const ar_path_options *o, void **state,
                     ar_tensorset *out, ar_error *err) {
  return forward_with(c, o, state, out, err, "gpu-approx", GPU_HEAD_POLY32);
}
static int forward64(const ar_case *c, const ar_path_options *o, void **state,
                     ar_tensorset *out, ar_error *err) {
  return forward_with(c, o, state, out, err, "gpu-approx64", GPU_HEAD_POLY64);
}
static int backward(const ar_case *c, const ar_path_options *o, void *state,
                    ar_tensorset *out, ar_error *err) {
  (void)o;
  return backward_with(c, state, out, err);
}

const ar_path ar_path_gpu_approx = {
    .name = "gpu-approx",
    .summary = "double model on the GPU, polynomial-method heads in float "
               "(cuBLAS; block sums in double): --degree g, --poly "
               "taylor|chebyshev",
    .memory_needed = memory32,
    .forward = forward32,
    .backward = backward,
    .release = approx_release,
};

const ar_path ar_path_gpu_approx64 = {
    .name = "gpu-approx64",
    .summary = "double model on the GPU, polynomial-method heads in double "
               "(cuBLAS): --degree g, --poly taylor|chebyshev",
    .memory_needed = memory64,
    .forward = forward64,
    .backward = backward,
    .release = approx_release,
};
