/* The exact paths: the shared model (model.h) with the exact tiled head
 * (attn_exact.h), in double ("exact64") and in float ("exact32", every
 * input rounded to float, results written as F32). */
#include <omp.h>
#include <stdlib.h>

#include "../ref/ref.h" /* AR_META_PATH */
#include "attn_exact.h"
#include "fast.h"
#include "model.h"

int64_t fa_exact_bytes(int64_t n, int64_t dh, int threads, int real_bytes) {
  double T = threads > 0 ? threads : 1;
  double tiles = T * (2.0 * FA_EXACT_TILE_ROWS * FA_EXACT_TILE_COLS +
                      FA_EXACT_TILE_ROWS);
  double vals = tiles + (T - 1) * (double)n * dh + (double)n;
  double bytes = vals * real_bytes + T * FA_EXACT_TILE_ROWS * 8.0;
  return bytes < 4.0e18 ? (int64_t)bytes : -1;
}

/* the model's bytes plus one head call's workspace (heads run side by side
 * with one thread each, or one at a time with all threads: T tiles either
 * way) */
static int64_t exact_memory(const ar_config *c, const ar_path_options *o,
                            int real_bytes) {
  int T = o->threads > 0 ? o->threads : omp_get_max_threads();
  int64_t model = fa_model_bytes(c, real_bytes);
  int64_t head = fa_exact_bytes(c->n, ar_config_head_dim(c), T, real_bytes);
  int64_t tot;
  if (model < 0 || head < 0 || !ar_add_ok(model, head, &tot)) return -1;
  return tot;
}

static const fa_head_params no_params; /* the exact head takes none */

static int64_t memory64(const ar_config *c, const ar_path_options *o) {
  return exact_memory(c, o, 8);
}

static int forward64(const ar_case *c, const ar_path_options *o, void **state,
                     ar_tensorset *out, ar_error *err) {
  fa_model_state *st = calloc(1, sizeof *st);
  if (!st) return ar_fail(err, AR_FAIL_INTERNAL, "%s: out of memory", c->source);
  *state = st;
  fa_set_threads(o->threads);
  int rc = fa_model_forward(c, &fa_head_exact, &no_params, st, out, err);
  return rc ? rc : ar_tensorset_set_meta(out, AR_META_PATH, "exact64", err);
}

static int backward64(const ar_case *c, const ar_path_options *o, void *state,
                      ar_tensorset *out, ar_error *err) {
  fa_set_threads(o->threads);
  return fa_model_backward(c, &fa_head_exact, &no_params, state, out, err);
}

static void release64(void *state) {
  fa_model_release(state);
  free(state);
}

static int64_t memory32(const ar_config *c, const ar_path_options *o) {
  return exact_memory(c, o, 4);
}

static int forward32(const ar_case *c, const ar_path_options *o, void **state,
                     ar_tensorset *out, ar_error *err) {
  fa_model_state_f32 *st = calloc(1, sizeof *st);
  if (!st) return ar_fail(err, AR_FAIL_INTERNAL, "%s: out of memory", c->source);
  *state = st;
  fa_set_threads(o->threads);
  int rc = fa_model_forward_f32(c, &fa_head_exact_f32, &no_params, st, out, err);
  return rc ? rc : ar_tensorset_set_meta(out, AR_META_PATH, "exact32", err);
}

static int backward32(const ar_case *c, const ar_path_options *o, void *state,
                      ar_tensorset *out, ar_error *err) {
  fa_set_threads(o->threads);
  return fa_model_backward_f32(c, &fa_head_exact_f32, &no_params, state, out,
                               err);
}

static void release32(void *state) {
  fa_model_release_f32(state);
  free(state);
}

const ar_path ar_path_exact64 = {
    .name = "exact64",
    .summary = "double, OpenBLAS, tiled online-softmax attention "
               "(FlashAttention-style, O(n d) memory)",
    .memory_needed = memory64,
    .forward = forward64,
    .backward = backward64,
    .release = release64,
};

const ar_path ar_path_exact32 = {
    .name = "exact32",
    .summary = "float (inputs rounded to float, F32 results), OpenBLAS, "
               "tiled online-softmax attention",
    .memory_needed = memory32,
    .forward = forward32,
    .backward = backward32,
    .release = release32,
};
