/* The exact head of attn_exact.h, written once over `real` (fast/real.h)
 * and compiled by attn_exact64.c and attn_exact32.c. */
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "attn_exact.h"
#include "kern/kern.h"
#include "kern/kern_grad.h"
#include "real.h"

#define BR FA_EXACT_TILE_ROWS
#define BC FA_EXACT_TILE_COLS

/* columns j0 .. j0+nc-1 of a tile starting at column j0 with bc columns
 * that row `row` may see: all, or those j <= row when causal */
static inline int64_t visible(const fa_head *h, int64_t row, int64_t j0,
                              int64_t bc) {
  if (!h->causal) return bc;
  int64_t v = row - j0 + 1;
  return v < 0 ? 0 : v > bc ? bc : v;
}

/* The row operations of a tile: the proved kernels of fast/kern (proofs/REPORT.md), the double
 * ones (kern.h) in exact64 and their binary32 versions (kern_f32.h) in exact32, by FA_SFX. */

/* the running max of a row before its first tile (exp(M0 - m) clamps to 0) */
#define ROW_MAX0 FA_SFX(KERN_SOFTMAX_M0)

/* p_c <- e^(s_c - m') for c < nc, 0 for nc <= c < bc, with (m, l) <- (m', l e^(m - m') +
 * sum_c p_c), m' = max(m, s_c); returns e^(m - m') */
static real softmax_tile_row(const real *s, real *p, int64_t nc, int64_t bc, real *m,
                             acc *l) {
  real alpha = FA_SFX(kern_online_softmax_update)(nc, s, p, m, l);
  for (int64_t c = nc; c < bc; c++) p[c] = 0;
  return alpha;
}

/* p_c <- e^(s_c - shift) for c < nc, 0 for nc <= c < bc (shift = the row's log-sum-exp, at
 * least every score of the row: the forward's scores recomputed by the same products) */
static void exp_row(const real *s, real *p, int64_t nc, int64_t bc, real shift) {
  FA_SFX(kern_exp_shift)(nc, s, shift, p);
  for (int64_t c = nc; c < bc; c++) p[c] = 0;
}

/* x <- alpha x (dh entries) */
static void scale_row(real *x, int64_t dh, real alpha) { FA_SFX(kern_scale)(dh, alpha, x); }

/* <x, y> over dh entries, accumulated in double */
static acc dot_row(const real *x, const real *y, int64_t dh) {
  return FA_SFX(kern_dot)(dh, x, 1, y, 1);
}

/* y <- y + x (dh entries) */
static void add_row(const real *x, real *y, int64_t dh) { FA_SFX(kern_axpy)(dh, 1.0, x, y); }

/* dp_c <- p_c (dp_c - r): a row of dS = P o (dP - diag(r) 1 1^T) */
static void ds_row(real *dp, const real *p, int64_t bc, real r) {
  FA_SFX(kern_ds_row)(bc, p, r, dp);
}

#include "kern/kern_gemm.h"
/* The tiles' products, C <- alpha op(A) op(B) + beta C (ta, tb: 1 = transposed): in exact64
 * the proved wrapper kern_gemm (fast/kern/kern_gemm.h: the same cblas_dgemm call, with a
 * contract over BLAS's assumed bound), in exact32 cblas_sgemm. */
#if FA_REAL_BITS == 64
#define TILE_GEMM kern_gemm
#else
#define TILE_GEMM(ta, tb, ...)                                                 \
  FA_GEMM(CblasRowMajor, (ta) ? CblasTrans : CblasNoTrans,                    \
          (tb) ? CblasTrans : CblasNoTrans, __VA_ARGS__)
#endif

/* Rows i0 .. i0+br-1: O_i = softmax_mask(tau Q_i K^T) U, online over the
 * column tiles; saved <- the rows' log-sum-exp. S (scores), P: BR x BC scratch. */
static void forward_rows(const fa_head *h, const real *q, const real *k,
                         const real *u, real *o, real *saved, int64_t i0,
                         int64_t br, real *S, real *P, real *mx, acc *l) {
  const int64_t ld = h->ld, dh = h->dh;
  const real tau = (real)h->tau;
  for (int64_t r = 0; r < br; r++) {
    mx[r] = ROW_MAX0;
    l[r] = 0;
    memset(o + (i0 + r) * ld, 0, (size_t)dh * sizeof(real));
  }
  int64_t jend = h->causal ? i0 + br : h->n; /* no visible column beyond */
  for (int64_t j0 = 0; j0 < jend; j0 += BC) {
    int64_t bc = jend - j0 < BC ? jend - j0 : BC;
    TILE_GEMM(0, 1, br, bc, dh, tau,
            q + i0 * ld, ld, k + j0 * ld, ld, 0, S, BC);
    for (int64_t r = 0; r < br; r++) {
      real *pr = P + r * BC;
      int64_t nc = visible(h, i0 + r, j0, bc);
      if (nc == 0) { /* the whole tile row is masked: contributes nothing */
        memset(pr, 0, (size_t)bc * sizeof(real));
        continue;
      }
      real scale = softmax_tile_row(S + r * BC, pr, nc, bc, &mx[r], &l[r]);
      if (scale != 1) scale_row(o + (i0 + r) * ld, dh, scale); /* 0 on the first tile */
    }
    TILE_GEMM(0, 0, br, dh, bc, 1, P, BC,
            u + j0 * ld, ld, 1, o + i0 * ld, ld);
  }
  for (int64_t r = 0; r < br; r++) {
    scale_row(o + (i0 + r) * ld, dh, (real)(1 / l[r]));
    saved[i0 + r] = mx[r] + (real)log(l[r]);
  }
}

static int threads_for(int64_t blocks) {
  int T = omp_in_parallel() ? 1 : omp_get_max_threads();
  return blocks < T ? (int)(blocks > 0 ? blocks : 1) : T;
}

/* O = softmax_mask(tau Q K^T) U, saved = row log-sum-exp */
static int exact_forward(const fa_head *h, const fa_head_params *p,
                         const real *q, const real *k, const real *u, real *o,
                         real *saved) {
  (void)p;
  const int64_t n = h->n, nb = (n + BR - 1) / BR;
  const int T = threads_for(nb);
  real *S = malloc((size_t)T * (2 * BR * BC + BR) * sizeof(real));
  acc *L = malloc((size_t)T * BR * sizeof(acc));
  if (!S || !L) {
    free(S);
    free(L);
    return 1;
  }
#pragma omp parallel num_threads(T)
  {
    int t = omp_get_thread_num();
    real *St = S + (size_t)t * (2 * BR * BC + BR), *mx = St + 2 * BR * BC;
#pragma omp for schedule(dynamic, 1)
    for (int64_t b = 0; b < nb; b++) {
      int64_t i0 = b * BR, br = n - i0 < BR ? n - i0 : BR;
      forward_rows(h, q, k, u, o, saved, i0, br, St, St + BR * BC, mx,
                   L + (size_t)t * BR);
    }
  }
  free(S);
  free(L);
  return 0;
}

/* Column tile j0 .. j0+bc-1 over every row block that sees it: dK_j and dU_j
 * complete; its part of dQ added into dqa (row stride ldq). lse: saved
 * log-sum-exp, r: <O_i, G_i>. S (scores, then dP and dS), P: BR x BC scratch. */
static void backward_cols(const fa_head *h, const real *q, const real *k,
                          const real *u, const real *g, const real *lse,
                          const real *r, real *dqa, int64_t ldq, real *dk,
                          real *du, int64_t j0, int64_t bc, real *S, real *P) {
  const int64_t n = h->n, ld = h->ld, dh = h->dh;
  const real tau = (real)h->tau;
  for (int64_t c = 0; c < bc; c++) {
    memset(dk + (j0 + c) * ld, 0, (size_t)dh * sizeof(real));
    memset(du + (j0 + c) * ld, 0, (size_t)dh * sizeof(real));
  }
  /* causal: row blocks above the one holding row j0 see none of it */
  for (int64_t i0 = h->causal ? j0 / BR * BR : 0; i0 < n; i0 += BR) {
    int64_t br = n - i0 < BR ? n - i0 : BR;
    /* P = exp(tau Q_i K_j^T - lse_i), masked */
    TILE_GEMM(0, 1, br, bc, dh, tau,
            q + i0 * ld, ld, k + j0 * ld, ld, 0, S, BC);
    for (int64_t rr = 0; rr < br; rr++)
      exp_row(S + rr * BC, P + rr * BC, visible(h, i0 + rr, j0, bc), bc, lse[i0 + rr]);
    /* dU_j += P^T G_i */
    TILE_GEMM(1, 0, bc, dh, br, 1, P, BC,
            g + i0 * ld, ld, 1, du + j0 * ld, ld);
    /* dS = P o (G_i U_j^T - r), in S */
    real *D = S;
    TILE_GEMM(0, 1, br, bc, dh, 1,
            g + i0 * ld, ld, u + j0 * ld, ld, 0, D, BC);
    for (int64_t rr = 0; rr < br; rr++)
      ds_row(D + rr * BC, P + rr * BC, bc, r[i0 + rr]);
    /* Row 0 of a causal head (every row when n = 1) sees one key: F_0 = e_0
     * and dS_0 = dP_00 - r_0 = 0 exactly, but the two are rounded apart.
     * Exact zeros there make dQ, dK (and dWq, dWk) exactly 0 for n = 1. */
    if (i0 == 0 && j0 == 0 && (h->causal || n == 1))
      memset(D, 0, (size_t)bc * sizeof(real));
    /* dK_j += tau dS^T Q_i, dQ_i += tau dS K_j */
    TILE_GEMM(1, 0, bc, dh, br, tau, D, BC,
            q + i0 * ld, ld, 1, dk + j0 * ld, ld);
    TILE_GEMM(0, 0, br, dh, bc, tau, D, BC,
            k + j0 * ld, ld, 1, dqa + i0 * ldq, ldq);
  }
}

/* dQ, dK, dU of O = softmax_mask(tau Q K^T) U given G = dO */
static int exact_backward(const fa_head *h, const fa_head_params *p,
                          const real *q, const real *k, const real *u,
                          const real *o, const real *g, const real *saved,
                          real *dq, real *dk, real *du) {
  (void)p;
  const int64_t n = h->n, ld = h->ld, dh = h->dh, nb = (n + BC - 1) / BC;
  const int T = threads_for(nb);
  real *r = malloc((size_t)n * sizeof(real));
  real *S = malloc((size_t)T * 2 * BR * BC * sizeof(real));
  real *dqt = T > 1 ? calloc((size_t)(T - 1) * n * dh, sizeof(real)) : NULL;
  if (!r || !S || (T > 1 && !dqt)) {
    free(r);
    free(S);
    free(dqt);
    return 1;
  }
  /* r_i = <O_i, G_i> (= rowsum(F o (G U^T))) */
  for (int64_t i = 0; i < n; i++) {
    r[i] = (real)dot_row(o + i * ld, g + i * ld, dh);
    memset(dq + i * ld, 0, (size_t)dh * sizeof(real));
  }
  /* static cyclic schedule: which thread adds which tile's dQ part into
   * which accumulator depends on the thread count only */
#pragma omp parallel num_threads(T)
  {
    int t = omp_get_thread_num();
    real *St = S + (size_t)t * 2 * BR * BC;
    real *dqa = t == 0 ? dq : dqt + (size_t)(t - 1) * n * dh;
    int64_t ldq = t == 0 ? ld : dh;
#pragma omp for schedule(static, 1)
    for (int64_t b = 0; b < nb; b++) {
      int64_t j0 = b * BC, bc = n - j0 < BC ? n - j0 : BC;
      backward_cols(h, q, k, u, g, saved, r, dqa, ldq, dk, du, j0, bc, St,
                    St + BR * BC);
    }
  }
  if (T > 1) {
#pragma omp parallel for num_threads(T) schedule(static)
    for (int64_t i = 0; i < n; i++)
      for (int t = 1; t < T; t++)
        add_row(dqt + ((size_t)(t - 1) * n + i) * dh, dq + i * ld, dh);
  }
  free(r);
  free(S);
  free(dqt);
  return 0;
}

const FA_HEAD_IMPL FA_SFX(fa_head_exact) = {"exact", exact_forward,
                                            exact_backward};
