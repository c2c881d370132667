/* Test helpers for the approximate head: a seeded RNG, and two naive O(n^2)
 * heads (full n x n score matrix, long double accumulation) to compare with:
 *  - the exact softmax head (exp), the truth the approximation aims at;
 *  - the same head with A_ij = P(tau q_i.k_j) in place of exp, i.e. what the
 *    approximate head computes in exact arithmetic (with DESIGN §4's gradient:
 *    the exact head's formulas with F~ in place of F).
 * Matrices are n x dh with row stride ld, like fa_head. */
#ifndef ATTNREF_TESTS_NAIVE_HEAD_H
#define ATTNREF_TESTS_NAIVE_HEAD_H

#include <stdint.h>

#include "fast/attn_head.h"
#include "fast/poly.h"

typedef struct rng {
  uint64_t s;
} rng;
double rng_uniform(rng *r); /* [0, 1) */
/* m[i] uniform in [-a, a] for numel entries */
void rng_fill(rng *r, double *m, int64_t numel, double a);

/* kernel: poly NULL -> exp (exact head), else P(s) of poly.
 * forward: o (n x dh, stride ld). backward: dq, dk, du (overwritten). */
void naive_forward(const fa_head *h, const fa_poly *poly, const double *q,
                   const double *k, const double *u, double *o);
void naive_backward(const fa_head *h, const fa_poly *poly, const double *q,
                    const double *k, const double *u, const double *g,
                    double *dq, double *dk, double *du);

/* max_i,c |x - y| / max_i,c |y| over n rows of dh (stride ld) */
double rel_err(const double *x, const double *y, int64_t n, int64_t dh,
               int64_t ld);
/* max_i |x - y| over column c */
double max_abs_col(const double *x, int64_t n, int64_t ld, int64_t c);

#endif
