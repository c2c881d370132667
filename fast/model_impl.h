/* The model of spec/model.md around a pluggable head, written once over
 * `real` (fast/real.h) and compiled by model64.c (double) and model32.c
 * (float). Section numbers below are spec/model.md's. Included once per
 * translation unit: everything but the four entry points is static. */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/config.h"
#include "kern/kern.h"
#include "kern/kern_approx.h"
#include "kern/kern_grad.h"
#include "model.h"
#include "real.h"

#define STATE FA_SFX(fa_model_state)
#define BUFFERS FA_SFX(fa_model_buffers)

/* Matrices of size > this many multiply-adds are split over the threads. */
#define SPLIT_WORK (1 << 18)

/* One layer's weights at the working type (the case's own arrays in double,
 * rounded copies in float); NULL where the config has none. */
typedef struct weights {
  const real *wq, *wk, *wv, *wo, *n1w, *n1b, *n2w, *n2b, *w1, *b1, *w2, *b2;
} weights;

/* What layer l's forward keeps for backward. */
typedef struct layer_state {
  real *xn;          /* Norm1(X), n x d; NULL with norm none (Xn = X) */
  real *mu1, *rs1;   /* per row: mean (layernorm) and 1/sigma, 1/rho */
  real *q, *k, *u;   /* n x d: head h owns columns h*dh .. (h+1)*dh-1 */
  real *c;           /* concat_h(O_h), n x d */
  real *saved;       /* H x n: what each head's forward saved */
  real *y;           /* n x d, when m > 0 (else Y is the layer's output) */
  real *yn;          /* Norm2(Y) when m > 0 and norm != none */
  real *mu2, *rs2;
  real *p, *hm;      /* n x m: P = Yn W1 + b1 and act(P) */
} layer_state;

struct BUFFERS {
  ar_config cfg;
  const char *source; /* the case's file name, for messages */
  int64_t n, d, m, H, L, V;
  real tau;
  weights *w;
  const real *target, *cotangent, *unembed;
  real *act;        /* (L+1) x n x d: X_0 = x, X_{l+1} = layer_l(X_l) */
  layer_state *ls;
  real *probs;      /* xent: n x V row softmax of the logits */
  void **owned;     /* every allocation above, freed by release */
  size_t nowned, capowned;
  int oom;
};
typedef struct BUFFERS buffers;

/* ---- allocation ---- */

/* p <- calloc(count reals), owned by b; NULL and b->oom set on failure */
static real *take(buffers *b, int64_t count) {
  if (b->nowned == b->capowned) {
    size_t cap = b->capowned ? 2 * b->capowned : 64;
    void **o = realloc(b->owned, cap * sizeof *o);
    if (!o) {
      b->oom = 1;
      return NULL;
    }
    b->owned = o;
    b->capowned = cap;
  }
  real *p = calloc(count > 0 ? (size_t)count : 1, sizeof(real));
  if (!p) {
    b->oom = 1;
    return NULL;
  }
  b->owned[b->nowned++] = p;
  return p;
}

/* the array at the working type: itself in double, a rounded copy in float */
static const real *as_real(buffers *b, const double *src, int64_t count) {
  if (!src) return NULL;
#if FA_REAL_BITS == 64
  (void)b;
  (void)count;
  return src;
#else
  real *p = take(b, count);
  if (p)
    for (int64_t i = 0; i < count; i++) p[i] = (real)src[i];
  return p;
#endif
}

static void buffers_free(buffers *b) {
  if (!b) return;
  for (size_t i = 0; i < b->nowned; i++) free(b->owned[i]);
  free(b->owned);
  free(b->w);
  free(b->ls);
  free(b);
}

/* ---- output ---- */

/* out[name] <- src (count reals; dims/ndim its shape), at the working dtype */
static int put(ar_tensorset *out, const char *name, int ndim,
               const int64_t *dims, const real *src, ar_error *err) {
  ar_tensor *t = ar_tensorset_add(out, name, FA_DTYPE, ndim, dims, err);
  if (!t) return err->code;
  for (int64_t i = 0; i < t->numel; i++) t->data[i] = (double)src[i];
  return AR_OK;
}

/* out[name] <- an accumulated vector, rounded to the working type */
static int put_acc(ar_tensorset *out, const char *name, int64_t len,
                   const acc *src, ar_error *err) {
  ar_tensor *t = ar_tensorset_add(out, name, FA_DTYPE, 1, &len, err);
  if (!t) return err->code;
  for (int64_t i = 0; i < len; i++) t->data[i] = (double)(real)src[i];
  return AR_OK;
}

static int put_matrix(ar_tensorset *out, const char *name, int64_t rows,
                      int64_t cols, const real *src, ar_error *err) {
  int64_t dims[2] = {rows, cols};
  return put(out, name, 2, dims, src, err);
}

/* ---- products (section 2) ---- */

/* C <- alpha op(A) op(B) + beta C, row-major, C: M x N. Large products are
 * cut into blocks of rows (or columns) of C, one per thread: every element
 * is still one call's dot product, so the thread count changes no more than
 * the rounding of BLAS's blocking. */
#include "kern/kern_gemm.h"
/* One BLAS call: in double the proved wrapper kern_gemm (fast/kern/kern_gemm.h: the same
 * cblas_dgemm call, with a contract over BLAS's assumed bound), in float cblas_sgemm. */
#if FA_REAL_BITS == 64
#define GEMM_CALL kern_gemm
#else
#define GEMM_CALL(ta, tb, ...)                                                 \
  FA_GEMM(CblasRowMajor, (ta) ? CblasTrans : CblasNoTrans,                    \
          (tb) ? CblasTrans : CblasNoTrans, __VA_ARGS__)
#endif
static void gemm(int ta, int tb, int64_t M, int64_t N, int64_t K, real alpha,
                 const real *A, int64_t lda, const real *B, int64_t ldb,
                 real beta, real *C, int64_t ldc) {
  if (M <= 0 || N <= 0) return;
  int T = omp_in_parallel() ? 1 : omp_get_max_threads();
  if (T <= 1 || (double)M * N * K < SPLIT_WORK) {
    GEMM_CALL(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    return;
  }
  int rows = M >= N; /* cut the longer side */
  int64_t len = rows ? M : N;
  if (T > len) T = (int)len;
#pragma omp parallel for num_threads(T) schedule(static)
  for (int t = 0; t < T; t++) {
    int64_t a = len * t / T, e = len * (t + 1) / T;
    if (rows) /* rows a..e of op(A) and C */
      GEMM_CALL(ta, tb, e - a, N, K, alpha, ta ? A + a : A + a * lda, lda, B,
                ldb, beta, C + a * ldc, ldc);
    else /* columns a..e of op(B) and C */
      GEMM_CALL(ta, tb, M, e - a, K, alpha, A, lda, tb ? B + a * ldb : B + a,
                ldb, beta, C + a, ldc);
  }
}

/* The reductions and row updates below are calls of the proved kernels of fast/kern
 * (proofs/REPORT.md): kern_axpy, ... in double, kern_axpy_f32, ... (kern_f32.h) in float,
 * their sums in double at both widths. */

/* Y <- Y + 1 b^T (b: cols) */
static void add_bias(int64_t rows, int64_t cols, const real *b, real *y) {
#pragma omp parallel for if (rows * cols > SPLIT_WORK) schedule(static)
  for (int64_t i = 0; i < rows; i++) FA_SFX(kern_axpy)(cols, 1.0, b, y + i * cols);
}

/* db <- dY^T 1 (column sums, accumulated) */
static void col_sums(int64_t rows, int64_t cols, const real *dy, acc *db) {
#pragma omp parallel for if (rows * cols > SPLIT_WORK) schedule(static)
  for (int64_t j = 0; j < cols; j++) db[j] = FA_SFX(kern_row_sum)(rows, dy + j, cols);
}

/* (mean, var) of a row of d: layernorm's about the mean, rmsnorm's about 0 (mean = 0) */
static void row_stats(ar_norm kind, int64_t d, const real *xi, acc *mean, acc *var) {
  if (kind == AR_NORM_LAYER) {
    FA_SFX(kern_mean_var)(d, xi, 1, mean, var);
  } else {
    *mean = 0;
    *var = FA_SFX(kern_var_about)(d, xi, 1, 0.0);
  }
}

/* sum_k x_k y_k over n entries, accumulated in double */
static acc dot_acc(int64_t n, const real *x, const real *y) {
  return FA_SFX(kern_dot)(n, x, 1, y, 1);
}

/* ---- norms (sections 3, 4) ---- */

/* y <- Norm(x) per row: layernorm (x - mu)/sigma gamma + beta, rmsnorm
 * x/rho gamma; keeps mu (layernorm) and rs = 1/sigma or 1/rho per row */
static void norm_forward(ar_norm kind, int64_t n, int64_t d, double eps,
                         const real *x, const real *gw, const real *gb,
                         real *y, real *mu, real *rs) {
#pragma omp parallel for if (n * d > SPLIT_WORK) schedule(static)
  for (int64_t i = 0; i < n; i++) {
    const real *xi = x + i * d;
    acc mean, var;
    row_stats(kind, d, xi, &mean, &var);
    mu[i] = (real)mean;
    rs[i] = (real)(1 / sqrt(var + eps));
    /* y = rnd(rnd(xhat gamma) + beta): the proved xhat, then the products and the bias */
    real *yi = y + i * d;
    FA_SFX(kern_norm_xhat)(d, xi, mu[i], rs[i], yi);
    FA_SFX(kern_vmul)(d, gw, yi);
    if (gb) FA_SFX(kern_axpy)(d, 1.0, gb, yi);
  }
}

/* Backward of y = xhat o gamma (+ beta), given dy, g = dy o gamma:
 *   layernorm dx = rs (g - mean(g) - xhat mean(g o xhat))
 *   rmsnorm   dx = rs (g - xhat mean(g o xhat))
 *   dgamma = sum_rows dy o xhat, dbeta = sum_rows dy.
 * dx is added to when accumulate (the residual's dY is already there).
 * xs, gs: n x d scratch (apart from the rest; xhat and g o gamma by rows). */
static void norm_backward(ar_norm kind, int64_t n, int64_t d, const real *x,
                          const real *gw, const real *mu, const real *rs,
                          const real *dy, real *dx, int accumulate, acc *dgw,
                          acc *dgb, real *xs, real *gs) {
  /* Every step a proved kernel (FA_SFX: kern_grad.h's in double, kern_grad_f32.h's in float):
   * xhat_i (kept for dgamma), g = dy o gamma, the row sums (in double), then dx_i in place of g
   * (written straight into dx unless it is added to dx). */
#pragma omp parallel for if (n * d > SPLIT_WORK) schedule(static)
  for (int64_t i = 0; i < n; i++) {
    real *xh = xs + i * d, *gi = accumulate ? gs + i * d : dx + i * d;
    FA_SFX(kern_norm_xhat)(d, x + i * d, mu[i], rs[i], xh);
    memcpy(gi, dy + i * d, (size_t)d * sizeof(real));
    FA_SFX(kern_vmul)(d, gw, gi);
    acc mg = FA_SFX(kern_row_sum)(d, gi, 1), mgx = FA_SFX(kern_dot)(d, gi, 1, xh, 1);
    real mgr = kind == AR_NORM_LAYER ? (real)(mg / (acc)d) : 0;
    real mgxr = (real)(mgx / (acc)d);
    FA_SFX(kern_norm_dx)(d, xh, mgr, mgxr, rs[i], gi);
    if (accumulate) FA_SFX(kern_axpy)(d, 1.0, gi, dx + i * d);
  }
  /* dgamma_k = sum_i dy_ik xhat_ik, down column k */
#pragma omp parallel for if (n * d > SPLIT_WORK) schedule(static)
  for (int64_t k = 0; k < d; k++) dgw[k] = FA_SFX(kern_dot)(n, dy + k, d, xs + k, d);
  if (dgb) col_sums(n, d, dy, dgb);
}

/* ---- activations (section 8) ---- */

/* relu(x) = max(x, 0); gelu(x) = x Phi(x), Phi(x) = (1 + erf(x/sqrt2))/2 */
static real act_forward(ar_act a, real x) {
  if (a == AR_ACT_RELU) return x > 0 ? x : 0;
  return x * (real)0.5 * (1 + erf(x * (real)0.70710678118654752440));
}

/* relu'(x) = [x > 0] (relu'(0) = 0); gelu'(x) = Phi(x) + x phi(x),
 * phi(x) = exp(-x^2/2)/sqrt(2 pi) */
static real act_backward(ar_act a, real x) {
  if (a == AR_ACT_RELU) return x > 0 ? 1 : 0;
  real Phi = (real)0.5 * (1 + erf(x * (real)0.70710678118654752440));
  return Phi + x * exp(-x * x / 2) * (real)0.39894228040143267794;
}

/* ---- one attention head per column block (sections 5, 6) ---- */

/* R <- tau max_i |q_i| max_j |k_j| (Cauchy-Schwarz: >= every |score|) */
static double score_radius(const fa_head *h, const real *q, const real *k) {
  acc mq = 0, mk = 0;
  for (int64_t i = 0; i < h->n; i++) {
    const real *qi = q + i * h->ld, *ki = k + i * h->ld;
    acc sq = FA_SFX(kern_dot)(h->dh, qi, 1, qi, 1), sk = FA_SFX(kern_dot)(h->dh, ki, 1, ki, 1);
    if (sq > mq) mq = sq;
    if (sk > mk) mk = sk;
  }
  return fabs(h->tau) * sqrt(mq) * sqrt(mk);
}

/* Heads run in parallel when there are at least as many as threads;
 * otherwise one by one, each using the threads itself. */
static int heads_in_parallel(int64_t H) {
  int T = omp_in_parallel() ? 1 : omp_get_max_threads();
  return T > 1 && H >= T;
}

static fa_head head_of(const buffers *b) {
  fa_head h = {b->n, b->d / b->H, b->d, b->cfg.causal, (double)b->tau};
  return h;
}

/* C[:, head h] <- O_h = softmax_mask(tau Q_h K_h^T) U_h for every head */
static int heads_forward(const buffers *b, const FA_HEAD_IMPL *head,
                         const fa_head_params *p, layer_state *ls) {
  fa_head h = head_of(b);
  int fail = 0;
#pragma omp parallel for if (heads_in_parallel(b->H)) schedule(static) \
    reduction(| : fail)
  for (int64_t hh = 0; hh < b->H; hh++) {
    int64_t off = hh * h.dh;
    fa_head_params ph = *p;
    ph.radius = score_radius(&h, ls->q + off, ls->k + off);
    fail |= head->forward(&h, &ph, ls->q + off, ls->k + off, ls->u + off,
                          ls->c + off, ls->saved + hh * b->n) != 0;
  }
  return fail;
}

/* dQ, dK, dU [:, head h] <- the head's backward given G_h = dC[:, head h] */
static int heads_backward(const buffers *b, const FA_HEAD_IMPL *head,
                          const fa_head_params *p, const layer_state *ls,
                          const real *dc, real *dq, real *dk, real *du) {
  fa_head h = head_of(b);
  int fail = 0;
#pragma omp parallel for if (heads_in_parallel(b->H)) schedule(static) \
    reduction(| : fail)
  for (int64_t hh = 0; hh < b->H; hh++) {
    int64_t off = hh * h.dh;
    fa_head_params ph = *p;
    ph.radius = score_radius(&h, ls->q + off, ls->k + off);
    fail |= head->backward(&h, &ph, ls->q + off, ls->k + off, ls->u + off,
                           ls->c + off, dc + off, ls->saved + hh * b->n,
                           dq + off, dk + off, du + off) != 0;
  }
  return fail;
}

/* ---- state set-up ---- */

static buffers *buffers_new(const ar_case *c) {
  const ar_config *cfg = &c->cfg;
  buffers *b = calloc(1, sizeof *b);
  if (!b) return NULL;
  b->cfg = *cfg;
  b->source = c->source ? c->source : "case";
  b->n = cfg->n, b->d = cfg->d, b->m = cfg->mlp, b->H = cfg->heads;
  b->L = cfg->layers, b->V = cfg->vocab;
  /* tau exactly 1/sqrt(dh) at the working precision, or the config's */
  b->tau = cfg->has_scale ? (real)cfg->scale
                          : 1 / sqrt((real)ar_config_head_dim(cfg));
  int64_t n = b->n, d = b->d, m = b->m, L = b->L, nd = n * d;
  b->w = calloc((size_t)L, sizeof *b->w);
  b->ls = calloc((size_t)L, sizeof *b->ls);
  if (!b->w || !b->ls) {
    buffers_free(b);
    return NULL;
  }
  int norm = cfg->norm != AR_NORM_NONE;
  for (int64_t l = 0; l < L; l++) {
    const ar_layer_weights *cw = &c->layer[l];
    weights *w = &b->w[l];
    w->wq = as_real(b, cw->wq, d * d);
    w->wk = as_real(b, cw->wk, d * d);
    w->wv = as_real(b, cw->wv, d * d);
    w->wo = as_real(b, cw->wo, d * d);
    w->n1w = as_real(b, cw->norm1_w, d);
    w->n1b = as_real(b, cw->norm1_b, d);
    w->n2w = as_real(b, cw->norm2_w, d);
    w->n2b = as_real(b, cw->norm2_b, d);
    w->w1 = as_real(b, cw->w1, d * m);
    w->b1 = as_real(b, cw->b1, m);
    w->w2 = as_real(b, cw->w2, m * d);
    w->b2 = as_real(b, cw->b2, d);
    layer_state *ls = &b->ls[l];
    if (norm) {
      ls->xn = take(b, nd);
      ls->mu1 = take(b, n);
      ls->rs1 = take(b, n);
    }
    ls->q = take(b, nd);
    ls->k = take(b, nd);
    ls->u = take(b, nd);
    ls->c = take(b, nd);
    ls->saved = take(b, b->H * n);
    if (m > 0) {
      ls->y = take(b, nd);
      if (norm) {
        ls->yn = take(b, nd);
        ls->mu2 = take(b, n);
        ls->rs2 = take(b, n);
      }
      ls->p = take(b, n * m);
      ls->hm = take(b, n * m);
    }
  }
  b->target = as_real(b, c->target, nd);
  b->cotangent = as_real(b, c->cotangent, nd);
  b->unembed = as_real(b, c->unembed, d * b->V);
  b->act = take(b, (L + 1) * nd);
  if (cfg->loss == AR_LOSS_XENT) b->probs = take(b, n * b->V);
  if (b->act)
    for (int64_t i = 0; i < nd; i++) b->act[i] = (real)c->x[i];
  if (b->oom) {
    buffers_free(b);
    return NULL;
  }
  return b;
}

/* ---- one layer (section 9) ---- */

/* X' <- layer l (X) */
static int layer_forward(buffers *b, int64_t l, const FA_HEAD_IMPL *head,
                         const fa_head_params *p) {
  int64_t n = b->n, d = b->d, m = b->m;
  const weights *w = &b->w[l];
  layer_state *ls = &b->ls[l];
  const real *x = b->act + l * n * d;
  real *xout = b->act + (l + 1) * n * d;
  const real *xn = x;
  if (ls->xn) {
    norm_forward(b->cfg.norm, n, d, b->cfg.norm_eps, x, w->n1w, w->n1b, ls->xn,
                 ls->mu1, ls->rs1);
    xn = ls->xn;
  }
  gemm(0, 0, n, d, d, 1, xn, d, w->wq, d, 0, ls->q, d);
  gemm(0, 0, n, d, d, 1, xn, d, w->wk, d, 0, ls->k, d);
  gemm(0, 0, n, d, d, 1, xn, d, w->wv, d, 0, ls->u, d);
  if (heads_forward(b, head, p, ls)) return 1;
  /* Y = X + C Wo (Y = C Wo without residual) */
  real *y = m > 0 ? ls->y : xout;
  if (b->cfg.residual) memcpy(y, x, (size_t)(n * d) * sizeof(real));
  gemm(0, 0, n, d, d, 1, ls->c, d, w->wo, d, b->cfg.residual ? 1 : 0, y, d);
  if (m == 0) return 0;
  /* Z = Y + act(Yn W1 + b1) W2 + b2 */
  const real *yn = y;
  if (ls->yn) {
    norm_forward(b->cfg.norm, n, d, b->cfg.norm_eps, y, w->n2w, w->n2b, ls->yn,
                 ls->mu2, ls->rs2);
    yn = ls->yn;
  }
  gemm(0, 0, n, m, d, 1, yn, d, w->w1, m, 0, ls->p, m);
  add_bias(n, m, w->b1, ls->p);
  ar_act a = b->cfg.act;
#pragma omp parallel for if (n * m > SPLIT_WORK) schedule(static)
  for (int64_t i = 0; i < n * m; i++) ls->hm[i] = act_forward(a, ls->p[i]);
  if (b->cfg.residual) memcpy(xout, y, (size_t)(n * d) * sizeof(real));
  gemm(0, 0, n, d, m, 1, ls->hm, m, w->w2, d, b->cfg.residual ? 1 : 0, xout,
       d);
  add_bias(n, d, w->b2, xout);
  return 0;
}

/* Workspace of one layer's backward, reused by every layer. */
typedef struct grads {
  real *dx, *dy, *dc, *dq, *dk, *du, *dyn; /* n x d */
  real *dh;                                /* n x m */
  real *dw;                                /* max(d*d, d*m) */
  acc *dvec;                               /* max(2d, m) */
} grads;

/* the layer's weight gradients named grad.layers.{l}.<what> */
static int put_layer(ar_tensorset *out, int64_t l, const char *what,
                     int64_t rows, int64_t cols, const real *src,
                     ar_error *err) {
  char name[96];
  snprintf(name, sizeof name, "grad.layers.%lld.%s", (long long)l, what);
  return put_matrix(out, name, rows, cols, src, err);
}

static int put_layer_vec(ar_tensorset *out, int64_t l, const char *what,
                         int64_t len, const acc *src, ar_error *err) {
  char name[96];
  snprintf(name, sizeof name, "grad.layers.%lld.%s", (long long)l, what);
  return put_acc(out, name, len, src, err);
}

/* Layer l's backward: g->dx (dX'; overwritten by dX) -> dX, and the layer's
 * weight gradients into out. */
static int layer_backward(buffers *b, int64_t l, const FA_HEAD_IMPL *head,
                          const fa_head_params *p, grads *g,
                          ar_tensorset *out, ar_error *err) {
  int64_t n = b->n, d = b->d, m = b->m;
  const weights *w = &b->w[l];
  const layer_state *ls = &b->ls[l];
  const real *x = b->act + l * n * d;
  const real *xn = ls->xn ? ls->xn : x;
  int res = b->cfg.residual, rc = AR_OK;
  ar_norm norm = b->cfg.norm;
  real *dy = g->dx; /* dY = dX' without an MLP */
  if (m > 0) {
    /* Z = [Y +] Hm W2 + 1 b2^T, Hm = act(P), P = Yn W1 + 1 b1^T */
    const real *dz = g->dx, *yn = ls->yn ? ls->yn : ls->y;
    col_sums(n, d, dz, g->dvec);
    if ((rc = put_layer_vec(out, l, "mlp.b2", d, g->dvec, err))) return rc;
    gemm(1, 0, m, d, n, 1, ls->hm, m, dz, d, 0, g->dw, d);
    if ((rc = put_layer(out, l, "mlp.w2", m, d, g->dw, err))) return rc;
    gemm(0, 1, n, m, d, 1, dz, d, w->w2, d, 0, g->dh, m);
    ar_act a = b->cfg.act;
#pragma omp parallel for if (n * m > SPLIT_WORK) schedule(static)
    for (int64_t i = 0; i < n * m; i++) g->dh[i] *= act_backward(a, ls->p[i]);
    col_sums(n, m, g->dh, g->dvec);
    if ((rc = put_layer_vec(out, l, "mlp.b1", m, g->dvec, err))) return rc;
    gemm(1, 0, d, m, n, 1, yn, d, g->dh, m, 0, g->dw, m);
    if ((rc = put_layer(out, l, "mlp.w1", d, m, g->dw, err))) return rc;
    dy = g->dy;
    if (res) memcpy(dy, dz, (size_t)(n * d) * sizeof(real));
    if (norm == AR_NORM_NONE) {
      gemm(0, 1, n, d, m, 1, g->dh, m, w->w1, m, res ? 1 : 0, dy, d);
    } else {
      gemm(0, 1, n, d, m, 1, g->dh, m, w->w1, m, 0, g->dyn, d);
      acc *dgb = norm == AR_NORM_LAYER ? g->dvec + d : NULL;
      norm_backward(norm, n, d, ls->y, w->n2w, ls->mu2, ls->rs2, g->dyn, dy,
                    res, g->dvec, dgb, g->dq, g->dk); /* dq, dk: not in use yet */
      if ((rc = put_layer_vec(out, l, "norm2.weight", d, g->dvec, err)))
        return rc;
      if (dgb && (rc = put_layer_vec(out, l, "norm2.bias", d, dgb, err)))
        return rc;
    }
  }
  /* Y = [X +] C Wo */
  gemm(1, 0, d, d, n, 1, ls->c, d, dy, d, 0, g->dw, d);
  if ((rc = put_layer(out, l, "wo", d, d, g->dw, err))) return rc;
  gemm(0, 1, n, d, d, 1, dy, d, w->wo, d, 0, g->dc, d);
  if (heads_backward(b, head, p, ls, g->dc, g->dq, g->dk, g->du))
    return ar_fail(err, AR_FAIL_INTERNAL,
                   "%s: layer %lld: head %s backward: out of memory",
                   b->source, (long long)l, head->name);
  /* Q, K, U = Xn Wq, Xn Wk, Xn Wv */
  gemm(1, 0, d, d, n, 1, xn, d, g->dq, d, 0, g->dw, d);
  if ((rc = put_layer(out, l, "wq", d, d, g->dw, err))) return rc;
  gemm(1, 0, d, d, n, 1, xn, d, g->dk, d, 0, g->dw, d);
  if ((rc = put_layer(out, l, "wk", d, d, g->dw, err))) return rc;
  gemm(1, 0, d, d, n, 1, xn, d, g->du, d, 0, g->dw, d);
  if ((rc = put_layer(out, l, "wv", d, d, g->dw, err))) return rc;
  /* dXn = dQ Wq^T + dK Wk^T + dU Wv^T; dX = Norm1_backward(dXn) [+ dY] */
  real *dx = g->dx, *dxn = norm == AR_NORM_NONE ? g->dx : g->dyn;
  int keep = norm == AR_NORM_NONE && res; /* dX starts as dY */
  if (keep && dx != dy) memcpy(dx, dy, (size_t)(n * d) * sizeof(real));
  gemm(0, 1, n, d, d, 1, g->dq, d, w->wq, d, keep ? 1 : 0, dxn, d);
  gemm(0, 1, n, d, d, 1, g->dk, d, w->wk, d, 1, dxn, d);
  gemm(0, 1, n, d, d, 1, g->du, d, w->wv, d, 1, dxn, d);
  if (norm == AR_NORM_NONE) return AR_OK;
  if (res && dx != dy) memcpy(dx, dy, (size_t)(n * d) * sizeof(real));
  acc *dgb = norm == AR_NORM_LAYER ? g->dvec + d : NULL;
  norm_backward(norm, n, d, x, w->n1w, ls->mu1, ls->rs1, dxn, dx, res,
                g->dvec, dgb, g->dq, g->dk); /* dq, dk: consumed above */
  if ((rc = put_layer_vec(out, l, "norm1.weight", d, g->dvec, err))) return rc;
  if (dgb && (rc = put_layer_vec(out, l, "norm1.bias", d, dgb, err)))
    return rc;
  return AR_OK;
}

/* ---- loss (section 11) ---- */

/* *loss <- mse (1/2)||X_L - T||^2 | linear <X_L, C> |
 * xent (1/n) sum_i (lse_i - Lg_{i,y_i}), Lg = X_L Wu; xent keeps
 * P = softmax(Lg) by rows, e^(Lg - max) / sum, the sum accumulated. Returns 0, or 1 when out of memory. */
static int loss_forward(buffers *b, const int64_t *labels, acc *loss) {
  int64_t n = b->n, d = b->d, V = b->V, nd = n * d;
  const real *x = b->act + b->L * nd;
  acc s = 0;
  switch (b->cfg.loss) {
  case AR_LOSS_MSE:
    for (int64_t i = 0; i < nd; i++) {
      acc dv = (acc)x[i] - b->target[i];
      s += dv * dv;
    }
    *loss = s / 2;
    return 0;
  case AR_LOSS_LINEAR:
    *loss = dot_acc(nd, x, b->cotangent);
    return 0;
  case AR_LOSS_XENT:
    break;
  }
  acc *row = malloc((size_t)n * sizeof *row);
  if (!row) return 1;
  real *lg = b->probs;
  gemm(0, 0, n, V, d, 1, x, d, b->unembed, V, 0, lg, V);
  int oom = 0;
#pragma omp parallel if (n * V > SPLIT_WORK)
  {
    real *e = malloc((size_t)V * sizeof *e); /* the row's exponentials */
    if (!e) {
#pragma omp atomic write
      oom = 1;
    }
#pragma omp for schedule(static)
    for (int64_t i = 0; i < n; i++) {
      real *li = lg + i * V, ly = li[labels[i]];
      if (!e) continue;
      real mx = FA_SFX(KERN_SOFTMAX_M0);
      acc se = 0;
      FA_SFX(kern_online_softmax_update)(V, li, e, &mx, &se); /* one tile: the whole row */
      /* lse - Lg_y = (mx - Lg_y) + log(se): no cancellation when the label
       * holds the largest logit (se near 1, the loss near 0) */
      row[i] = (acc)(mx - ly) + log(se);
      for (int64_t j = 0; j < V; j++) li[j] = (real)(e[j] / se);
    }
    free(e);
  }
  if (oom) {
    free(row);
    return 1;
  }
  for (int64_t i = 0; i < n; i++) s += row[i];
  free(row);
  *loss = s / (acc)n;
  return 0;
}

/* dx <- dL/dX_L, and the loss input's gradient into out:
 * mse dX = X - T, dT = T - X; linear dX = C, dC = X;
 * xent dLg = (P - E)/n, dWu = X^T dLg, dX = dLg Wu^T */
static int loss_backward(buffers *b, const int64_t *labels, real *dx,
                         ar_tensorset *out, ar_error *err) {
  int64_t n = b->n, d = b->d, V = b->V, nd = n * d;
  const real *x = b->act + b->L * nd;
  switch (b->cfg.loss) {
  case AR_LOSS_MSE:
    for (int64_t i = 0; i < nd; i++) dx[i] = b->target[i] - x[i];
    if (put_matrix(out, "grad.target", n, d, dx, err)) return err->code;
    for (int64_t i = 0; i < nd; i++) dx[i] = -dx[i];
    return AR_OK;
  case AR_LOSS_LINEAR:
    memcpy(dx, b->cotangent, (size_t)nd * sizeof(real));
    return put_matrix(out, "grad.cotangent", n, d, x, err);
  case AR_LOSS_XENT:
    break;
  }
  real *dlg = take(b, n * V), *dwu = take(b, d * V);
  if (b->oom)
    return ar_fail(err, AR_FAIL_INTERNAL, "%s: out of memory (xent backward)",
                   b->source);
  /* the label's entry P_iy - 1 as minus the other probabilities (they sum
   * to 1 - P_iy): no cancellation when P_iy is near 1 */
  for (int64_t i = 0; i < n; i++) {
    const real *pi = b->probs + i * V;
    acc rest = 0;
    for (int64_t j = 0; j < V; j++) {
      dlg[i * V + j] = pi[j] / (real)n;
      if (j != labels[i]) rest += pi[j];
    }
    dlg[i * V + labels[i]] = (real)(-rest / (acc)n);
  }
  gemm(1, 0, d, V, n, 1, x, d, dlg, V, 0, dwu, V);
  gemm(0, 1, n, d, V, 1, dlg, V, b->unembed, V, 0, dx, d);
  return put_matrix(out, "grad.unembed", d, V, dwu, err);
}

/* ---- entry points (model.h) ---- */

static void blas_serial(void) {
  if (openblas_get_num_threads() != 1) openblas_set_num_threads(1);
}

void FA_SFX(fa_model_release)(STATE *st) {
  if (!st) return;
  buffers_free(st->b);
  st->b = NULL;
}

int FA_SFX(fa_model_forward)(const ar_case *c, const FA_HEAD_IMPL *head,
                             const fa_head_params *p, STATE *st,
                             ar_tensorset *out, ar_error *err) {
  const char *src = c->source ? c->source : "case";
  blas_serial();
  FA_SFX(fa_model_release)(st);
  buffers *b = st->b = buffers_new(c);
  if (!b)
    return ar_fail(err, AR_FAIL_INTERNAL, "%s: out of memory (model state)",
                   src);
  int64_t n = b->n, d = b->d;
  for (int64_t l = 0; l < b->L; l++)
    if (layer_forward(b, l, head, p))
      return ar_fail(err, AR_FAIL_INTERNAL,
                     "%s: layer %lld: head %s forward: out of memory", src,
                     (long long)l, head->name);
  acc loss;
  if (loss_forward(b, c->labels, &loss))
    return ar_fail(err, AR_FAIL_INTERNAL, "%s: out of memory (loss)", src);
  ar_tensor *t = ar_tensorset_add(out, "loss", FA_DTYPE, 0, NULL, err);
  if (!t) return err->code;
  t->data[0] = (double)(real)loss;
  for (int64_t l = 0; l < b->L; l++) {
    char name[64];
    snprintf(name, sizeof name, "act.layers.%lld", (long long)l);
    int rc = put_matrix(out, name, n, d, b->act + (l + 1) * n * d, err);
    if (rc) return rc;
  }
  char *json = ar_config_to_json(&c->cfg);
  if (!json)
    return ar_fail(err, AR_FAIL_INTERNAL, "%s: out of memory (config)", src);
  int rc = ar_tensorset_set_meta(out, AR_CONFIG_KEY, json, err);
  free(json);
  return rc;
}

int FA_SFX(fa_model_backward)(const ar_case *c, const FA_HEAD_IMPL *head,
                              const fa_head_params *p, STATE *st,
                              ar_tensorset *out, ar_error *err) {
  buffers *b = st ? st->b : NULL;
  if (!b)
    return ar_fail(err, AR_FAIL_INTERNAL,
                   "%s: fast model backward without its forward",
                   c->source ? c->source : "case");
  blas_serial();
  int64_t n = b->n, d = b->d, m = b->m, nd = n * d;
  grads g;
  g.dx = take(b, nd), g.dy = take(b, nd), g.dc = take(b, nd);
  g.dq = take(b, nd), g.dk = take(b, nd), g.du = take(b, nd);
  g.dyn = take(b, nd);
  g.dh = take(b, n * m);
  g.dw = take(b, d * (d > m ? d : m));
  g.dvec = malloc((size_t)(2 * d > m ? 2 * d : m) * sizeof(acc));
  if (b->oom || !g.dvec) {
    free(g.dvec);
    return ar_fail(err, AR_FAIL_INTERNAL, "%s: out of memory (backward)",
                   b->source);
  }
  int rc = loss_backward(b, c->labels, g.dx, out, err);
  for (int64_t l = b->L - 1; l >= 0 && rc == AR_OK; l--) {
    char name[64];
    snprintf(name, sizeof name, "grad.act.layers.%lld", (long long)l);
    rc = put_matrix(out, name, n, d, g.dx, err);
    if (rc == AR_OK) rc = layer_backward(b, l, head, p, &g, out, err);
  }
  if (rc == AR_OK) rc = put_matrix(out, "grad.x", n, d, g.dx, err);
  free(g.dvec);
  return rc;
}
