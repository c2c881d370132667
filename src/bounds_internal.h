/* Small double helpers shared by the harness's files (not part of its API). */
#ifndef ATTNREF_BOUNDS_INTERNAL_H
#define ATTNREF_BOUNDS_INTERNAL_H

#include <stdint.h>

#include "config.h"

/* tau: the config's scale, or 1/sqrt(d_h) (rounded to double) */
double bd_tau(const ar_config *c);

/* y <- Norm1(x) row by row (spec/model.md §3-4) with weight w and bias b (b
 * NULL for rmsnorm); a copy when the config's norm is none. x, y: n x d. */
void bd_norm_forward(const ar_config *c, const double *x, const double *w,
                     const double *b, double *y);

/* y (n x d) <- x (n x d) W (d x d) */
void bd_matmul_nd(int64_t n, int64_t d, const double *x, const double *w,
                  double *y);

#endif
