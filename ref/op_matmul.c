/* Linear maps: Y = X W + b (+ R), and the fused Q/K/V projection. */
#include <assert.h>

#include "ops.h"

/* Y (n x c) <- X (n x k) W (k x c) [+ b (1 x c)] [+ R (n x c)] */
void linear_forward(mpctx *c, mpmat *Y, const mpmat *X, const mpmat *W,
                    const mpmat *b, const mpmat *R) {
  mmterm t = {X, 0, W, 0};
  const mpmat *e[2];
  int ne = 0;
  if (b) e[ne++] = b;
  if (R) e[ne++] = R;
  mm_sum(c, Y, 1, &t, ne, e);
}

/* Y = X W + b + R, so for upstream dY (n x c):
 *   dY_ij = sum_k X_ik W_kj + b_j + R_ij
 *   dX_ik = sum_j dY_ij W_kj        = (dY W^T)_ik   (+ dres: other uses of X)
 *   dW_kj = sum_i X_ik dY_ij        = (X^T dY)_kj
 *   db_j  = sum_i dY_ij             (b is broadcast over rows)
 *   dR    = dY                      (identity; the caller forwards dY) */
void linear_backward(mpctx *c, const mpmat *dY, const mpmat *X,
                     const mpmat *W, const mpmat *dres, mpmat *dX, mpmat *dW,
                     mpmat *db) {
  if (dX) {
    mmterm t = {dY, 0, W, 1};
    mm_sum(c, dX, 1, &t, dres ? 1 : 0, &dres);
  }
  if (dW) mm(c, dW, X, 1, dY, 0);
  if (db) mm_colsum(db, dY);
}

/* Q, K, U (n x d) <- Xn Wq, Xn Wk, Xn Wv */
void qkv_forward(mpctx *c, mpmat *Q, mpmat *K, mpmat *U, const mpmat *Xn,
                 const mpmat *Wq, const mpmat *Wk, const mpmat *Wv) {
  mm(c, Q, Xn, 0, Wq, 0);
  mm(c, K, Xn, 0, Wk, 0);
  mm(c, U, Xn, 0, Wv, 0);
}

/* Q = Xn Wq, K = Xn Wk, U = Xn Wv: Xn is used three times, so its adjoint is
 * the sum of the three linear adjoints (plus dres, e.g. the residual path
 * when there is no norm), summed before one rounding:
 *   dXn = dQ Wq^T + dK Wk^T + dU Wv^T [+ dres]
 *   dWq = Xn^T dQ, dWk = Xn^T dK, dWv = Xn^T dU */
void qkv_backward(mpctx *c, const mpmat *dQ, const mpmat *dK, const mpmat *dU,
                  const mpmat *Xn, const mpmat *Wq, const mpmat *Wk,
                  const mpmat *Wv, const mpmat *dres, mpmat *dXn, mpmat *dWq,
                  mpmat *dWk, mpmat *dWv) {
  if (dXn) {
    mmterm t[3] = {{dQ, 0, Wq, 1}, {dK, 0, Wk, 1}, {dU, 0, Wv, 1}};
    mm_sum(c, dXn, 3, t, dres ? 1 : 0, &dres);
  }
  if (dWq) mm(c, dWq, Xn, 1, dQ, 0);
  if (dWk) mm(c, dWk, Xn, 1, dK, 0);
  if (dWv) mm(c, dWv, Xn, 1, dU, 0);
}
