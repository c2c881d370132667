/* The operations of the model (spec/model.md), each a forward and a
 * hand-derived backward in MPFR. Shapes: n rows (tokens), d width, m MLP
 * width, V vocabulary, H heads of width dh = d/H. Vectors (biases, norm
 * weights) are 1 x k matrices. Outputs are preallocated by the caller at the
 * working precision; backward functions overwrite their outputs (no
 * accumulation) except where a `dres` addend is named: that is the gradient
 * arriving through a residual connection, added inside the same correctly
 * rounded sum. */
#ifndef ATTNREF_REF_OPS_H
#define ATTNREF_REF_OPS_H

#include "../src/config.h"
#include "mpmat.h"

/* ---- op_matmul.c -------------------------------------------------------- */
/* Y (n x c) <- X (n x k) W (k x c) [+ b (1 x c)] [+ R (n x c)]; b, R may be NULL */
void linear_forward(mpctx *c, mpmat *Y, const mpmat *X, const mpmat *W,
                    const mpmat *b, const mpmat *R);
/* dX <- dY W^T [+ dres]; dW <- X^T dY; db <- colsum(dY); (dR = dY is the
 * caller's: it passes dY on as its dres). Any output may be NULL. */
void linear_backward(mpctx *c, const mpmat *dY, const mpmat *X,
                     const mpmat *W, const mpmat *dres, mpmat *dX, mpmat *dW,
                     mpmat *db);
/* Q, K, U (n x d) <- Xn (n x d) Wq, Wk, Wv (d x d) */
void qkv_forward(mpctx *c, mpmat *Q, mpmat *K, mpmat *U, const mpmat *Xn,
                 const mpmat *Wq, const mpmat *Wk, const mpmat *Wv);
/* dXn <- dQ Wq^T + dK Wk^T + dU Wv^T [+ dres] (one rounding per element);
 * dWq <- Xn^T dQ, dWk <- Xn^T dK, dWv <- Xn^T dU */
void qkv_backward(mpctx *c, const mpmat *dQ, const mpmat *dK, const mpmat *dU,
                  const mpmat *Xn, const mpmat *Wq, const mpmat *Wk,
                  const mpmat *Wv, const mpmat *dres, mpmat *dXn, mpmat *dWq,
                  mpmat *dWk, mpmat *dWv);

/* ---- op_norm.c ---------------------------------------------------------- */
/* Y (n x d) <- Norm(X) with saved xhat (n x d) and rstd (n x 1);
 * layernorm: (x - mean) rstd gamma + beta, rstd = 1/sqrt(var + eps);
 * rmsnorm: x rstd gamma, rstd = 1/sqrt(mean(x^2) + eps); beta NULL for rms */
void norm_forward(mpctx *c, ar_norm kind, mpfr_srcptr eps, mpmat *Y,
                  mpmat *xhat, mpmat *rstd, const mpmat *X,
                  const mpmat *gamma, const mpmat *beta);
/* dX [+ dres], dgamma, dbeta (NULL for rms) from dY; g is n x d scratch */
void norm_backward(mpctx *c, ar_norm kind, const mpmat *dY,
                   const mpmat *xhat, const mpmat *rstd, const mpmat *gamma,
                   const mpmat *dres, mpmat *dX, mpmat *dgamma, mpmat *dbeta,
                   mpmat *g);

/* ---- op_attention.c ----------------------------------------------------- */
/* O (n x d) <- concat_h softmax(tau Q_h K_h^T [causal mask]) U_h; F[h] (n x n)
 * keeps each head's probabilities for backward. */
void attention_forward(mpctx *c, mpmat *O, mpmat *const *F, const mpmat *Q,
                       const mpmat *K, const mpmat *U, int64_t heads,
                       int causal, mpfr_srcptr tau);
/* dQ, dK, dU (n x d) from dO; dS (n x n) and negG (n x d) are scratch. */
void attention_backward(mpctx *c, mpmat *dQ, mpmat *dK, mpmat *dU,
                        const mpmat *dO, mpmat *const *F, const mpmat *O,
                        const mpmat *Q, const mpmat *K, const mpmat *U,
                        int64_t heads, int causal, mpfr_srcptr tau, mpmat *dS,
                        mpmat *negG);

/* ---- op_mlp.c ----------------------------------------------------------- */
/* Hact (n x m) <- act(Hpre); aux (n x m) keeps Phi(Hpre) for gelu (NULL for relu) */
void act_forward(mpctx *c, ar_act act, mpmat *Hact, mpmat *aux,
                 const mpmat *Hpre);
/* dHpre <- dHact o act'(Hpre) */
void act_backward(mpctx *c, ar_act act, mpmat *dHpre, const mpmat *dHact,
                  const mpmat *Hpre, const mpmat *aux);

/* ---- op_loss.c ---------------------------------------------------------- */
/* What the loss keeps for backward. */
typedef struct losssave {
  mpmat *diff;   /* mse: X - target (n x d) */
  mpmat *logits; /* xent: X Wu (n x V) */
  mpmat *e;      /* xent: exp(logits - rowmax) (n x V) */
  mpmat *s;      /* xent: row sums of e (n x 1) */
  mpmat *terms;  /* xent: rowmax, -logit_label, log s per row (3n x 1) */
} losssave;
/* loss (1 x 1) <- mse 0.5||X - T||^2 | linear <X, T> | xent mean_i
 * logsumexp(X Wu)_i - (X Wu)_{i,label_i}. T is target or cotangent. */
void loss_forward(mpctx *c, ar_loss kind, mpmat *loss, const mpmat *X,
                  const mpmat *T, const mpmat *Wu, const int64_t *labels,
                  losssave *s);
/* dX (n x d) <- dloss/dX; dT (target: -(X-T); cotangent: X), dWu (xent);
 * dlogits (n x V) scratch for xent. Outputs may be NULL. */
void loss_backward(mpctx *c, ar_loss kind, mpmat *dX, mpmat *dT, mpmat *dWu,
                   const mpmat *X, const mpmat *T, const mpmat *Wu,
                   const int64_t *labels, const losssave *s, mpmat *dlogits);

#endif
