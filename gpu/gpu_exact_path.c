/* The paths "gpu-exact64" and "gpu-exact32": the whole model (model_gpu.h)
 * on the device in double / float with the GPU's exact head (attn_flash.h):
 * projections, norms, residuals, MLP, heads and loss, forward and backward,
 * run as CUDA kernels and cuBLAS products; the results are those of the CPU
 * paths exact64 / exact32 (fast/model.h), computed on the device. */
#include <stdlib.h>

#include "../ref/ref.h" /* AR_META_PATH */
#include "../src/config.h"
#include "gpu.h"
#include "gpu_rt.h"
#include "model_gpu.h"

/* host (results) plus device (the model's arrays; the exact head needs no
 * workspace of its own) */
static int64_t memory(const ar_config *c, int real_bytes) {
  int64_t host = gpu_model_host_bytes(c, real_bytes), tot;
  int64_t dev = gpu_model_device_bytes(c, real_bytes);
  if (host < 0 || dev < 0 || !ar_add_ok(host, dev, &tot)) return -1;
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

static int set_meta(ar_tensorset *out, const char *path, ar_error *err) {
  int rc = ar_tensorset_set_meta(out, AR_META_PATH, path, err);
  if (!rc) rc = ar_tensorset_set_meta(out, "attnref.device", gpu_device_name(), err);
  return rc;
}

static int forward_at(const ar_case *c, const char *path, int real_bytes,
                      void **state, ar_tensorset *out, ar_error *err) {
  int rc = gpu_device_check(c->source, path, err);
  if (rc) return rc;
  gpu_model **st = calloc(1, sizeof *st);
  if (!st) return ar_fail(err, AR_FAIL_INTERNAL, "%s: out of memory", c->source);
  *state = st;
  rc = gpu_model_forward(c, path, real_bytes, GPU_HEAD_FLASH, NULL, st, out,
                         NULL, NULL, err);
  return rc ? rc : set_meta(out, path, err);
}

static int backward_at(const ar_case *c, void *state, ar_tensorset *out,
                       ar_error *err) {
  gpu_model **st = state;
  return gpu_model_backward(c, st ? *st : NULL, out, err);
}

static void release(void *state) {
  gpu_model **st = state;
  if (st) gpu_model_release(*st);
  free(st);
  gpu_release_all();
}

static int forward64(const ar_case *c, const ar_path_options *o, void **state,
                     ar_tensorset *out, ar_error *err) {
  (void)o;
  return forward_at(c, "gpu-exact64", 8, state, out, err);
}
static int forward32(const ar_case *c, const ar_path_options *o, void **state,
                     ar_tensorset *out, ar_error *err) {
  (void)o;
  return forward_at(c, "gpu-exact32", 4, state, out, err);
}
static int backward(const ar_case *c, const ar_path_options *o, void *state,
                    ar_tensorset *out, ar_error *err) {
  (void)o;
  return backward_at(c, state, out, err);
}

const ar_path ar_path_gpu_exact64 = {
    .name = "gpu-exact64",
    .summary = "double; the whole model on the GPU (cuBLAS products, CUDA "
               "norm/MLP/loss kernels, tiled online-softmax heads with no "
               "n x n array)",
    .memory_needed = memory64,
    .forward = forward64,
    .backward = backward,
    .release = release,
};

const ar_path ar_path_gpu_exact32 = {
    .name = "gpu-exact32",
    .summary = "float (inputs rounded to float, F32 results, sums in "
               "double); the whole model on the GPU (cuBLAS, CUDA kernels, "
               "tiled online-softmax heads)",
    .memory_needed = memory32,
    .forward = forward32,
    .backward = backward,
    .release = release,
};
