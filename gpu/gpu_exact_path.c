/* The paths "gpu-exact64" and "gpu-exact32": the shared model (fast/model.h)
 * in double / float with the GPU's exact head (attn_flash.h). Projections,
 * norms, MLP and loss run on the CPU (OpenBLAS); every attention head's
 * forward and backward run on the GPU. */
#include <stdlib.h>

#include "../fast/model.h"
#include "../ref/ref.h" /* AR_META_PATH */
#include "../src/config.h"
#include "attn_flash.h"
#include "gpu.h"
#include "gpu_rt.h"

/* the model's host memory plus one head's device arrays (heads run one at
 * a time on the device) */
static int64_t memory(const ar_config *c, int real_bytes) {
  int64_t model = fa_model_bytes(c, real_bytes), tot;
  int64_t dev = gpu_flash_device_bytes(c->n, ar_config_head_dim(c), real_bytes);
  if (model < 0 || dev < 0 || !ar_add_ok(model, dev, &tot)) return -1;
  return tot;
}
static int64_t memory64(const ar_config *c, const ar_path_options *o) {
  (void)o;
  return memory(c, 8);
}
static int64_t memory32(const ar_config *c, const ar_path_options *o) {
  (void)o;
  return memory(c, 4);
}

static const fa_head_params no_params;

/* a head's failure as the model reports it ("out of memory") replaced by the
 * recorded CUDA error */
static int head_error(const ar_case *c, const char *path, int rc,
                      ar_error *err) {
  if (rc == AR_OK || !gpu_last_error()[0]) return rc;
  ar_error_clear(err);
  return ar_fail(err, AR_FAIL_INTERNAL, "%s: path %s: %s", c->source, path,
                 gpu_last_error());
}

static int set_meta(ar_tensorset *out, const char *path, ar_error *err) {
  int rc = ar_tensorset_set_meta(out, AR_META_PATH, path, err);
  if (!rc) rc = ar_tensorset_set_meta(out, "attnref.device", gpu_device_name(), err);
  return rc;
}

static int forward64(const ar_case *c, const ar_path_options *o, void **state,
                     ar_tensorset *out, ar_error *err) {
  int rc = gpu_device_check(c->source, "gpu-exact64", err);
  if (rc) return rc;
  fa_model_state *st = calloc(1, sizeof *st);
  if (!st) return ar_fail(err, AR_FAIL_INTERNAL, "%s: out of memory", c->source);
  *state = st;
  fa_set_threads(o->threads);
  gpu_clear_error();
  rc = fa_model_forward(c, &gpu_head_exact64, &no_params, st, out, err);
  rc = head_error(c, "gpu-exact64", rc, err);
  return rc ? rc : set_meta(out, "gpu-exact64", err);
}

static int backward64(const ar_case *c, const ar_path_options *o, void *state,
                      ar_tensorset *out, ar_error *err) {
  fa_set_threads(o->threads);
  gpu_clear_error();
  int rc = fa_model_backward(c, &gpu_head_exact64, &no_params, state, out, err);
  return head_error(c, "gpu-exact64", rc, err);
}

static void release64(void *state) {
  fa_model_release(state);
  free(state);
  gpu_release_all();
}

static int forward32(const ar_case *c, const ar_path_options *o, void **state,
                     ar_tensorset *out, ar_error *err) {
  int rc = gpu_device_check(c->source, "gpu-exact32", err);
  if (rc) return rc;
  fa_model_state_f32 *st = calloc(1, sizeof *st);
  if (!st) return ar_fail(err, AR_FAIL_INTERNAL, "%s: out of memory", c->source);
  *state = st;
  fa_set_threads(o->threads);
  gpu_clear_error();
  rc = fa_model_forward_f32(c, &gpu_head_exact32, &no_params, st, out, err);
  rc = head_error(c, "gpu-exact32", rc, err);
  return rc ? rc : set_meta(out, "gpu-exact32", err);
}

static int backward32(const ar_case *c, const ar_path_options *o, void *state,
                      ar_tensorset *out, ar_error *err) {
  fa_set_threads(o->threads);
  gpu_clear_error();
  int rc =
      fa_model_backward_f32(c, &gpu_head_exact32, &no_params, state, out, err);
  return head_error(c, "gpu-exact32", rc, err);
}

static void release32(void *state) {
  fa_model_release_f32(state);
  free(state);
  gpu_release_all();
}

const ar_path ar_path_gpu_exact64 = {
    .name = "gpu-exact64",
    .summary = "double; attention heads on the GPU (CUDA tiled online-softmax "
               "forward/backward, no n x n array), the rest of the model on "
               "the CPU",
    .memory_needed = memory64,
    .forward = forward64,
    .backward = backward64,
    .release = release64,
};

const ar_path ar_path_gpu_exact32 = {
    .name = "gpu-exact32",
    .summary = "float (inputs rounded to float, F32 results); attention heads "
               "on the GPU (CUDA tiled online softmax), the rest on the CPU",
    .memory_needed = memory32,
    .forward = forward32,
    .backward = backward32,
    .release = release32,
};
