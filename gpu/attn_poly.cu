/* The polynomial-method head on the GPU (attn_poly.h).
 *
 * Notation as fast/attn_approx.c: A~_ij = P(tau <q_i,k_j>) = <phi_i, psi_j>,
 * D~_i = sum_j A~_ij, w_i = 1/D~_i, rr_i = <O_i, G_i>. Three sweeps share one
 * shape, a state S = sum over rows of feature(row)^T V(row) read by other
 * rows as feature(row) S:
 *   FWD  S = sum_j psi_j^T [1, u_j]                      read by phi_i:
 *        [D~_i, D~_i O_i]
 *   DQ   Tk = sum_j psi_j^T [vec(u_j k_j^T), k_j]        read by phi_i:
 *        dQ_i = tau w_i [sum_b g_ib Y_i[b,:] - rr_i Y_i[dh,:]]
 *   DK   Tq = sum_i phi_i^T [w_i vec(g_i q_i^T), w_i rr_i q_i, w_i g_i]
 *        read by psi_j: dK_j = tau [sum_b u_jb Z_j[b,:] - Z_j[dh,:]],
 *        dU_j = Z_j[dh+1,:]
 * Causal: sums over j <= i (FWD, DQ: prefix over blocks) or i >= j (DK:
 * suffix), plus the diagonal block's pairs evaluated as P(tau <q_i,k_j>) by
 * Horner in double.
 *
 * Layout: device arrays Q, K, U, G, O are n x dh row-major (dense); a chunk's
 * features F (rows x r), values V and results Y (rows x w) are column-major
 * with leading dimension rows = (blocks in the chunk) x b, so block c of the
 * chunk is the sub-matrix starting at row c b: cuBLAS's strided batches. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attn_poly.h"
#include "gpu_rt.cuh"

extern "C" {
#include "../fast/attn_approx.h"
#include "../fast/features.h"
#include "../fast/poly.h"
}

static int64_t opt_block_rows, opt_chunk_blocks;

void gpu_poly_set_blocking(int64_t block_rows, int64_t max_chunk_blocks) {
  opt_block_rows = block_rows;
  opt_chunk_blocks = max_chunk_blocks;
}

enum { OP_FWD = 0, OP_DQ = 1, OP_DK = 2 };

/* state width of each sweep */
static int64_t width_of(int op, int64_t dh) {
  return op == OP_FWD ? dh + 1 : op == OP_DQ ? dh * dh + dh : dh * dh + 2 * dh;
}

#define ROWS_PER_BLOCK 128 /* threads per CUDA block of the row kernels */

/* ---- kernels ------------------------------------------------------------ */

/* F[row, alpha] <- x_i^alpha (times wq_alpha when wq: phi), i = r0 + row;
 * 0 past row n. Each monomial from its parent times one coordinate. */
template <class T>
__global__ void k_features(int64_t n, int64_t r0, int64_t rows, int dh,
                           int64_t r, const T *__restrict__ X,
                           const int32_t *__restrict__ parent,
                           const int32_t *__restrict__ var,
                           const T *__restrict__ wq, T *__restrict__ F) {
  const int64_t row = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (row >= rows) return;
  const int64_t i = r0 + row;
  if (i >= n) {
    for (int64_t a = 0; a < r; a++) F[a * rows + row] = 0;
    return;
  }
  const T *x = X + i * dh;
  F[row] = 1;
  for (int64_t a = 1; a < r; a++)
    F[a * rows + row] = F[(int64_t)parent[a] * rows + row] * x[var[a]];
  if (wq)
    for (int64_t a = 0; a < r; a++) F[a * rows + row] *= wq[a];
}

/* V[row, col] of the sweep's values (0 past row n); grid.y = columns */
template <class T>
__global__ void k_values(int op, int64_t n, int64_t r0, int64_t rows, int dh,
                         const T *__restrict__ Q, const T *__restrict__ K,
                         const T *__restrict__ U, const T *__restrict__ G,
                         const double *__restrict__ D,
                         const double *__restrict__ rr, T *__restrict__ V) {
  const int64_t row = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
  const int col = (int)blockIdx.y, dd = dh * dh;
  if (row >= rows) return;
  const int64_t i = r0 + row;
  T v = 0;
  if (i < n) {
    const T *q = Q + i * dh, *k = K + i * dh, *u = U + i * dh;
    if (op == OP_FWD) { /* [1, u_j] */
      v = col == 0 ? T(1) : u[col - 1];
    } else if (op == OP_DQ) { /* [vec(u_j k_j^T), k_j] */
      v = col < dd ? u[col / dh] * k[col % dh] : k[col - dd];
    } else { /* [w vec(g q^T), w rr q, w g] */
      const T *g = G + i * dh;
      const double wi = 1 / D[i];
      if (col < dd)
        v = (T)(wi * g[col / dh] * q[col % dh]);
      else if (col < dd + dh)
        v = (T)(wi * rr[i] * q[col - dd]);
      else
        v = (T)(wi * g[col - dd - dh]);
    }
  }
  V[col * rows + row] = v;
}

/* S (count values) of nblk block states: run <- run + their sum, and with
 * `exclusive` each state replaced by the running sum before it (block order
 * reversed when `reverse`: suffix sums). Sums in double at both widths. */
template <class T>
__global__ void k_scan(int64_t count, int nblk, int reverse, int exclusive,
                       T *__restrict__ S, double *__restrict__ run) {
  const int64_t e = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (e >= count) return;
  double x = run[e];
  for (int t = 0; t < nblk; t++) {
    const int64_t c = reverse ? nblk - 1 - t : t;
    const double v = (double)S[c * count + e];
    if (exclusive) S[c * count + e] = (T)x;
    x += v;
  }
  run[e] = x;
}

template <class T>
__global__ void k_round(int64_t count, const double *__restrict__ run,
                        T *__restrict__ S) {
  const int64_t e = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (e < count) S[e] = (T)run[e];
}

/* outputs of rows r0 .. r0+rows-1 from Y = feature(rows) S; grid.y = dh
 * columns e. FWD: D~_i <- Y_i0 (double), Onum_i <- Y_i,1+e (unnormalized);
 * DQ: out0 = dQ; DK: out0 = dK, out1 = dU. */
template <class T>
__global__ void k_post(int op, int64_t n, int64_t r0, int64_t rows, int dh,
                       double tau, const T *__restrict__ Y,
                       const T *__restrict__ G, const T *__restrict__ U,
                       double *__restrict__ D, const double *__restrict__ rr,
                       T *__restrict__ out0, T *__restrict__ out1) {
  const int64_t row = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
  const int e = (int)blockIdx.y, dd = dh * dh;
  if (row >= rows || r0 + row >= n) return;
  const int64_t i = r0 + row;
  if (op == OP_FWD) {
    if (e == 0) D[i] = (double)Y[row];
    out0[i * dh + e] = Y[(int64_t)(1 + e) * rows + row];
  } else if (op == OP_DQ) {
    const T *g = G + i * dh;
    double acc = -rr[i] * (double)Y[(int64_t)(dd + e) * rows + row];
    for (int b = 0; b < dh; b++)
      acc += (double)g[b] * (double)Y[(int64_t)(b * dh + e) * rows + row];
    out0[i * dh + e] = (T)(tau / D[i] * acc);
  } else {
    const T *u = U + i * dh;
    double acc = -(double)Y[(int64_t)(dd + e) * rows + row];
    for (int b = 0; b < dh; b++)
      acc += (double)u[b] * (double)Y[(int64_t)(b * dh + e) * rows + row];
    out0[i * dh + e] = (T)(tau * acc);
    out1[i * dh + e] = Y[(int64_t)(dd + dh + e) * rows + row];
  }
}

/* P(s) by Horner, as fa_poly_eval */
__device__ __forceinline__ double horner(const double *c, int g, double s) {
  double v = c[g];
  for (int t = g - 1; t >= 0; t--) v = v * s + c[t];
  return v;
}

template <class T>
__device__ __forceinline__ double dotd(const T *x, const T *y, int dh) {
  double s = 0;
  for (int c = 0; c < dh; c++) s += (double)x[c] * (double)y[c];
  return s;
}

/* Diagonal block blockIdx.x of the chunk starting at row r0 (b rows per
 * block, one thread per row), pairs s <= j <= i < s + bn in double:
 *   FWD (thread = i): D~_i += A~_ij, Onum_i += A~_ij u_j
 *   DQ  (thread = i): dQ_i += tau dS~_ij k_j, dS~_ij = A~_ij w_i (g_i.u_j - rr_i)
 *   DK  (thread = j): dK_j += tau dS~_ij q_i, dU_j += A~_ij w_i g_i */
template <class T>
__global__ void k_diag(int op, int64_t n, int64_t r0, int b, int dh,
                       double tau, const double *__restrict__ coef, int g,
                       const T *__restrict__ Q, const T *__restrict__ K,
                       const T *__restrict__ U, const T *__restrict__ G,
                       double *__restrict__ D, const double *__restrict__ rr,
                       T *__restrict__ out0, T *__restrict__ out1) {
  const int64_t s = r0 + (int64_t)blockIdx.x * b;
  const int64_t x = s + threadIdx.x;
  if (s >= n || x >= n || (int)threadIdx.x >= b) return;
  const int64_t end = s + b < n ? s + b : n;
  if (op == OP_FWD) {
    const T *q = Q + x * dh;
    T *o = out0 + x * dh;
    for (int64_t j = s; j <= x; j++) {
      const double a = horner(coef, g, tau * dotd(q, K + j * dh, dh));
      D[x] += a;
      for (int c = 0; c < dh; c++) o[c] = (T)((double)o[c] + a * (double)U[j * dh + c]);
    }
  } else if (op == OP_DQ) {
    const T *q = Q + x * dh, *gi = G + x * dh;
    T *dq = out0 + x * dh;
    const double wi = 1 / D[x];
    for (int64_t j = s; j <= x; j++) {
      const T *k = K + j * dh;
      const double ds = horner(coef, g, tau * dotd(q, k, dh)) * wi *
                        (dotd(gi, U + j * dh, dh) - rr[x]);
      for (int c = 0; c < dh; c++)
        dq[c] = (T)((double)dq[c] + tau * ds * (double)k[c]);
    }
  } else {
    const T *k = K + x * dh, *u = U + x * dh;
    T *dk = out0 + x * dh, *du = out1 + x * dh;
    for (int64_t i = x; i < end; i++) {
      const T *q = Q + i * dh, *gi = G + i * dh;
      const double aw = horner(coef, g, tau * dotd(q, k, dh)) / D[i];
      const double ds = aw * (dotd(gi, u, dh) - rr[i]);
      for (int c = 0; c < dh; c++) {
        dk[c] = (T)((double)dk[c] + tau * ds * (double)q[c]);
        du[c] = (T)((double)du[c] + aw * (double)gi[c]);
      }
    }
  }
}

/* O_i <- Onum_i / D~_i (in place) */
template <class T>
__global__ void k_normalize(int64_t n, int dh, const double *__restrict__ D,
                            T *__restrict__ O) {
  const int64_t e = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (e < n * dh) O[e] = (T)((double)O[e] / D[e / dh]);
}

/* rr_i <- <O_i, G_i> in double */
template <class T>
__global__ void k_rowdot(int64_t n, int dh, const T *__restrict__ O,
                         const T *__restrict__ G, double *__restrict__ rr) {
  const int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) rr[i] = dotd(O + i * dh, G + i * dh, dh);
}

/* ---- cuBLAS at the working type ---------------------------------------- */

static cublasStatus_t gemm(cublasHandle_t h, cublasOperation_t ta,
                           cublasOperation_t tb, int m, int n, int k,
                           const double *A, int lda, const double *B, int ldb,
                           double *C, int ldc) {
  const double one = 1, zero = 0;
  return cublasDgemm(h, ta, tb, m, n, k, &one, A, lda, B, ldb, &zero, C, ldc);
}
static cublasStatus_t gemm(cublasHandle_t h, cublasOperation_t ta,
                           cublasOperation_t tb, int m, int n, int k,
                           const float *A, int lda, const float *B, int ldb,
                           float *C, int ldc) {
  const float one = 1, zero = 0;
  return cublasSgemm(h, ta, tb, m, n, k, &one, A, lda, B, ldb, &zero, C, ldc);
}
static cublasStatus_t gemm_batched(cublasHandle_t h, cublasOperation_t ta,
                                   cublasOperation_t tb, int m, int n, int k,
                                   const double *A, int lda, long long sa,
                                   const double *B, int ldb, long long sb,
                                   double *C, int ldc, long long sc,
                                   int batch) {
  const double one = 1, zero = 0;
  return cublasDgemmStridedBatched(h, ta, tb, m, n, k, &one, A, lda, sa, B,
                                   ldb, sb, &zero, C, ldc, sc, batch);
}
static cublasStatus_t gemm_batched(cublasHandle_t h, cublasOperation_t ta,
                                   cublasOperation_t tb, int m, int n, int k,
                                   const float *A, int lda, long long sa,
                                   const float *B, int ldb, long long sb,
                                   float *C, int ldc, long long sc,
                                   int batch) {
  const float one = 1, zero = 0;
  return cublasSgemmStridedBatched(h, ta, tb, m, n, k, &one, A, lda, sa, B,
                                   ldb, sb, &zero, C, ldc, sc, batch);
}

/* ---- one call's context ----------------------------------------------- */

template <class T>
struct poly_ctx {
  int64_t n, r, b, C; /* rows, rank, rows per block, blocks per chunk */
  int dh, g, causal;
  double tau;
  /* device */
  T *Q, *K, *U, *G, *O;        /* n x dh (G NULL in forward) */
  T *dQ, *dK, *dU;             /* n x dh (backward) */
  double *D, *rr;              /* n */
  int32_t *parent, *var;       /* r */
  T *wq;                       /* r */
  double *coef;                /* g + 1 */
  T *F, *V, *S, *Stot;         /* C b r, C b w, C r w, r w */
  double *run;                 /* r w */
  cublasHandle_t blas;
};

static size_t align256(size_t x) { return (x + 255) / 256 * 256; }

/* bytes of every device array, in the order they are carved */
template <class T>
static size_t carve(poly_ctx<T> *x, int backward, unsigned char *base) {
  const int64_t n = x->n, dh = x->dh, r = x->r, C = x->C, b = x->b;
  const int64_t w = width_of(backward ? OP_DK : OP_FWD, dh);
  size_t off = 0;
#define TAKE(ptr, type, count)                                         \
  do {                                                                 \
    if (base) x->ptr = (type *)(base + off);                           \
    off += align256((size_t)(count) * sizeof(type));                   \
  } while (0)
  TAKE(Q, T, n * dh);
  TAKE(K, T, n * dh);
  TAKE(U, T, n * dh);
  TAKE(O, T, n * dh);
  if (backward) {
    TAKE(G, T, n * dh);
    TAKE(dQ, T, n * dh);
    TAKE(dK, T, n * dh);
    TAKE(dU, T, n * dh);
    TAKE(rr, double, n);
  }
  TAKE(D, double, n);
  TAKE(parent, int32_t, r);
  TAKE(var, int32_t, r);
  TAKE(wq, T, r);
  TAKE(coef, double, x->g + 1);
  TAKE(F, T, C * b * r);
  TAKE(V, T, C * b * w);
  TAKE(S, T, C * r * w);
  TAKE(Stot, T, r * w);
  TAKE(run, double, r * w);
#undef TAKE
  return off;
}

extern "C" int64_t gpu_poly_device_bytes(int64_t n, int64_t dh, int g,
                                         int real_bytes, int64_t chunk_blocks) {
  int64_t r = fa_features_rank(dh > INT32_MAX ? -1 : (int)dh, g);
  if (r < 0) return -1;
  double b = (double)(opt_block_rows > 0 ? opt_block_rows : ROWS_PER_BLOCK);
  double w = (double)dh * dh + 2.0 * dh, C = (double)chunk_blocks;
  double vals = 8.0 * n * dh + 2.0 * r + C * b * r + C * b * w + C * r * w +
                r * w;
  double bytes = vals * real_bytes + (3.0 * n + r * w + g + 1) * 8 + 24 * 256;
  return bytes < 4.0e18 ? (int64_t)bytes : -1;
}

/* the device section's set-up: polynomial, features, blocking, workspace */
template <class T>
static int ctx_init(poly_ctx<T> *x, const fa_head *h, const fa_head_params *p,
                    double R, int backward) {
  memset(x, 0, sizeof *x);
  x->n = h->n, x->dh = (int)h->dh, x->causal = h->causal, x->tau = h->tau;
  fa_poly poly;
  fa_features feat;
  memset(&feat, 0, sizeof feat);
  if (fa_approx_poly(p, R, &poly))
    return gpu_set_error("gpu-approx", "no polynomial for this radius");
  int rc = -1;
  if (h->dh > INT32_MAX ||
      fa_features_init(&feat, (int)h->dh, &poly, h->tau)) {
    gpu_set_error("gpu-approx", "feature table (rank too large?)");
    goto out;
  }
  {
    x->g = poly.g;
    x->r = feat.r;
    x->b = opt_block_rows > 0 ? opt_block_rows : ROWS_PER_BLOCK;
    const int64_t nb = (x->n + x->b - 1) / x->b;
    const int64_t w = width_of(backward ? OP_DK : OP_FWD, x->dh);
    if (w > 65535) {
      gpu_set_error("gpu-approx", "d_h above 254 (state width over 65535)");
      goto out;
    }
    /* C: as many blocks as fit in 70% of the free memory (at most 4 GiB
     * of chunk buffers), at least one */
    size_t fr = 0, tot = 0;
    if (!gpu_ok(cudaMemGetInfo(&fr, &tot), "cudaMemGetInfo")) goto out;
    x->C = 1;
    size_t fixed = carve(x, backward, NULL);
    double per = (double)sizeof(T) * ((double)x->b * x->r + (double)x->b * w +
                                      (double)x->r * w) + 768;
    double budget = 0.7 * (double)fr - (double)fixed + per;
    if (budget > 4.0 * (1u << 30)) budget = 4.0 * (1u << 30);
    int64_t C = budget >= per ? (int64_t)(budget / per) : 0;
    if (C < 1) {
      char msg[160];
      snprintf(msg, sizeof msg,
               "rank r = %lld: a block of %lld rows needs %.3g bytes, more "
               "than the device has free",
               (long long)x->r, (long long)x->b, fixed + per);
      gpu_set_error("gpu-approx", msg);
      goto out;
    }
    if (C > nb) C = nb;
    if (opt_chunk_blocks > 0 && C > opt_chunk_blocks) C = opt_chunk_blocks;
    x->C = C;
    size_t bytes = carve(x, backward, NULL);
    unsigned char *base = (unsigned char *)gpu_workspace(bytes);
    if (!base) goto out;
    carve(x, backward, base);
    x->blas = gpu_cublas();
    if (!x->blas) goto out;
    T *wq = (T *)malloc((size_t)x->r * sizeof(T));
    if (!wq) {
      gpu_set_error("gpu-approx", "out of host memory");
      goto out;
    }
    for (int64_t a = 0; a < x->r; a++) wq[a] = (T)feat.wq[a];
    bool ok =
        gpu_ok(cudaMemcpy(x->parent, feat.parent, (size_t)x->r * 4,
                          cudaMemcpyHostToDevice), "cudaMemcpy(parent)") &&
        gpu_ok(cudaMemcpy(x->var, feat.var, (size_t)x->r * 4,
                          cudaMemcpyHostToDevice), "cudaMemcpy(var)") &&
        gpu_ok(cudaMemcpy(x->wq, wq, (size_t)x->r * sizeof(T),
                          cudaMemcpyHostToDevice), "cudaMemcpy(wq)") &&
        gpu_ok(cudaMemcpy(x->coef, poly.c, (size_t)(x->g + 1) * 8,
                          cudaMemcpyHostToDevice), "cudaMemcpy(coef)");
    free(wq);
    if (ok) rc = 0;
  }
out:
  fa_features_free(&feat);
  fa_poly_free(&poly);
  return rc;
}

static unsigned blocks_for(int64_t count, int per) {
  return (unsigned)((count + per - 1) / per);
}

/* One sweep (op) over all rows: states from the accumulating side's
 * features, read by the applying side's, outputs by k_post (+ k_diag). */
template <class T>
static int sweep(poly_ctx<T> *x, int op, T *out0, T *out1) {
  const int64_t n = x->n, r = x->r, b = x->b, C = x->C, dh = x->dh;
  const int64_t w = width_of(op, dh), nb = (n + b - 1) / b;
  const int64_t nchunks = (nb + C - 1) / C, count = r * w;
  const int reverse = op == OP_DK; /* suffix sums over later rows */
  /* which rows carry which feature: DK accumulates phi(Q), applies psi(K) */
  const T *Xacc = op == OP_DK ? x->Q : x->K, *Xapp = op == OP_DK ? x->K : x->Q;
  const T *wacc = op == OP_DK ? x->wq : NULL, *wapp = op == OP_DK ? NULL : x->wq;
  const dim3 rb(ROWS_PER_BLOCK);
  CU(cudaMemsetAsync(x->run, 0, (size_t)count * sizeof(double)));
  for (int pass = x->causal ? 1 : 0; pass < 2; pass++) {
    /* non-causal: pass 0 sums every block's state, pass 1 applies the
     * total; causal: pass 1 alone, block prefix (suffix) states */
    if (pass == 1 && !x->causal) {
      if (sizeof(T) == sizeof(double))
        CU(cudaMemcpyAsync(x->Stot, x->run, (size_t)count * sizeof(T),
                           cudaMemcpyDeviceToDevice));
      else
        LAUNCH_OK(gpu_launch(k_round<T>, dim3(blocks_for(count, 256)),
                             dim3(256), 0, count, x->run, x->Stot),
                  "k_round");
    }
    for (int64_t t = 0; t < nchunks; t++) {
      const int64_t ci = x->causal && reverse ? nchunks - 1 - t : t;
      const int64_t c0 = ci * C, cn = nb - c0 < C ? nb - c0 : C;
      const int64_t r0 = c0 * b, rows = cn * b;
      const dim3 rg(blocks_for(rows, ROWS_PER_BLOCK));
      if (pass == 0 || x->causal) {
        LAUNCH_OK(gpu_launch(k_features<T>, rg, rb, 0, n, r0, rows, x->dh, r,
                             Xacc, x->parent, x->var, wacc, x->F),
                  "k_features");
        LAUNCH_OK(gpu_launch(k_values<T>, dim3(rg.x, (unsigned)w), rb, 0, op,
                             n, r0, rows, x->dh, x->Q, x->K, x->U, x->G, x->D,
                             x->rr, x->V),
                  "k_values");
        /* S_c = F_c^T V_c for the cn blocks */
        CUBLAS(gemm_batched(x->blas, CUBLAS_OP_T, CUBLAS_OP_N, (int)r, (int)w,
                            (int)b, x->F, (int)rows, b, x->V, (int)rows, b,
                            x->S, (int)r, count, (int)cn));
        LAUNCH_OK(gpu_launch(k_scan<T>, dim3(blocks_for(count, 256)),
                             dim3(256), 0, count, (int)cn, reverse,
                             x->causal, x->S, x->run),
                  "k_scan");
        if (!x->causal) continue;
      }
      LAUNCH_OK(gpu_launch(k_features<T>, rg, rb, 0, n, r0, rows, x->dh, r,
                           Xapp, x->parent, x->var, wapp, x->F),
                "k_features");
      if (x->causal) /* Y_c = F_c S_c (S_c: the states before block c) */
        CUBLAS(gemm_batched(x->blas, CUBLAS_OP_N, CUBLAS_OP_N, (int)b, (int)w,
                            (int)r, x->F, (int)rows, b, x->S, (int)r, count,
                            x->V, (int)rows, b, (int)cn));
      else
        CUBLAS(gemm(x->blas, CUBLAS_OP_N, CUBLAS_OP_N, (int)rows, (int)w,
                    (int)r, x->F, (int)rows, x->Stot, (int)r, x->V,
                    (int)rows));
      LAUNCH_OK(gpu_launch(k_post<T>, dim3(rg.x, (unsigned)dh), rb, 0, op, n,
                           r0, rows, x->dh, x->tau, x->V, x->G, x->U, x->D,
                           x->rr, out0, out1),
                "k_post");
      if (x->causal)
        LAUNCH_OK(gpu_launch(k_diag<T>, dim3((unsigned)cn), dim3((unsigned)b),
                             0, op, n, r0, (int)b, x->dh, x->tau, x->coef,
                             x->g, x->Q, x->K, x->U, x->G, x->D, x->rr, out0,
                             out1),
                  "k_diag");
    }
  }
  return 0;
fail:
  return -1;
}

/* ---- host <-> device at the working type -------------------------------- */

/* device dst (n x dh dense, T) <- host src (n x dh, row stride ld, double) */
template <class T>
static bool up(T *dst, const double *src, const fa_head *h) {
  const size_t n = (size_t)h->n, dh = (size_t)h->dh, ld = (size_t)h->ld;
  if (sizeof(T) == sizeof(double))
    return gpu_ok(cudaMemcpy2D(dst, dh * 8, src, ld * 8, dh * 8, n,
                               cudaMemcpyHostToDevice),
                  "cudaMemcpy2D(host to device)");
  T *tmp = (T *)malloc(n * dh * sizeof(T));
  if (!tmp) return gpu_set_error("gpu-approx", "out of host memory"), false;
  for (size_t i = 0; i < n; i++)
    for (size_t c = 0; c < dh; c++) tmp[i * dh + c] = (T)src[i * ld + c];
  bool ok = gpu_ok(cudaMemcpy(dst, tmp, n * dh * sizeof(T),
                              cudaMemcpyHostToDevice),
                   "cudaMemcpy(host to device)");
  free(tmp);
  return ok;
}

template <class T>
static bool down(double *dst, const T *src, const fa_head *h) {
  const size_t n = (size_t)h->n, dh = (size_t)h->dh, ld = (size_t)h->ld;
  if (sizeof(T) == sizeof(double))
    return gpu_ok(cudaMemcpy2D(dst, ld * 8, src, dh * 8, dh * 8, n,
                               cudaMemcpyDeviceToHost),
                  "cudaMemcpy2D(device to host)");
  T *tmp = (T *)malloc(n * dh * sizeof(T));
  if (!tmp) return gpu_set_error("gpu-approx", "out of host memory"), false;
  bool ok = gpu_ok(cudaMemcpy(tmp, src, n * dh * sizeof(T),
                              cudaMemcpyDeviceToHost),
                   "cudaMemcpy(device to host)");
  if (ok)
    for (size_t i = 0; i < n; i++)
      for (size_t c = 0; c < dh; c++) dst[i * ld + c] = (double)tmp[i * dh + c];
  free(tmp);
  return ok;
}

/* D~ (device) and, when x->O is the output, Onum -> O normalized */
template <class T>
static int forward_sweep(poly_ctx<T> *x, int normalize) {
  if (sweep<T>(x, OP_FWD, x->O, NULL)) return -1;
  if (!normalize) return 0;
  const int64_t nd = x->n * x->dh;
  LAUNCH_OK(gpu_launch(k_normalize<T>, dim3(blocks_for(nd, 256)), dim3(256), 0,
                       x->n, x->dh, x->D, x->O),
            "k_normalize");
  return 0;
fail:
  return -1;
}

template <class T>
static int head_forward(const fa_head *h, const fa_head_params *p,
                        const double *q, const double *k, const double *u,
                        double *o, double *saved) {
  if (h->n < 1) return 0;
  gpu_lock();
  poly_ctx<T> x;
  int rc = -1;
  if (ctx_init<T>(&x, h, p, fa_approx_head_radius(h, p, q, k), 0) == 0 &&
      up(x.Q, q, h) && up(x.K, k, h) &&
      up(x.U, u, h) && forward_sweep<T>(&x, 1) == 0 && down(o, x.O, h) &&
      (!saved || gpu_ok(cudaMemcpy(saved, x.D, (size_t)h->n * 8,
                                   cudaMemcpyDeviceToHost),
                        "cudaMemcpy(D)")))
    rc = 0;
  gpu_unlock();
  return rc;
}

template <class T>
static int head_backward(const fa_head *h, const fa_head_params *p,
                         const double *q, const double *k, const double *u,
                         const double *o, const double *g, const double *saved,
                         double *dq, double *dk, double *du) {
  if (h->n < 1) return 0;
  gpu_lock();
  poly_ctx<T> x;
  int rc = -1;
  if (ctx_init<T>(&x, h, p, fa_approx_head_radius(h, p, q, k), 1) == 0 &&
      up(x.Q, q, h) && up(x.K, k, h) && up(x.U, u, h) && up(x.G, g, h)) {
    bool ok;
    if (saved) /* D~ as forward left it */
      ok = gpu_ok(cudaMemcpy(x.D, saved, (size_t)h->n * 8,
                             cudaMemcpyHostToDevice),
                  "cudaMemcpy(D)");
    else /* recomputed (x.O is scratch for the numerators) */
      ok = forward_sweep<T>(&x, 0) == 0;
    ok = ok && up(x.O, o, h) &&
         gpu_launched(gpu_launch(k_rowdot<T>,
                                 dim3(blocks_for(h->n, ROWS_PER_BLOCK)),
                                 dim3(ROWS_PER_BLOCK), 0, x.n, x.dh, x.O, x.G,
                                 x.rr),
                      "k_rowdot") &&
         sweep<T>(&x, OP_DQ, x.dQ, NULL) == 0 &&
         sweep<T>(&x, OP_DK, x.dK, x.dU) == 0 && down(dq, x.dQ, h) &&
         down(dk, x.dK, h) && down(du, x.dU, h);
    if (ok) rc = 0;
  }
  gpu_unlock();
  return rc;
}

/* ---- the head on device arrays (the device model, model_gpu.h) ---- */

/* dst (n x dh dense, T) <- src (n x dh, row stride ld, double), on the device */
template <class T>
__global__ void k_gather(int64_t n, int dh, int64_t ld,
                         const double *__restrict__ src, T *__restrict__ dst) {
  const int64_t e = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (e < n * dh) dst[e] = (T)src[e / dh * ld + e % dh];
}

/* dst (n x dh, row stride ld, double) <- src (n x dh dense, T) */
template <class T>
__global__ void k_scatter(int64_t n, int dh, int64_t ld,
                          const T *__restrict__ src, double *__restrict__ dst) {
  const int64_t e = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (e < n * dh) dst[e / dh * ld + e % dh] = (double)src[e];
}

template <class T>
static bool gather(T *dst, const double *src, const fa_head *h) {
  return gpu_launched(gpu_launch(k_gather<T>,
                                 dim3(blocks_for(h->n * h->dh, 256)), dim3(256),
                                 0, h->n, (int)h->dh, h->ld, src, dst),
                      "k_gather");
}

template <class T>
static bool scatter(double *dst, const T *src, const fa_head *h) {
  return gpu_launched(gpu_launch(k_scatter<T>,
                                 dim3(blocks_for(h->n * h->dh, 256)), dim3(256),
                                 0, h->n, (int)h->dh, h->ld, src, dst),
                      "k_scatter");
}

template <class T>
static int dev_forward(const fa_head *h, const fa_head_params *p, double R,
                       const double *q, const double *k, const double *u,
                       double *o, double *saved) {
  if (h->n < 1) return 0;
  poly_ctx<T> x;
  if (ctx_init<T>(&x, h, p, R, 0) == 0 && gather(x.Q, q, h) &&
      gather(x.K, k, h) && gather(x.U, u, h) && forward_sweep<T>(&x, 1) == 0 &&
      scatter(o, (const T *)x.O, h) &&
      gpu_ok(cudaMemcpyAsync(saved, x.D, (size_t)h->n * 8,
                             cudaMemcpyDeviceToDevice),
             "cudaMemcpy(D)"))
    return 0;
  return -1;
}

template <class T>
static int dev_backward(const fa_head *h, const fa_head_params *p, double R,
                        const double *q, const double *k, const double *u,
                        const double *o, const double *g, const double *saved,
                        double *dq, double *dk, double *du) {
  if (h->n < 1) return 0;
  poly_ctx<T> x;
  if (ctx_init<T>(&x, h, p, R, 1) == 0 && gather(x.Q, q, h) &&
      gather(x.K, k, h) && gather(x.U, u, h) && gather(x.G, g, h) &&
      gather(x.O, o, h) &&
      gpu_ok(cudaMemcpyAsync(x.D, saved, (size_t)h->n * 8,
                             cudaMemcpyDeviceToDevice),
             "cudaMemcpy(D)") &&
      gpu_launched(gpu_launch(k_rowdot<T>, dim3(blocks_for(h->n, ROWS_PER_BLOCK)),
                              dim3(ROWS_PER_BLOCK), 0, x.n, x.dh, x.O, x.G,
                              x.rr),
                   "k_rowdot") &&
      sweep<T>(&x, OP_DQ, x.dQ, NULL) == 0 &&
      sweep<T>(&x, OP_DK, x.dK, x.dU) == 0 && scatter(dq, (const T *)x.dQ, h) &&
      scatter(dk, (const T *)x.dK, h) && scatter(du, (const T *)x.dU, h))
    return 0;
  return -1;
}

extern "C" int gpu_poly_forward_dev(int wide, const fa_head *h,
                                    const fa_head_params *p, double R,
                                    const double *q, const double *k,
                                    const double *u, double *o,
                                    double *saved) {
  return wide ? dev_forward<double>(h, p, R, q, k, u, o, saved)
              : dev_forward<float>(h, p, R, q, k, u, o, saved);
}

extern "C" int gpu_poly_backward_dev(int wide, const fa_head *h,
                                     const fa_head_params *p, double R,
                                     const double *q, const double *k,
                                     const double *u, const double *o,
                                     const double *g, const double *saved,
                                     double *dq, double *dk, double *du) {
  return wide ? dev_backward<double>(h, p, R, q, k, u, o, g, saved, dq, dk, du)
              : dev_backward<float>(h, p, R, q, k, u, o, g, saved, dq, dk, du);
}

/* ---- the head calls (fa_head_impl): host arrays in, host arrays out ---- */

static int fwd32(const fa_head *h, const fa_head_params *p, const double *q,
                 const double *k, const double *u, double *o, double *saved) {
  return head_forward<float>(h, p, q, k, u, o, saved);
}
static int bwd32(const fa_head *h, const fa_head_params *p, const double *q,
                 const double *k, const double *u, const double *o,
                 const double *g, const double *saved, double *dq, double *dk,
                 double *du) {
  return head_backward<float>(h, p, q, k, u, o, g, saved, dq, dk, du);
}
static int fwd64(const fa_head *h, const fa_head_params *p, const double *q,
                 const double *k, const double *u, double *o, double *saved) {
  return head_forward<double>(h, p, q, k, u, o, saved);
}
static int bwd64(const fa_head *h, const fa_head_params *p, const double *q,
                 const double *k, const double *u, const double *o,
                 const double *g, const double *saved, double *dq, double *dk,
                 double *du) {
  return head_backward<double>(h, p, q, k, u, o, g, saved, dq, dk, du);
}

extern "C" {
const fa_head_impl gpu_head_poly32 = {"gpu-approx", fwd32, bwd32};
const fa_head_impl gpu_head_poly64 = {"gpu-approx64", fwd64, bwd64};
}
