/* The approximate attention head (fa_head_impl "approx"): the polynomial
 * method of DESIGN §4 in double. exp(tau <q_i,k_j>) is replaced by
 * P(tau <q_i,k_j>) = <phi(q_i), psi(k_j)> (poly.h, features.h), so
 * A~ = U1 U2^T with U1 = phi(Q), U2 = psi(K) (n x r, r = C(dh+g, g)), and
 * every product with A~ is taken through the r-dimensional features:
 * O(n r dh) forward, O(n r dh^2) backward, for causal heads too (running
 * prefix / suffix sums over blocks of rows). No n x n array is ever formed;
 * memory is O(b r + r dh^2) for a block of b rows.
 *
 * The polynomial: degree p->degree, Taylor or Chebyshev (p->chebyshev), on
 * [-R, R] with R = max(p->radius, fa_approx_radius(h, q, k)) so that R bounds
 * every |tau <q_i,k_j>| whatever the caller passed.
 *
 * forward keeps the approximate denominators D~_i = sum_j A~_ij in `saved`
 * (n doubles; backward recomputes them when saved is NULL). */
#ifndef ATTNREF_FAST_ATTN_APPROX_H
#define ATTNREF_FAST_ATTN_APPROX_H

#include <stdint.h>

#include "attn_head.h"
#include "poly.h"

extern const fa_head_impl fa_head_approx;

/* R <- tau * max_i |q_i| * max_j |k_j| (Cauchy-Schwarz: >= every
 * |tau <q_i,k_j>|), in O(n dh). */
double fa_approx_radius(const fa_head *h, const double *q, const double *k);

/* The radius the head uses: max(p->radius, fa_approx_radius(h, q, k)). */
double fa_approx_head_radius(const fa_head *h, const fa_head_params *p,
                             const double *q, const double *k);

/* The polynomial the head uses for these parameters and this radius (the
 * caller frees it with fa_poly_free). Returns fa_poly_init's code. */
int fa_approx_poly(const fa_head_params *p, double R, fa_poly *out);

/* Rows per block (the causal diagonal blocks are b x b; buffers are b x r). */
int64_t fa_approx_block_rows(int64_t r, int64_t dh);

/* Bytes the head allocates for one call (forward or backward, the larger),
 * -1 on overflow or a rank too large. */
int64_t fa_approx_bytes(int64_t n, int64_t dh, int g);

int fa_approx_forward(const fa_head *h, const fa_head_params *p,
                      const double *q, const double *k, const double *u,
                      double *o, double *saved);
int fa_approx_backward(const fa_head *h, const fa_head_params *p,
                       const double *q, const double *k, const double *u,
                       const double *o, const double *g, const double *saved,
                       double *dq, double *dk, double *du);

#endif
