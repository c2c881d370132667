/* The whole model of spec/model.md on the device, for the CUDA paths: the
 * computation of fast/model.h (same order of operations, the same results
 * and names, F64 or F32), with every layer's projections, norms, residuals,
 * MLP, heads and the loss, forward and backward, run by CUDA kernels and
 * cuBLAS. Weights and inputs go to the device once in forward; what forward
 * keeps for backward (every layer's activations) stays there; only results
 * come back. Reductions (norm statistics, bias gradients, losses, softmax
 * row sums) accumulate in double at both widths, as fast/ does.
 *
 * Heads, all H of a layer at once on the n x d projections (head h owns
 * columns h dh .. (h+1) dh - 1):
 *   GPU_HEAD_FLASH   the exact head (attn_flash.h), double or float model;
 *   GPU_HEAD_POLY32  the polynomial head in float (attn_poly.h), double model;
 *   GPU_HEAD_POLY64  the polynomial head in double, double model.
 * The polynomial heads get R = the score radius of fast/attn_approx.c
 * (fa_approx_head_radius) and record per layer R, eps and the a-priori bound
 * as fast/approx_common.c does. */
#ifndef ATTNREF_GPU_MODEL_GPU_H
#define ATTNREF_GPU_MODEL_GPU_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#include "../fast/approx_common.h"
#include "../fast/attn_head.h"
#include "../src/case.h"
#include "../src/tensor.h"

typedef enum gpu_head_kind {
  GPU_HEAD_FLASH = 0,
  GPU_HEAD_POLY32 = 1,
  GPU_HEAD_POLY64 = 2
} gpu_head_kind;

typedef struct gpu_model gpu_model;

/* Forward pass of c under the name `path` at real_bytes (8: double, 4:
 * float, FLASH only) with head `head` (p: the polynomial's degree and kind);
 * *st <- the state backward needs (release with gpu_model_release). Writes
 * "loss", "act.layers.{l}" and attnref.config. For the polynomial heads, ls
 * (c->cfg.layers entries, zeroed by the caller) <- per-layer R, eps, bound,
 * and *poly_failed <- 1 when no polynomial exists for a head's R (then
 * nothing more runs and the return is nonzero with err unset). A CUDA /
 * cuBLAS failure: AR_FAIL_INTERNAL "<case>: path <path>: <what failed>". */
int gpu_model_forward(const ar_case *c, const char *path, int real_bytes,
                      gpu_head_kind head, const fa_head_params *p,
                      gpu_model **st, ar_tensorset *out, fa_approx_layer *ls,
                      int *poly_failed, ar_error *err);

/* Backward after gpu_model_forward on the same c: "grad.<input>" for every
 * input but labels and "grad.act.layers.{l}". */
int gpu_model_backward(const ar_case *c, gpu_model *st, ar_tensorset *out,
                       ar_error *err);

void gpu_model_release(gpu_model *st);

/* Device bytes the model holds over forward and backward at real_bytes per
 * value (heads' own workspace excluded); -1 on overflow. */
int64_t gpu_model_device_bytes(const ar_config *c, int real_bytes);
/* Host bytes: the result tensors (doubles) and the staging of one tensor. */
int64_t gpu_model_host_bytes(const ar_config *c, int real_bytes);

#ifdef __cplusplus
}
#endif

#endif
