/* The exact attention head (fa_head_impl "exact"): FlashAttention-style
 * tiles with an online softmax, in double (exact64) and float (exact32).
 *
 * forward: for each block of BR rows, the column tiles of BC keys in order:
 *   S = tau Q_i K_j^T (one BLAS product), running row max m and sum l,
 *   O_i <- O_i e^(m_old - m_new) + e^(S - m_new) U_j, and at the end
 *   O_i /= l, saved_i = m + log l (the row's log-sum-exp).
 * backward: r_i = <O_i, G_i>; for each column tile j, over the row blocks:
 *   P = e^(S - saved) (recomputed), dU_j += P^T G_i, dP = G_i U_j^T,
 *   dS = P o (dP - r), dK_j += tau dS^T Q_i, dQ_i += tau dS K_j.
 * Causal heads skip the tiles above the diagonal and mask inside the
 * diagonal ones. Memory: a few BR x BC tiles per thread, plus one n x dh
 * dQ accumulator per thread beyond the first; never an n x n array.
 * Forward rows are independent (the result does not depend on the thread
 * count); backward sums the threads' dQ parts in thread order (it depends
 * on the thread count by rounding only). */
#ifndef ATTNREF_FAST_ATTN_EXACT_H
#define ATTNREF_FAST_ATTN_EXACT_H

#include <stdint.h>

#include "attn_head.h"
#include "model.h"

/* Tile sizes (a build may override them with -D): BR x BC score tiles. */
#ifndef FA_EXACT_TILE_ROWS
#define FA_EXACT_TILE_ROWS 128 /* BR */
#endif
#ifndef FA_EXACT_TILE_COLS
#define FA_EXACT_TILE_COLS 128 /* BC */
#endif

extern const fa_head_impl fa_head_exact;         /* double */
extern const fa_head_impl_f32 fa_head_exact_f32; /* float */

/* Bytes one call allocates (the larger of forward and backward) with
 * `threads` threads at real_bytes per value; -1 on overflow. */
int64_t fa_exact_bytes(int64_t n, int64_t dh, int threads, int real_bytes);

#endif
