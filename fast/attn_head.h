/* One attention head, the unit every fast/ path implements its own way
 * (exact tiled online softmax, polynomial approximation). The surrounding
 * model (projections, norms, MLP, residual, loss) is shared (fast/model_*.c).
 *
 * Shapes: Q, K, U, O, G, dQ, dK, dU are n x dh, with row stride ld (a head's
 * columns inside the n x d projections, so ld = d). */
#ifndef ATTNREF_FAST_ATTN_HEAD_H
#define ATTNREF_FAST_ATTN_HEAD_H

#include <stdint.h>

typedef struct fa_head {
  int64_t n, dh, ld;
  int causal;
  double tau; /* scores S = tau Q K^T */
} fa_head;

typedef struct fa_head_params {
  int degree;       /* approx: polynomial degree g */
  int chebyshev;    /* approx: 0 taylor, 1 chebyshev */
  double radius;    /* approx: R >= tau |<q_i,k_j>| for all i, j (from the data) */
} fa_head_params;

/* An attention head implementation in double.
 * forward:  O = softmax(tau Q K^T [mask]) U; may keep per-row statistics in
 *           `saved` (n doubles, e.g. the row log-sum-exp) for backward.
 * backward: given G = dL/dO and what forward saved: dQ, dK, dU (overwritten).
 * Both return 0 on success, nonzero on allocation failure. */
typedef struct fa_head_impl {
  const char *name;
  int (*forward)(const fa_head *h, const fa_head_params *p, const double *q,
                 const double *k, const double *u, double *o, double *saved);
  int (*backward)(const fa_head *h, const fa_head_params *p, const double *q,
                  const double *k, const double *u, const double *o,
                  const double *g, const double *saved, double *dq, double *dk,
                  double *du);
} fa_head_impl;

#endif
