#include "features.h"

#include "kern/kern_approx.h"
#include "kern/kern_table.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* r <- C(dh+g, g) = prod_{t=1..g} (dh+t)/t, exact at each step (the partial
 * product is C(dh+t, t)); -1 past INT32_MAX */
int64_t fa_features_rank(int dh, int g) {
  if (dh < 1 || g < 0) return -1;
  int64_t r = 1;
  for (int t = 1; t <= g; t++) {
    /* C(dh+t,t) = C(dh+t-1,t-1) * (dh+t) / t; the product fits: r <= 2^31 */
    r = r * (dh + t) / t;
    if (r > INT32_MAX) return -1;
  }
  return r;
}

void fa_features_free(fa_features *f) {
  free(f->parent), free(f->var), free(f->deg), free(f->multinom), free(f->wq);
  memset(f, 0, sizeof *f);
}

/* table <- all multisets of size <= g over {0..dh-1}, by degree, with their
 * multinomials (the proved kern_feat_table); wq_alpha <- c_t tau^t multinom(alpha)
 * (the proved kern_feat_weights) */
int fa_features_init(fa_features *f, int dh, const fa_poly *p, double tau) {
  memset(f, 0, sizeof *f);
  int g = p->g;
  int64_t r = fa_features_rank(dh, g);
  if (r < 0) return -1;
  f->dh = dh, f->g = g, f->r = r;
  f->parent = malloc((size_t)r * sizeof *f->parent);
  f->var = malloc((size_t)r * sizeof *f->var);
  f->deg = malloc((size_t)r * sizeof *f->deg);
  f->multinom = malloc((size_t)r * sizeof *f->multinom);
  f->wq = malloc((size_t)r * sizeof *f->wq);
  int32_t *run = malloc((size_t)r * sizeof *run); /* multiplicity of var */
  double *ct = malloc(((size_t)g + 1) * sizeof *ct); /* c_t tau^t */
  if (!f->parent || !f->var || !f->deg || !f->multinom || !f->wq || !run || !ct) {
    free(run), free(ct);
    fa_features_free(f);
    return -2;
  }
  /* r = C(dh+g, g) <= INT32_MAX, so g < INT32_MAX and cap = r is in the kernel's range; the
   * kernel returns exactly r unless a multinomial passes 2^53 (then -1) */
  int64_t n = kern_feat_table(dh, g, r, f->parent, f->var, f->deg, run, f->multinom);
  free(run);
  /* the weights' precondition: |ct[t] multinom| <= 2^1000 */
  double taut = 1;
  int ok = n == r;
  for (int t = 0; t <= g && ok; t++, taut *= tau) {
    ct[t] = p->c[t] * taut;
    ok = fabs(ct[t]) <= 0x1p947; /* false for inf and NaN too */
  }
  if (!ok) {
    free(ct);
    fa_features_free(f);
    return -1;
  }
  kern_feat_weights(r, f->deg, f->multinom, ct, g, f->wq);
  free(ct);
  return 0;
}

/* out[i, alpha] <- x_i^alpha, each monomial from its parent times one coordinate (the
 * proved kern_feat_psi, row by row): O(r) per row */
void fa_features_psi(const fa_features *f, int64_t rows, const double *x,
                     int64_t ldx, double *out) {
  int64_t r = f->r;
#pragma omp parallel for schedule(static) if (rows * r > 65536)
  for (int64_t i = 0; i < rows; i++)
    kern_feat_psi(r, f->parent, f->var, f->dh, x + i * ldx, out + i * r);
}

/* out[i, alpha] <- wq_alpha x_i^alpha (the weights by the proved kern_vmul, row by row while
 * the row is in cache) */
void fa_features_phi(const fa_features *f, int64_t rows, const double *x,
                     int64_t ldx, double *out) {
  int64_t r = f->r;
#pragma omp parallel for schedule(static) if (rows * r > 65536)
  for (int64_t i = 0; i < rows; i++) {
    kern_feat_psi(r, f->parent, f->var, f->dh, x + i * ldx, out + i * r);
    kern_vmul(r, f->wq, out + i * r);
  }
}
