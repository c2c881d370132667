/* Losses on the last layer's output X (n x d): mse, linear, xent. */
#include "ops.h"

/* loss (1 x 1) <- mse 0.5||X-T||^2 | linear <X,T> | xent (1/n) sum_i lse_i - l_i,y */
void loss_forward(mpctx *c, ar_loss kind, mpmat *loss, const mpmat *X,
                  const mpmat *T, const mpmat *Wu, const int64_t *labels,
                  losssave *s) {
  int64_t n = X->rows, nd = X->rows * X->cols;
  mpfr_ptr L = &loss->v[0];
  if (kind == AR_LOSS_MSE) {
    /* diff = X - T; loss = <diff, diff>/2 */
    for (int64_t k = 0; k < nd; k++) c_sub(&s->diff->v[k], &X->v[k], &T->v[k]);
    c_dot(L, s->diff->p, s->diff->p, nd);
    c_mul_2si(L, L, -1);
  } else if (kind == AR_LOSS_LINEAR) {
    c_dot(L, X->p, T->p, nd);
  } else {
    int64_t V = Wu->cols;
    mpmat *lg = s->logits, *e = s->e;
    mm(c, lg, X, 0, Wu, 0);
    for (int64_t i = 0; i < n; i++) {
      /* lse_i = m + log sum_j exp(l_ij - m), m = max_j l_ij; the loss terms
       * m, -l_i,y and log s_i are summed at once below (they cancel) */
      mpfr_ptr m = &s->terms->v[3 * i];
      c_set(m, MAT(lg, i, 0));
      for (int64_t j = 1; j < V; j++)
        if (c_cmp(MAT(lg, i, j), m) > 0) c_set(m, MAT(lg, i, j));
      for (int64_t j = 0; j < V; j++) {
        c_sub(MAT(e, i, j), MAT(lg, i, j), m);
        c_exp(MAT(e, i, j), MAT(e, i, j));
      }
      c_sum(&s->s->v[i], e->p + i * V, V);
      c_neg(&s->terms->v[3 * i + 1], MAT(lg, i, labels[i]));
      c_log(&s->terms->v[3 * i + 2], &s->s->v[i]);
    }
    c_sum(L, s->terms->p, 3 * n);
    c_div_ui(L, L, (unsigned long)n);
  }
}

/* mse:    L = (1/2) sum (X - T)^2  =>  dX = X - T, dT = -(X - T).
 * linear: L = sum X o T            =>  dX = T, dT = X.
 * xent:   L = (1/n) sum_i [log sum_j exp(l_ij) - l_i,y_i], l = X Wu
 *   dl_ij = (P_ij - [j = y_i])/n,  P_ij = e_ij/s_i (the shift cancels);
 *   at j = y_i, P - 1 = -(sum_{k != y_i} e_ik)/s_i (no cancellation);
 *   dX = dl Wu^T, dWu = X^T dl. */
void loss_backward(mpctx *c, ar_loss kind, mpmat *dX, mpmat *dT, mpmat *dWu,
                   const mpmat *X, const mpmat *T, const mpmat *Wu,
                   const int64_t *labels, const losssave *s, mpmat *dlogits) {
  int64_t n = X->rows, nd = X->rows * X->cols;
  if (kind == AR_LOSS_MSE) {
    if (dX) mpmat_copy(dX, s->diff);
    if (dT)
      for (int64_t k = 0; k < nd; k++) c_neg(&dT->v[k], &s->diff->v[k]);
  } else if (kind == AR_LOSS_LINEAR) {
    if (dX) mpmat_copy(dX, T);
    if (dT) mpmat_copy(dT, X);
  } else {
    int64_t V = Wu->cols;
    const mpmat *e = s->e;
    mpfr_ptr sn = c->t[0];
    if (!mpctx_reserve(c, (size_t)V)) return;
    for (int64_t i = 0; i < n; i++) {
      int64_t y = labels[i], o = 0;
      /* sn = n s_i */
      ar_ref_cnt.mul++;
      mpfr_mul_ui(sn, &s->s->v[i], (unsigned long)n, RND);
      for (int64_t j = 0; j < V; j++)
        if (j != y) {
          c->pa[o++] = MAT(e, i, j);
          c_div(MAT(dlogits, i, j), MAT(e, i, j), sn);
        }
      mpfr_ptr dy = MAT(dlogits, i, y);
      c_sum(dy, c->pa, o);
      c_neg(dy, dy);
      c_div(dy, dy, sn);
    }
    if (dX) mm(c, dX, dlogits, 0, Wu, 1);
    if (dWu) mm(c, dWu, X, 1, dlogits, 0);
  }
}
