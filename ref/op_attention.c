/* Multi-head softmax attention core: O = concat_h softmax(tau Q_h K_h^T) U_h.
 * Head h is columns h*dh .. (h+1)*dh-1 of Q, K, U and O; its slices are
 * contiguous runs of the row pointer arrays (rows) and prefixes/suffixes of
 * the column pointer arrays (the causal triangle), so every sum below is one
 * mpfr_dot over existing pointers. */
#include "ops.h"

/* O (n x d), F[h] (n x n) <- Q, K, U (n x d) */
void attention_forward(mpctx *c, mpmat *O, mpmat *const *F, const mpmat *Q,
                       const mpmat *K, const mpmat *U, int64_t heads,
                       int causal, mpfr_srcptr tau) {
  int64_t n = Q->rows, d = Q->cols, dh = d / heads;
  mpfr_ptr rowmax = c->t[0], s = c->t[1];
  for (int64_t h = 0; h < heads; h++) {
    mpmat *f = F[h];
    for (int64_t i = 0; i < n; i++) {
      int64_t len = causal ? i + 1 : n; /* A_ij = 0 for j > i when causal */
      mpfr_ptr *fr = f->p + i * n;
      /* S_ij = tau <Q_i,h, K_j,h> */
      for (int64_t j = 0; j < len; j++) {
        c_dot(fr[j], Q->p + i * d + h * dh, K->p + j * d + h * dh, dh);
        c_mul(fr[j], fr[j], tau);
      }
      /* F_ij = exp(S_ij - max_k S_ik) / sum_j exp(S_ij - max_k S_ik): the
       * shift leaves F unchanged and keeps exp in range */
      c_set(rowmax, fr[0]);
      for (int64_t j = 1; j < len; j++)
        if (c_cmp(fr[j], rowmax) > 0) c_set(rowmax, fr[j]);
      for (int64_t j = 0; j < len; j++) {
        c_sub(fr[j], fr[j], rowmax);
        c_exp(fr[j], fr[j]);
      }
      c_sum(s, fr, len);
      for (int64_t j = 0; j < len; j++) c_div(fr[j], fr[j], s);
      for (int64_t j = len; j < n; j++) mpfr_set_zero(fr[j], 1);
      ar_ref_cnt.other += (uint64_t)(n - len);
      /* O_i,h = sum_j F_ij U_j,h */
      for (int64_t k = 0; k < dh; k++)
        c_dot(MAT(O, i, h * dh + k), fr, U->pt + (h * dh + k) * n, len);
    }
  }
}

/* Forward per head (G = dO_h upstream, sums over unmasked j):
 *   O_i = sum_j F_ij U_j,  F_ij = A_ij / sum_k A_ik,  A_ij = exp(S_ij),
 *   S_ij = tau <Q_i, K_j>.
 * Adjoints:
 *   dU_j  = sum_i F_ij G_i                          (dU = F^T G)
 *   dF_ij = <G_i, U_j>
 *   dS_ij = sum_k dF_ik dF_ik/dS_ij = F_ij (dF_ij - sum_k F_ik dF_ik)
 *         = F_ij (<G_i, U_j> - <G_i, O_i>)          (sum_k F_ik U_k = O_i)
 *         = F o (G U^T) - diag(r) F,  r_i = <O_i, G_i>
 *   dQ_i  = tau sum_j dS_ij K_j,  dK_j = tau sum_i dS_ij Q_i.
 * Masked entries have F_ij = 0, so dS_ij = 0 there. <G_i, U_j - O_i> cancels
 * when row i's attention is peaked; it is one dot over 2 dh terms,
 * [G_i, -G_i] . [U_j, O_i], correctly rounded. */
void attention_backward(mpctx *c, mpmat *dQ, mpmat *dK, mpmat *dU,
                        const mpmat *dO, mpmat *const *F, const mpmat *O,
                        const mpmat *Q, const mpmat *K, const mpmat *U,
                        int64_t heads, int causal, mpfr_srcptr tau, mpmat *dS,
                        mpmat *negG) {
  int64_t n = Q->rows, d = Q->cols, dh = d / heads;
  mpfr_ptr t = c->t[0];
  if (!mpctx_reserve(c, (size_t)(2 * dh))) return;
  for (int64_t k = 0; k < n * d; k++) c_neg(&negG->v[k], &dO->v[k]);
  for (int64_t h = 0; h < heads; h++) {
    const mpmat *f = F[h];
    int64_t h0 = h * dh;
    /* dU_j,h = sum_{i >= j0} F_ij G_i,h, j0 = j when causal */
    for (int64_t j = 0; j < n; j++) {
      int64_t j0 = causal ? j : 0;
      for (int64_t k = 0; k < dh; k++)
        c_dot(MAT(dU, j, h0 + k), f->pt + j * n + j0,
              dO->pt + (h0 + k) * n + j0, n - j0);
    }
    /* dS_ij = F_ij <[G_i, -G_i], [U_j, O_i]> */
    for (int64_t i = 0; i < n; i++) {
      int64_t len = causal ? i + 1 : n;
      for (int64_t k = 0; k < dh; k++) {
        c->pa[k] = MAT(dO, i, h0 + k);
        c->pa[dh + k] = MAT(negG, i, h0 + k);
        c->pb[dh + k] = MAT(O, i, h0 + k);
      }
      for (int64_t j = 0; j < len; j++) {
        for (int64_t k = 0; k < dh; k++) c->pb[k] = MAT(U, j, h0 + k);
        c_dot(t, c->pa, c->pb, 2 * dh);
        c_mul(MAT(dS, i, j), MAT(f, i, j), t);
      }
      for (int64_t j = len; j < n; j++) mpfr_set_zero(MAT(dS, i, j), 1);
      ar_ref_cnt.other += (uint64_t)(n - len);
    }
    /* dQ_i,h = tau sum_{j < len} dS_ij K_j,h */
    for (int64_t i = 0; i < n; i++) {
      int64_t len = causal ? i + 1 : n;
      for (int64_t k = 0; k < dh; k++) {
        mpfr_ptr r = MAT(dQ, i, h0 + k);
        c_dot(r, dS->p + i * n, K->pt + (h0 + k) * n, len);
        c_mul(r, r, tau);
      }
    }
    /* dK_j,h = tau sum_{i >= j0} dS_ij Q_i,h */
    for (int64_t j = 0; j < n; j++) {
      int64_t j0 = causal ? j : 0;
      for (int64_t k = 0; k < dh; k++) {
        mpfr_ptr r = MAT(dK, j, h0 + k);
        c_dot(r, dS->pt + j * n + j0, Q->pt + (h0 + k) * n + j0, n - j0);
        c_mul(r, r, tau);
      }
    }
  }
}
