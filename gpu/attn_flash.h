/* The exact attention head on the GPU (fa_head_impl "gpu-exact"), in double
 * and float: FlashAttention-2 style tiled kernels with an online softmax,
 * never an n x n array.
 *
 * forward  (one block per tile of BR query rows; key tiles of BC in order):
 *   S = tau Q_i K_j^T, running row max m and sum l (l in double at both
 *   widths, as exact32 does), O_i <- O_i e^(m_old - m_new) + e^(S - m_new) U_j,
 *   finally O_i /= l and lse_i = m + log l (saved for backward).
 * backward: r_i = <O_i, G_i> (in double); then
 *   dK/dU kernel, one block per key tile, over the query tiles that see it:
 *     P = e^(tau Q_i K_j^T - lse_i) recomputed, dP = G_i U_j^T,
 *     dS = P o (dP - r_i), dU_j += P^T G_i, dK_j += tau dS^T Q_i;
 *   dQ kernel, one block per query tile, over its key tiles:
 *     dQ_i += tau dS K_j (P and dS recomputed: a second pass instead of
 *     atomics, so results do not depend on the order blocks run in).
 * Causal heads skip the tiles above the diagonal and mask inside the
 * diagonal ones. Row 0 of a causal head (every row when n = 1) sees one key:
 * its dS is exactly 0 and is written as 0 (as fast/'s exact head does).
 *
 * The fa_head_impl entries (gpu_head_exact64/32) copy a head's columns of
 * Q, K, U (and O, G) to the device and the results back (tests, CPU
 * models); the CUDA paths call the device entry points below from the
 * device model (model_gpu.h), all heads of a layer at once.
 * d_h up to 256 (head-dim columns are held in registers). */
#ifndef ATTNREF_GPU_ATTN_FLASH_H
#define ATTNREF_GPU_ATTN_FLASH_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#include "../fast/attn_head.h"
#include "../fast/model.h"

#define GPU_FLASH_MAX_DH 256

extern const fa_head_impl gpu_head_exact64;
extern const fa_head_impl_f32 gpu_head_exact32;

/* Device bytes one head call needs (the larger of forward and backward) at
 * real_bytes (8 or 4) per value; -1 on overflow. */
int64_t gpu_flash_device_bytes(int64_t n, int64_t dh, int real_bytes);

/* The kernels on device arrays, for benchmarks: H heads side by side in
 * n x (H dh) row-major arrays (row stride ld = H dh), lse and r n per head.
 * Return 0, or -1 with gpu_last_error() set. Call inside gpu_lock(). */
int gpu_flash_forward_dev64(int64_t n, int dh, int H, int causal, double tau,
                            const double *q, const double *k, const double *u,
                            double *o, double *lse);
int gpu_flash_backward_dev64(int64_t n, int dh, int H, int causal, double tau,
                             const double *q, const double *k, const double *u,
                             const double *o, const double *g,
                             const double *lse, double *r, double *dq,
                             double *dk, double *du);
int gpu_flash_forward_dev32(int64_t n, int dh, int H, int causal, float tau,
                            const float *q, const float *k, const float *u,
                            float *o, float *lse);
int gpu_flash_backward_dev32(int64_t n, int dh, int H, int causal, float tau,
                             const float *q, const float *k, const float *u,
                             const float *o, const float *g, const float *lse,
                             float *r, float *dq, float *dk, float *du);

#ifdef __cplusplus
}
#endif

#endif
