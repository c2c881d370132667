/* The polynomial-method attention head on the GPU (fa_head_impl
 * "gpu-approx"), the algorithm of fast/attn_approx.h (DESIGN section 4) with
 * the same polynomial, feature maps and gradient formulas:
 *   A~ = phi(Q) psi(K)^T, O = D~^-1 A~ U, and the backward of the exact
 *   head's formulas with F~ = D~^-1 A~ in place of F.
 * Every product with A~ goes through the r = C(dh+g, g) features: states
 * S = psi(K_B)^T V_B (r x w) summed over blocks B of b rows, read as
 * phi(Q_B) S (cuBLAS). Causal heads use running prefix sums over blocks
 * (suffix sums for dK, dU) plus an explicit lower-triangular product on each
 * diagonal block; the blocks are taken C at a time: one batched product for
 * the C block states, an exclusive scan over them (in double), one batched
 * product to apply them. Non-causal heads sum the C block states into the
 * total (in double) and apply it. No n x n array; device memory
 * O(C b r + C r w) plus the head's n x dh arrays.
 *
 * Two widths: gpu_head_poly32 (states, features and products in float, the
 * sums across blocks in double, denominators and r_i = <O_i, G_i> in
 * double) and gpu_head_poly64 (everything in double, equal to fast/'s
 * approx head up to rounding). forward saves the denominators D~ (n
 * doubles). */
#ifndef ATTNREF_GPU_ATTN_POLY_H
#define ATTNREF_GPU_ATTN_POLY_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#include "../fast/attn_head.h"

extern const fa_head_impl gpu_head_poly32;
extern const fa_head_impl gpu_head_poly64;

/* Blocking for tests: rows per block b and the most blocks taken at once C
 * (0: the defaults, 128 rows and as many blocks as fit the memory budget).
 * Not thread-safe; call before running. */
void gpu_poly_set_blocking(int64_t block_rows, int64_t max_chunk_blocks);

/* Device bytes of one head call at real_bytes (4 or 8) with C blocks taken at
 * once (the largest, backward, state width); -1 on overflow. */
int64_t gpu_poly_device_bytes(int64_t n, int64_t dh, int g, int real_bytes,
                              int64_t chunk_blocks);

/* The head on device arrays in double, for the device model (model_gpu.h):
 * q, k, u, o, g, dq, dk, du point at the head's first column of n x h->ld
 * row-major arrays; R the score radius (fa_approx_head_radius); saved: n
 * doubles (D~) on the device. wide: 1 the double head, 0 the float one.
 * Return 0, or -1 with gpu_last_error() set. Call inside gpu_lock(). */
int gpu_poly_forward_dev(int wide, const fa_head *h, const fa_head_params *p,
                         double R, const double *q, const double *k,
                         const double *u, double *o, double *saved);
int gpu_poly_backward_dev(int wide, const fa_head *h, const fa_head_params *p,
                          double R, const double *q, const double *k,
                          const double *u, const double *o, const double *g,
                          const double *saved, double *dq, double *dk,
                          double *du);

#ifdef __cplusplus
}
#endif

#endif
