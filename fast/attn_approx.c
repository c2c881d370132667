/* The polynomial-method attention head (attn_approx.h).
 *
 * Notation: A~_ij = P(tau <q_i,k_j>) = <phi_i, psi_j> (0 for j > i when
 * causal), D~_i = sum_j A~_ij, F~ = D~^-1 A~, O = F~ U.
 *
 * Which gradient. The backward pass follows DESIGN §4: it evaluates the EXACT
 * head's gradient formulas with F~ in place of F,
 *   dU = F~^T G,  r_i = <O_i, G_i>,  dS~ = F~ o (G U^T) - diag(r) F~,
 *   dQ = tau dS~ K,  dK = tau dS~^T Q,
 * which is what Alman & Song approximate. It is NOT the derivative of the
 * approximate forward (that would differentiate P, i.e. use P' in place of
 * exp' = exp). Both tend to the exact gradient as eps(g,R) -> 0; the tests
 * check this one converges to the exact gradient as g grows.
 *
 * Rows are processed in blocks of b. Sums over all j (non-causal) are states
 * accumulated over every block first; causal sums over j <= i are running
 * prefix states over earlier blocks (suffix states over later blocks for the
 * sums over i >= j of dK, dU), plus an explicit b x b lower-triangular
 * product on each diagonal block, where A~_ij is evaluated as
 * P(tau <q_i,k_j>) by Horner: equal to <phi_i, psi_j> in exact arithmetic
 * and cheaper (O(dh + g) instead of O(r)). */
#include "attn_approx.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "../src/error.h"
#include "features.h"
#include "kern/kern.h"
#include "kern/kern_approx.h"
#include "kern/kern_horner.h"

/* R <- |tau| * max_i |q_i| * max_j |k_j| */
double fa_approx_radius(const fa_head *h, const double *q, const double *k) {
  double mq = 0, mk = 0;
  for (int64_t i = 0; i < h->n; i++) {
    const double *qi = q + i * h->ld, *ki = k + i * h->ld;
    double sq = kern_dot(h->dh, qi, 1, qi, 1), sk = kern_dot(h->dh, ki, 1, ki, 1);
    if (sq > mq) mq = sq;
    if (sk > mk) mk = sk;
  }
  /* up by the rounding bound of the sums of dh squares, the square roots and
   * the products, so R cannot fall short of |tau| |q||k| */
  return fabs(h->tau) * sqrt(mq) * sqrt(mk) * (1 + (double)(h->dh + 8) * 0x1p-52);
}

double fa_approx_head_radius(const fa_head *h, const fa_head_params *p,
                             const double *q, const double *k) {
  double R = fa_approx_radius(h, q, k);
  return p->radius > R ? p->radius : R;
}

int fa_approx_poly(const fa_head_params *p, double R, fa_poly *out) {
  return fa_poly_init(out, p->chebyshev ? FA_POLY_CHEBYSHEV : FA_POLY_TAYLOR,
                      p->degree, R);
}

/* the largest block: the diagonal blocks keep one row of b terms on the stack */
#define FA_APPROX_BMAX 256

/* b <- rows per block: large enough for dgemm to run well, small enough that
 * the b x r feature buffer stays near 32 MiB */
int64_t fa_approx_block_rows(int64_t r, int64_t dh) {
  int64_t b = ((int64_t)1 << 22) / (r > 0 ? r : 1);
  if (b > FA_APPROX_BMAX) b = FA_APPROX_BMAX;
  if (b < 16) b = 16;
  return b;
}

static int scan_threads(int64_t nblocks);

/* the scan's peak (the widest state, backward's Tq, w = dh^2 + 2dh):
 * nt+1 states r x w, nt buffers b x r + 2 b x w; plus D~, rr (n each) and
 * the feature table (28 bytes per feature) */
int64_t fa_approx_bytes(int64_t n, int64_t dh, int g) {
  int64_t r = fa_features_rank(dh > INT32_MAX ? -1 : (int)dh, g);
  if (r < 0) return -1;
  int64_t b = fa_approx_block_rows(r, dh), nt = scan_threads(INT64_MAX), w,
          st, buf, tot;
  if (!ar_mul_ok(dh, dh + 2, &w) || !ar_mul_ok(r, w, &st) ||
      !ar_mul_ok(st, nt + 1, &st) || !ar_mul_ok(b, r + 2 * w, &buf) ||
      !ar_mul_ok(buf, nt, &buf) || !ar_add_ok(st, buf, &tot) ||
      !ar_add_ok(tot, 2 * n + 4 * r, &tot) || !ar_mul_ok(tot, 8, &tot))
    return -1;
  return tot;
}

/* What one call needs: the polynomial, the feature table, the block size. */
typedef struct ctx {
  const fa_head *h;
  fa_poly poly;
  fa_features feat;
  int64_t r, b;
} ctx;

static void ctx_free(ctx *c) {
  fa_features_free(&c->feat);
  fa_poly_free(&c->poly);
}

static int ctx_init(ctx *c, const fa_head *h, const fa_head_params *p,
                    const double *q, const double *k) {
  memset(c, 0, sizeof *c);
  c->h = h;
  if (fa_approx_poly(p, fa_approx_head_radius(h, p, q, k), &c->poly))
    return -1;
  if (h->dh > INT32_MAX ||
      fa_features_init(&c->feat, (int)h->dh, &c->poly, h->tau)) {
    fa_poly_free(&c->poly);
    return -1;
  }
  c->r = c->feat.r;
  c->b = fa_approx_block_rows(c->r, h->dh);
  return 0;
}

/* <x, y> over dh entries (the proved kern_dot) */
static double dot(const double *x, const double *y, int64_t dh) {
  return kern_dot(dh, x, 1, y, 1);
}

/* S (r x w) += F^T V, F = feature rows of the block (bn x r), V (bn x w): one
 * cblas_dgemm behind the proved wrapper */
static void state_add(const ctx *c, int64_t bn, const double *F,
                      const double *V, int64_t w, double *S) {
  kern_state_add(c->r, w, bn, F, V, S);
}

/* Y (bn x w) <- F S */
static void state_apply(const ctx *c, int64_t bn, const double *F,
                        const double *S, int64_t w, double *Y) {
  kern_state_apply(bn, w, c->r, F, S, Y);
}

/* ---- the block scan ----------------------------------------------------
 * Every pass has the same shape: a state S (r x w) that is a sum over rows
 * of feature(row)^T V(row) ("acc"), read by other rows as feature(row) S
 * ("apply"). Non-causal: every row reads the total. Causal: row i reads the
 * sum over blocks before its own (prefix; suffix when `reverse`), plus its
 * own diagonal block done explicitly ("diag").
 * Parallel as a two-level scan: the blocks are cut into nt contiguous chunks,
 * one per thread; pass 1 sums each chunk's state, a serial exclusive prefix
 * over the nt chunk states gives each chunk its starting state, pass 2 sweeps
 * each chunk in order. Memory: nt states, and per thread one b x r feature
 * buffer and two b x w row buffers. */
typedef struct scan_ops {
  int64_t w;   /* state width */
  int reverse; /* causal sums over later rows (suffix) */
  /* S += feature(B)^T V(B) */
  void (*acc)(const ctx *c, const void *a, int64_t s, int64_t bn, double *F,
              double *V, double *S);
  /* outputs of block B <- from feature(B) S (overwriting) */
  void (*apply)(const ctx *c, const void *a, int64_t s, int64_t bn, double *F,
                double *Y, const double *S);
  /* causal: outputs of block B += its diagonal block's terms */
  void (*diag)(const ctx *c, const void *a, int64_t s, int64_t bn);
} scan_ops;

static int scan_threads(int64_t nblocks) {
#ifdef _OPENMP
  if (omp_in_parallel()) return 1; /* the model already runs heads in parallel */
  int64_t t = omp_get_max_threads();
  return (int)(t < nblocks ? t : nblocks);
#else
  return 1;
#endif
}

static int scan(const ctx *c, const scan_ops *op, const void *a) {
  const int64_t n = c->h->n, b = c->b, r = c->r, w = op->w;
  const int64_t nb = (n + b - 1) / b;
  const int causal = c->h->causal;
  if (nb == 0) return 0;
  const int nt = scan_threads(nb);
  double *S = calloc((size_t)(nt * r * w), sizeof *S);
  double *run = calloc((size_t)(r * w), sizeof *run);
  double *scratch = malloc((size_t)nt * (size_t)(b * r + 2 * b * w) * sizeof *scratch);
  if (!S || !run || !scratch) {
    free(S), free(run), free(scratch);
    return -2;
  }
  /* chunk t = sweep positions [t*nb/nt, (t+1)*nb/nt); position m is block m,
   * or block nb-1-m when reverse */
#define BLOCK_START(m) ((op->reverse && causal ? nb - 1 - (m) : (m)) * b)
  /* pass 1: each chunk's own sum (causal: the last chunk's is never read) */
  if (!causal || nt > 1) {
#pragma omp parallel num_threads(nt)
    {
#ifdef _OPENMP
      int t = omp_get_thread_num();
#else
      int t = 0;
#endif
      double *F = scratch + (size_t)t * (size_t)(b * r + 2 * b * w);
      double *V = F + b * r;
      if (!(causal && t == nt - 1))
        for (int64_t m = t * nb / nt; m < (t + 1) * nb / nt; m++) {
          int64_t s = BLOCK_START(m), bn = n - s < b ? n - s : b;
          op->acc(c, a, s, bn, F, V, S + t * r * w);
        }
    }
  }
  /* chunk states -> the total (non-causal) or exclusive prefixes (causal) */
  for (int t = 0; t < nt; t++) {
    double *St = S + t * r * w;
    if (!causal)
      kern_axpy(r * w, 1.0, St, run); /* rnd(1 * x) = x: run += St */
    else
      kern_excl_step(r * w, run, St);
  }
  /* pass 2 */
#pragma omp parallel num_threads(nt)
  {
#ifdef _OPENMP
    int t = omp_get_thread_num();
#else
    int t = 0;
#endif
    double *F = scratch + (size_t)t * (size_t)(b * r + 2 * b * w);
    double *V = F + b * r, *Y = V + b * w;
    double *St = causal ? S + t * r * w : run;
    for (int64_t m = t * nb / nt; m < (t + 1) * nb / nt; m++) {
      int64_t s = BLOCK_START(m), bn = n - s < b ? n - s : b;
      op->apply(c, a, s, bn, F, Y, St);
      if (causal) {
        op->diag(c, a, s, bn);
        op->acc(c, a, s, bn, F, V, St);
      }
    }
  }
#undef BLOCK_START
  free(S), free(run), free(scratch);
  return 0;
}

/* ---- forward ---------------------------------------------------------- */

typedef struct fwd_args {
  const double *q, *k, *u;
  double *o, *D; /* o may be NULL: denominators only */
} fwd_args;

/* S += psi(K_B)^T [1, U_B] */
static void fwd_acc(const ctx *c, const void *va, int64_t s, int64_t bn,
                    double *F, double *V, double *S) {
  const fwd_args *a = va;
  int64_t dh = c->h->dh, ld = c->h->ld, w = dh + 1;
  fa_features_psi(&c->feat, bn, a->k + s * ld, ld, F);
  for (int64_t j = 0; j < bn; j++) {
    V[j * w] = 1;
    memcpy(V + j * w + 1, a->u + (s + j) * ld, (size_t)dh * sizeof *V);
  }
  state_add(c, bn, F, V, w, S);
}

/* [D~_B, unnormalized O_B] <- phi(Q_B) S */
static void fwd_apply(const ctx *c, const void *va, int64_t s, int64_t bn,
                      double *F, double *N, const double *S) {
  const fwd_args *a = va;
  int64_t dh = c->h->dh, ld = c->h->ld, w = dh + 1;
  fa_features_phi(&c->feat, bn, a->q + s * ld, ld, F);
  state_apply(c, bn, F, S, w, N);
  for (int64_t i = 0; i < bn; i++) {
    a->D[s + i] = N[i * w];
    if (a->o) memcpy(a->o + (s + i) * ld, N + i * w + 1, (size_t)dh * sizeof *N);
  }
}

/* xt (dh x bn) <- rows s..s+bn-1 of x (stride ld), transposed: a diagonal block's
 * columns, so that a row of its scores is dh contiguous axpys */
static double *block_t(const double *x, int64_t ld, int64_t s, int64_t bn, int64_t dh) {
  double *xt = malloc((size_t)(dh * bn) * sizeof *xt);
  if (!xt) return NULL;
  for (int64_t j = 0; j < bn; j++)
    for (int64_t c = 0; c < dh; c++) xt[c * bn + j] = x[(s + j) * ld + c];
  return xt;
}

/* out[t] <- <xi, y_{j0+t}>, t < m, with y's block transposed in yt (dh x bn); accumulated
 * coordinate by coordinate by the proved kern_axpy, in the order of a left-to-right dot:
 * the same roundings as kern_dot(dh, xi, 1, y_j, 1) */
static void row_dots(const double *xi, const double *yt, int64_t bn, int64_t j0, int64_t m,
                     int64_t dh, double *out) {
  memset(out, 0, (size_t)m * sizeof *out);
  for (int64_t c = 0; c < dh; c++) kern_axpy(m, xi[c], yt + c * bn + j0, out);
}

/* diagonal block: D~_i += sum_{s<=j<=i} A~_ij, O_i += sum A~_ij u_j, with
 * A~_ij = P(tau <q_i,k_j>) */
static void fwd_diag(const ctx *c, const void *va, int64_t s, int64_t bn) {
  const fwd_args *a = va;
  int64_t dh = c->h->dh, ld = c->h->ld;
  double e[FA_APPROX_BMAX]; /* A~_ij, j = s..i */
  double *kt = block_t(a->k, ld, s, bn, dh);
  for (int64_t i = s; i < s + bn; i++) {
    int64_t m = i - s + 1;
    if (kt)
      row_dots(a->q + i * ld, kt, bn, 0, m, dh, e);
    else /* out of memory: one dot at a time */
      for (int64_t j = s; j <= i; j++) e[j - s] = dot(a->q + i * ld, a->k + j * ld, dh);
    kern_poly_row(m, c->poly.g, c->poly.c, c->h->tau, e); /* e[j] <- P(tau e[j]) */
    a->D[i] += kern_row_sum(m, e, 1);
    if (a->o) /* column x of U's rows s..i, stride ld */
      for (int64_t x = 0; x < dh; x++) a->o[i * ld + x] += kern_dot(m, e, 1, a->u + s * ld + x, ld);
  }
  free(kt);
}

/* o (may be NULL), D (n) <- D~^-1 A~ U, A~ 1 */
static int forward_core(const ctx *c, fwd_args *a) {
  const fa_head *h = c->h;
  scan_ops op = {.w = h->dh + 1, .reverse = 0, .acc = fwd_acc,
                 .apply = fwd_apply, .diag = fwd_diag};
  int rc = scan(c, &op, a);
  if (rc || !a->o) return rc;
#pragma omp parallel for schedule(static) if (h->n * h->dh > 65536)
  for (int64_t i = 0; i < h->n; i++) kern_vdiv(h->dh, a->D[i], a->o + i * h->ld);
  return 0;
}

/* O = D~^-1 A~ U, D~ = A~ 1, A~ = phi(Q) psi(K)^T [causal mask]; saved <- D~
 * (Q, K, U, O: n x dh, row stride ld; saved: n) */
int fa_approx_forward(const fa_head *h, const fa_head_params *p,
                      const double *q, const double *k, const double *u,
                      double *o, double *saved) {
  ctx c;
  int rc = ctx_init(&c, h, p, q, k);
  if (rc) return rc;
  double *D = saved ? saved : malloc((size_t)h->n * sizeof *D);
  if (!D) {
    ctx_free(&c);
    return -2;
  }
  fwd_args a = {q, k, u, o, D};
  rc = forward_core(&c, &a);
  if (!saved) free(D);
  ctx_free(&c);
  return rc;
}

/* ---- backward ---------------------------------------------------------
 * With w_i = 1/D~_i and rr_i = <O_i, G_i>:
 *   dQ_i = tau w_i [sum_j A~_ij (g_i.u_j) k_j - rr_i sum_j A~_ij k_j]
 *        = tau w_i [sum_b g_ib (phi_i Tk)[b,:] - rr_i (phi_i Tk)[dh,:]],
 *     Tk = sum_j psi_j^T [vec(u_j k_j^T), k_j]              (r x (dh^2+dh))
 *   dK_j = tau sum_i A~_ij w_i [(g_i.u_j) - rr_i] q_i
 *        = tau [sum_b u_jb (psi_j Tq)[b,:] - (psi_j Tq)[dh,:]],
 *   dU_j = sum_i A~_ij w_i g_i = (psi_j Tq)[dh+1,:],
 *     Tq = sum_i phi_i^T [w_i vec(g_i q_i^T), w_i rr_i q_i, w_i g_i]
 *                                                       (r x (dh^2+2dh))
 * (T[a,b,:] of DESIGN §4 is Tk's row a, block b.) Causal: j <= i, so Tk is a
 * prefix state and Tq a suffix state. */

typedef struct bwd_args {
  const double *q, *k, *u, *g, *D, *rr;
  double *dq, *dk, *du;
} bwd_args;

/* Tk += psi(K_B)^T [vec(u_j k_j^T), k_j] */
static void bwd_acc_k(const ctx *c, const void *va, int64_t s, int64_t bn,
                      double *F, double *V, double *Tk) {
  const bwd_args *a = va;
  int64_t dh = c->h->dh, ld = c->h->ld, w = dh * dh + dh;
  fa_features_psi(&c->feat, bn, a->k + s * ld, ld, F);
  for (int64_t j = 0; j < bn; j++) {
    const double *uj = a->u + (s + j) * ld, *kj = a->k + (s + j) * ld;
    double *v = V + j * w;
    for (int64_t b = 0; b < dh; b++) kern_scopy(dh, uj[b], kj, v + b * dh);
    memcpy(v + dh * dh, kj, (size_t)dh * sizeof *v);
  }
  state_add(c, bn, F, V, w, Tk);
}

/* dQ_B <- tau w_i [sum_b g_ib Y_i[b,:] - rr_i Y_i[dh,:]], Y = phi(Q_B) Tk */
static void bwd_apply_q(const ctx *c, const void *va, int64_t s, int64_t bn,
                        double *F, double *Y, const double *Tk) {
  const bwd_args *a = va;
  int64_t dh = c->h->dh, ld = c->h->ld, w = dh * dh + dh;
  fa_features_phi(&c->feat, bn, a->q + s * ld, ld, F);
  state_apply(c, bn, F, Tk, w, Y);
  for (int64_t i = 0; i < bn; i++) {
    const double *gi = a->g + (s + i) * ld, *y = Y + i * w;
    double f = c->h->tau / a->D[s + i], ri = a->rr[s + i];
    /* sum_b g_ib Y_i[b,e]: gi against column e of Y_i (stride dh) */
    for (int64_t e = 0; e < dh; e++)
      a->dq[(s + i) * ld + e] = f * (kern_dot(dh, gi, 1, y + e, dh) - ri * y[dh * dh + e]);
  }
}

/* diagonal block, pairs s <= j <= i < s+bn: dQ_i += tau dS~_ij k_j,
 * dS~_ij = A~_ij w_i (g_i.u_j - rr_i) */
static void bwd_diag_q(const ctx *c, const void *va, int64_t s, int64_t bn) {
  const bwd_args *a = va;
  int64_t dh = c->h->dh, ld = c->h->ld;
  double tau = c->h->tau;
  double t[FA_APPROX_BMAX], sc[FA_APPROX_BMAX], gu[FA_APPROX_BMAX]; /* tau dS~_ij, <q_i,k_j>, <g_i,u_j> */
  double *kt = block_t(a->k, ld, s, bn, dh), *ut = block_t(a->u, ld, s, bn, dh);
  for (int64_t i = s; i < s + bn; i++) {
    const double *qi = a->q + i * ld, *gi = a->g + i * ld;
    double wi = 1 / a->D[i];
    int64_t m = i - s + 1;
    if (kt && ut) {
      row_dots(qi, kt, bn, 0, m, dh, sc);
      row_dots(gi, ut, bn, 0, m, dh, gu);
    } else
      for (int64_t j = s; j <= i; j++)
        sc[j - s] = dot(qi, a->k + j * ld, dh), gu[j - s] = dot(gi, a->u + j * ld, dh);
    kern_poly_row(m, c->poly.g, c->poly.c, tau, sc); /* sc[j] <- P(tau sc[j]) = A~_ij */
    kern_ds_q(m, tau, wi, a->rr[i], sc, gu, t);      /* t[j] <- tau (A~_ij wi (gu[j] - rr_i)) */
    for (int64_t e = 0; e < dh; e++) /* column e of K's rows s..i */
      a->dq[i * ld + e] += kern_dot(i - s + 1, t, 1, a->k + s * ld + e, ld);
  }
  free(kt), free(ut);
}

/* Tq += phi(Q_B)^T [w_i vec(g_i q_i^T), w_i rr_i q_i, w_i g_i] */
static void bwd_acc_q(const ctx *c, const void *va, int64_t s, int64_t bn,
                      double *F, double *V, double *Tq) {
  const bwd_args *a = va;
  int64_t dh = c->h->dh, ld = c->h->ld, w = dh * dh + 2 * dh;
  fa_features_phi(&c->feat, bn, a->q + s * ld, ld, F);
  for (int64_t i = 0; i < bn; i++) {
    const double *qi = a->q + (s + i) * ld, *gi = a->g + (s + i) * ld;
    double wi = 1 / a->D[s + i], wr = wi * a->rr[s + i];
    double *v = V + i * w;
    for (int64_t b = 0; b < dh; b++) kern_scopy(dh, wi * gi[b], qi, v + b * dh);
    kern_scopy(dh, wr, qi, v + dh * dh);
    kern_scopy(dh, wi, gi, v + dh * dh + dh);
  }
  state_add(c, bn, F, V, w, Tq);
}

/* dK_B <- tau [sum_b u_jb Z_j[b,:] - Z_j[dh,:]], dU_B <- Z_j[dh+1,:],
 * Z = psi(K_B) Tq */
static void bwd_apply_k(const ctx *c, const void *va, int64_t s, int64_t bn,
                        double *F, double *Z, const double *Tq) {
  const bwd_args *a = va;
  int64_t dh = c->h->dh, ld = c->h->ld, w = dh * dh + 2 * dh;
  fa_features_psi(&c->feat, bn, a->k + s * ld, ld, F);
  state_apply(c, bn, F, Tq, w, Z);
  for (int64_t j = 0; j < bn; j++) {
    const double *uj = a->u + (s + j) * ld, *z = Z + j * w;
    /* sum_b u_jb Z_j[b,e]: uj against column e of Z_j (stride dh) */
    for (int64_t e = 0; e < dh; e++)
      a->dk[(s + j) * ld + e] = c->h->tau * (kern_dot(dh, uj, 1, z + e, dh) - z[dh * dh + e]);
    memcpy(a->du + (s + j) * ld, z + dh * dh + dh, (size_t)dh * sizeof *z);
  }
}

/* diagonal block, pairs s <= j <= i < s+bn: dK_j += tau dS~_ij q_i,
 * dU_j += A~_ij w_i g_i */
static void bwd_diag_k(const ctx *c, const void *va, int64_t s, int64_t bn) {
  const bwd_args *a = va;
  int64_t dh = c->h->dh, ld = c->h->ld;
  double tau = c->h->tau;
  double t[FA_APPROX_BMAX], w[FA_APPROX_BMAX]; /* tau dS~_ij, A~_ij w_i, i = j..s+bn-1 */
  double sc[FA_APPROX_BMAX], gu[FA_APPROX_BMAX]; /* <k_j,q_i>, <u_j,g_i> */
  double *qt = block_t(a->q, ld, s, bn, dh), *gt = block_t(a->g, ld, s, bn, dh);
  for (int64_t j = s; j < s + bn; j++) {
    const double *kj = a->k + j * ld, *uj = a->u + j * ld;
    int64_t m = s + bn - j;
    if (qt && gt) {
      row_dots(kj, qt, bn, j - s, m, dh, sc);
      row_dots(uj, gt, bn, j - s, m, dh, gu);
    } else
      for (int64_t i = j; i < s + bn; i++)
        sc[i - j] = dot(a->q + i * ld, kj, dh), gu[i - j] = dot(a->g + i * ld, uj, dh);
    kern_poly_row(m, c->poly.g, c->poly.c, tau, sc); /* sc[i-j] <- P(tau sc[i-j]) = A~_ij */
    /* w[i-j] <- A~_ij / D~_i, t[i-j] <- tau (w[i-j] (gu[i-j] - rr_i)) */
    kern_ds_k(m, tau, sc, a->D + j, a->rr + j, gu, t, w);
    for (int64_t e = 0; e < dh; e++) { /* columns e of Q's and G's rows j.. */
      a->dk[j * ld + e] += kern_dot(m, t, 1, a->q + j * ld + e, ld);
      a->du[j * ld + e] += kern_dot(m, w, 1, a->g + j * ld + e, ld);
    }
  }
  free(qt), free(gt);
}

/* backward of O = F~ U, F~ = D~^-1 A~ (G, dQ, dK, dU: n x dh, stride ld):
 * dU = F~^T G, dQ = tau dS~ K, dK = tau dS~^T Q with
 * dS~ = F~ o (G U^T) - diag(<O_i,G_i>) F~ (the exact head's formulas with F~
 * in place of F; see the top of this file) */
int fa_approx_backward(const fa_head *h, const fa_head_params *p,
                       const double *q, const double *k, const double *u,
                       const double *o, const double *g, const double *saved,
                       double *dq, double *dk, double *du) {
  ctx c;
  int rc = ctx_init(&c, h, p, q, k);
  if (rc) return rc;
  int64_t n = h->n, dh = h->dh, ld = h->ld;
  double *Dm = saved ? NULL : malloc((size_t)n * sizeof *Dm);
  double *rr = malloc((size_t)n * sizeof *rr);
  if ((!saved && !Dm) || !rr) {
    rc = -2;
    goto done;
  }
  if (!saved) {
    fwd_args fa = {q, k, u, NULL, Dm};
    if ((rc = forward_core(&c, &fa))) goto done;
  }
#pragma omp parallel for schedule(static) if (n * dh > 65536)
  for (int64_t i = 0; i < n; i++) rr[i] = dot(o + i * ld, g + i * ld, dh);
  bwd_args a = {q, k, u, g, saved ? saved : Dm, rr, dq, dk, du};
  scan_ops opq = {.w = dh * dh + dh, .reverse = 0, .acc = bwd_acc_k,
                  .apply = bwd_apply_q, .diag = bwd_diag_q};
  scan_ops opk = {.w = dh * dh + 2 * dh, .reverse = 1, .acc = bwd_acc_q,
                  .apply = bwd_apply_k, .diag = bwd_diag_k};
  if (!(rc = scan(&c, &opq, &a))) rc = scan(&c, &opk, &a);
done:
  free(Dm), free(rr);
  ctx_free(&c);
  return rc;
}

const fa_head_impl fa_head_approx = {
    .name = "approx",
    .forward = fa_approx_forward,
    .backward = fa_approx_backward,
};
