/* The exact GPU head (attn_flash.h): kernels, their launch, the head calls.
 *
 * Geometry: 256 threads as 16 x 16 (ty = tid / 16, tx = tid % 16). A score
 * tile is (16 TM) x (16 TN); thread (ty, tx) holds its rows ty + 16a
 * (a < TM) and columns tx + 16b (b < TN) in registers, so the 16 threads of
 * one row are the 16 lanes of a half warp and row maxima / sums are
 * shuffles. Head-dim columns held in registers: tx + 16c (c < NB, d_h <=
 * 16 NB). Tiles of Q, K, U, G live in shared memory with an odd row stride
 * (d_h | 1: no bank conflicts between the 16 columns a half warp reads). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "attn_flash.h"
#include "gpu_rt.cuh"

#define NT 256

/* max over the 16 lanes holding one row (every lane gets it) */
template <class T>
__device__ __forceinline__ T half_warp_max(T v) {
  for (int m = 8; m > 0; m >>= 1) {
    T o = __shfl_xor_sync(0xffffffffu, v, m, 16);
    v = o > v ? o : v;
  }
  return v;
}

/* sum over the 16 lanes holding one row: a butterfly, so every lane adds the
 * same pairs (commuted) and all 16 get the same rounded sum */
template <class T>
__device__ __forceinline__ T half_warp_sum(T v) {
  for (int m = 8; m > 0; m >>= 1) v += __shfl_xor_sync(0xffffffffu, v, m, 16);
  return v;
}

/* dst[r][c] (row stride sl) <- src rows r0 .. r0+rows-1, head columns
 * hoff .. hoff+dh-1 (row stride ld); zeros past row n */
template <class T>
__device__ __forceinline__ void load_rows(T *dst, const T *__restrict__ src,
                                          int64_t r0, int rows, int64_t n,
                                          int dh, int64_t ld, int64_t hoff,
                                          int sl) {
  for (int e = threadIdx.x; e < rows * dh; e += NT) {
    int r = e / dh, c = e - r * dh;
    int64_t g = r0 + r;
    dst[r * sl + c] = g < n ? src[g * ld + hoff + c] : T(0);
  }
}

/* s[a][b] <- sum_c A[ty+16a][c] B[tx+16b][c] over c < dh (both in shared
 * memory, row stride sl) */
template <class T, int TM, int TN>
__device__ __forceinline__ void tile_dot(T (&s)[TM][TN], const T *A,
                                         const T *B, int dh, int sl, int ty,
                                         int tx) {
  for (int a = 0; a < TM; a++)
    for (int b = 0; b < TN; b++) s[a][b] = 0;
  for (int c = 0; c < dh; c++) {
    T x[TM], y[TN];
    for (int a = 0; a < TM; a++) x[a] = A[(ty + 16 * a) * sl + c];
    for (int b = 0; b < TN; b++) y[b] = B[(tx + 16 * b) * sl + c];
    for (int a = 0; a < TM; a++)
      for (int b = 0; b < TN; b++) s[a][b] += x[a] * y[b];
  }
}

/* ---- forward ----------------------------------------------------------- */

/* O = softmax_mask(tau Q K^T) U, lse = row log-sum-exp; block (x, y) = query
 * tile x of head y. Q, K, U, O: n x (H dh), row stride ld; lse: H x n. */
template <class T, int TM, int TN, int NB>
__global__ void __launch_bounds__(NT)
    flash_fwd(int64_t n, int dh, int64_t ld, int causal, T tau,
              const T *__restrict__ Q, const T *__restrict__ K,
              const T *__restrict__ U, T *__restrict__ O, T *__restrict__ lse) {
  constexpr int BR = 16 * TM, BC = 16 * TN, PL = BC + 1;
  const int ty = threadIdx.x >> 4, tx = threadIdx.x & 15, sl = dh | 1;
  const int64_t i0 = (int64_t)blockIdx.x * BR, hoff = (int64_t)blockIdx.y * dh;
  lse += (int64_t)blockIdx.y * n;
  T *Qs = GPU_DYN_SMEM(T), *Ks = Qs + BR * sl, *Us = Ks + BC * sl,
    *Ps = Us + BC * sl;
  load_rows(Qs, Q, i0, BR, n, dh, ld, hoff, sl);
  T o[TM][NB], m[TM];
  double l[TM];
  for (int a = 0; a < TM; a++) {
    m[a] = -INFINITY;
    l[a] = 0;
    for (int c = 0; c < NB; c++) o[a][c] = 0;
  }
  const int64_t jend = causal ? (n < i0 + BR ? n : i0 + BR) : n;
  for (int64_t j0 = 0; j0 < jend; j0 += BC) {
    __syncthreads(); /* the last tile's Ks, Us, Ps are read (Qs written) */
    load_rows(Ks, K, j0, BC, n, dh, ld, hoff, sl);
    load_rows(Us, U, j0, BC, n, dh, ld, hoff, sl);
    __syncthreads();
    T s[TM][TN];
    tile_dot<T, TM, TN>(s, Qs, Ks, dh, sl, ty, tx);
    for (int a = 0; a < TM; a++) {
      const int64_t i = i0 + ty + 16 * a;
      T mx = -INFINITY;
      for (int b = 0; b < TN; b++) {
        const int64_t j = j0 + tx + 16 * b;
        const bool vis = j < n && (!causal || j <= i);
        s[a][b] = vis ? tau * s[a][b] : -INFINITY;
        mx = s[a][b] > mx ? s[a][b] : mx;
      }
      mx = half_warp_max(mx);
      const T mnew = m[a] > mx ? m[a] : mx;
      /* e^(m_old - m_new): 0 on the first visible tile (m_old = -inf) */
      const T scale = mnew == -INFINITY ? T(1) : gexp(m[a] - mnew);
      T sum = 0;
      for (int b = 0; b < TN; b++) {
        const T p = s[a][b] == -INFINITY ? T(0) : gexp(s[a][b] - mnew);
        Ps[(ty + 16 * a) * PL + tx + 16 * b] = p;
        sum += p;
      }
      sum = half_warp_sum(sum);
      l[a] = l[a] * (double)scale + (double)sum;
      m[a] = mnew;
      for (int c = 0; c < NB; c++) o[a][c] *= scale;
    }
    __syncthreads();
    /* O_i += P U_j (masked P are 0; U rows past n were loaded as 0) */
    for (int kk = 0; kk < BC; kk++) {
      T ub[NB];
      for (int c = 0; c < NB; c++) {
        const int col = tx + 16 * c;
        ub[c] = col < dh ? Us[kk * sl + col] : T(0);
      }
      for (int a = 0; a < TM; a++) {
        const T p = Ps[(ty + 16 * a) * PL + kk];
        for (int c = 0; c < NB; c++) o[a][c] += p * ub[c];
      }
    }
  }
  for (int a = 0; a < TM; a++) {
    const int64_t i = i0 + ty + 16 * a;
    if (i >= n) continue;
    const T inv = (T)(1 / l[a]);
    for (int c = 0; c < NB; c++) {
      const int col = tx + 16 * c;
      if (col < dh) O[i * ld + hoff + col] = o[a][c] * inv;
    }
    if (tx == 0) lse[i] = m[a] + (T)log(l[a]);
  }
}

/* ---- backward ---------------------------------------------------------- */

/* r_i = <O_i, G_i> accumulated in double; r: H x n */
template <class T>
__global__ void flash_rowdot(int64_t n, int dh, int64_t ld,
                             const T *__restrict__ O, const T *__restrict__ G,
                             T *__restrict__ r) {
  const int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
  const int64_t hoff = (int64_t)blockIdx.y * dh;
  if (i >= n) return;
  double s = 0;
  for (int c = 0; c < dh; c++)
    s += (double)O[i * ld + hoff + c] * G[i * ld + hoff + c];
  r[(int64_t)blockIdx.y * n + i] = (T)s;
}

/* P and dS of score tile (i0, j0) from s = Q_i K_j^T and dp = G_i U_j^T:
 * P = e^(tau s - lse_i) where visible (else 0), dS = P (dp - r_i); row 0 of
 * a causal head (all rows when n = 1) sees one key and has dS = 0 exactly */
template <class T, int TM, int TN>
__device__ __forceinline__ void probs_and_ds(T (&s)[TM][TN],
                                             T (&dp)[TM][TN], int64_t n,
                                             int causal, T tau, int64_t i0,
                                             int64_t j0, const T *Ls,
                                             const T *Rs, int ty, int tx) {
  for (int a = 0; a < TM; a++) {
    const int row = ty + 16 * a;
    const int64_t i = i0 + row;
    for (int b = 0; b < TN; b++) {
      const int64_t j = j0 + tx + 16 * b;
      const bool vis = i < n && j < n && (!causal || j <= i);
      const T p = vis ? gexp(tau * s[a][b] - Ls[row]) : T(0);
      T ds = p * (dp[a][b] - Rs[row]);
      if (i == 0 && (causal || n == 1)) ds = 0;
      s[a][b] = p;
      dp[a][b] = ds;
    }
  }
}

/* Ls, Rs <- lse, r of rows i0 .. i0+rows-1 (0 past n) */
template <class T>
__device__ __forceinline__ void load_stats(T *Ls, T *Rs,
                                           const T *__restrict__ lse,
                                           const T *__restrict__ r, int64_t i0,
                                           int rows, int64_t n) {
  for (int e = threadIdx.x; e < rows; e += NT) {
    const int64_t i = i0 + e;
    Ls[e] = i < n ? lse[i] : T(0);
    Rs[e] = i < n ? r[i] : T(0);
  }
}

/* dK_j = tau sum_i dS_ij Q_i, dU_j = sum_i P_ij G_i; block (x, y) = key tile
 * x of head y, over the query tiles that see it */
template <class T, int TM, int TN, int NB>
__global__ void __launch_bounds__(NT)
    flash_bwd_kv(int64_t n, int dh, int64_t ld, int causal, T tau,
                 const T *__restrict__ Q, const T *__restrict__ K,
                 const T *__restrict__ U, const T *__restrict__ G,
                 const T *__restrict__ lse, const T *__restrict__ r,
                 T *__restrict__ dK, T *__restrict__ dU) {
  constexpr int BR = 16 * TM, BC = 16 * TN, PL = BC + 1;
  const int ty = threadIdx.x >> 4, tx = threadIdx.x & 15, sl = dh | 1;
  const int64_t j0 = (int64_t)blockIdx.x * BC, hoff = (int64_t)blockIdx.y * dh;
  lse += (int64_t)blockIdx.y * n;
  r += (int64_t)blockIdx.y * n;
  T *Ks = GPU_DYN_SMEM(T), *Us = Ks + BC * sl, *Qs = Us + BC * sl,
    *Gs = Qs + BR * sl, *Ps = Gs + BR * sl, *Ds = Ps + BR * PL,
    *Ls = Ds + BR * PL, *Rs = Ls + BR;
  load_rows(Ks, K, j0, BC, n, dh, ld, hoff, sl);
  load_rows(Us, U, j0, BC, n, dh, ld, hoff, sl);
  /* key rows ty + 16a (a < TN), head-dim columns tx + 16c */
  T dk[TN][NB], du[TN][NB];
  for (int a = 0; a < TN; a++)
    for (int c = 0; c < NB; c++) dk[a][c] = du[a][c] = 0;
  /* causal: query tiles wholly above row j0 see none of these keys */
  for (int64_t i0 = causal ? j0 / BR * BR : 0; i0 < n; i0 += BR) {
    __syncthreads(); /* the last tile's Qs, Gs, Ps, Ds are read */
    load_rows(Qs, Q, i0, BR, n, dh, ld, hoff, sl);
    load_rows(Gs, G, i0, BR, n, dh, ld, hoff, sl);
    load_stats(Ls, Rs, lse, r, i0, BR, n);
    __syncthreads();
    T s[TM][TN], dp[TM][TN];
    tile_dot<T, TM, TN>(s, Qs, Ks, dh, sl, ty, tx);
    tile_dot<T, TM, TN>(dp, Gs, Us, dh, sl, ty, tx);
    probs_and_ds<T, TM, TN>(s, dp, n, causal, tau, i0, j0, Ls, Rs, ty, tx);
    for (int a = 0; a < TM; a++)
      for (int b = 0; b < TN; b++) {
        Ps[(ty + 16 * a) * PL + tx + 16 * b] = s[a][b];
        Ds[(ty + 16 * a) * PL + tx + 16 * b] = dp[a][b];
      }
    __syncthreads();
    for (int kk = 0; kk < BR; kk++) {
      T gc[NB], qc[NB];
      for (int c = 0; c < NB; c++) {
        const int col = tx + 16 * c;
        gc[c] = col < dh ? Gs[kk * sl + col] : T(0);
        qc[c] = col < dh ? Qs[kk * sl + col] : T(0);
      }
      for (int a = 0; a < TN; a++) {
        const T p = Ps[kk * PL + ty + 16 * a], ds = Ds[kk * PL + ty + 16 * a];
        for (int c = 0; c < NB; c++) {
          du[a][c] += p * gc[c];
          dk[a][c] += ds * qc[c];
        }
      }
    }
  }
  for (int a = 0; a < TN; a++) {
    const int64_t j = j0 + ty + 16 * a;
    if (j >= n) continue;
    for (int c = 0; c < NB; c++) {
      const int col = tx + 16 * c;
      if (col >= dh) continue;
      dK[j * ld + hoff + col] = tau * dk[a][c];
      dU[j * ld + hoff + col] = du[a][c];
    }
  }
}

/* dQ_i = tau sum_j dS_ij K_j; block (x, y) = query tile x of head y */
template <class T, int TM, int TN, int NB>
__global__ void __launch_bounds__(NT)
    flash_bwd_q(int64_t n, int dh, int64_t ld, int causal, T tau,
                const T *__restrict__ Q, const T *__restrict__ K,
                const T *__restrict__ U, const T *__restrict__ G,
                const T *__restrict__ lse, const T *__restrict__ r,
                T *__restrict__ dQ) {
  constexpr int BR = 16 * TM, BC = 16 * TN, PL = BC + 1;
  const int ty = threadIdx.x >> 4, tx = threadIdx.x & 15, sl = dh | 1;
  const int64_t i0 = (int64_t)blockIdx.x * BR, hoff = (int64_t)blockIdx.y * dh;
  lse += (int64_t)blockIdx.y * n;
  r += (int64_t)blockIdx.y * n;
  T *Qs = GPU_DYN_SMEM(T), *Gs = Qs + BR * sl, *Ks = Gs + BR * sl,
    *Us = Ks + BC * sl, *Ds = Us + BC * sl, *Ls = Ds + BR * PL,
    *Rs = Ls + BR;
  load_rows(Qs, Q, i0, BR, n, dh, ld, hoff, sl);
  load_rows(Gs, G, i0, BR, n, dh, ld, hoff, sl);
  load_stats(Ls, Rs, lse, r, i0, BR, n);
  T dq[TM][NB];
  for (int a = 0; a < TM; a++)
    for (int c = 0; c < NB; c++) dq[a][c] = 0;
  const int64_t jend = causal ? (n < i0 + BR ? n : i0 + BR) : n;
  for (int64_t j0 = 0; j0 < jend; j0 += BC) {
    __syncthreads(); /* the last tile's Ks, Ds are read (Qs, Gs written) */
    load_rows(Ks, K, j0, BC, n, dh, ld, hoff, sl);
    load_rows(Us, U, j0, BC, n, dh, ld, hoff, sl);
    __syncthreads();
    T s[TM][TN], dp[TM][TN];
    tile_dot<T, TM, TN>(s, Qs, Ks, dh, sl, ty, tx);
    tile_dot<T, TM, TN>(dp, Gs, Us, dh, sl, ty, tx);
    probs_and_ds<T, TM, TN>(s, dp, n, causal, tau, i0, j0, Ls, Rs, ty, tx);
    for (int a = 0; a < TM; a++)
      for (int b = 0; b < TN; b++) Ds[(ty + 16 * a) * PL + tx + 16 * b] = dp[a][b];
    __syncthreads();
    for (int kk = 0; kk < BC; kk++) {
      T kc[NB];
      for (int c = 0; c < NB; c++) {
        const int col = tx + 16 * c;
        kc[c] = col < dh ? Ks[kk * sl + col] : T(0);
      }
      for (int a = 0; a < TM; a++) {
        const T d = Ds[(ty + 16 * a) * PL + kk];
        for (int c = 0; c < NB; c++) dq[a][c] += d * kc[c];
      }
    }
  }
  for (int a = 0; a < TM; a++) {
    const int64_t i = i0 + ty + 16 * a;
    if (i >= n) continue;
    for (int c = 0; c < NB; c++) {
      const int col = tx + 16 * c;
      if (col < dh) dQ[i * ld + hoff + col] = tau * dq[a][c];
    }
  }
}

/* ---- launch ------------------------------------------------------------ */

/* shared-memory values of each kernel for tiles 16 t x 16 t */
static size_t smem_fwd(int t, int dh) {
  size_t B = 16 * (size_t)t, sl = (size_t)(dh | 1);
  return 3 * B * sl + B * (B + 1);
}
static size_t smem_kv(int t, int dh) {
  size_t B = 16 * (size_t)t, sl = (size_t)(dh | 1);
  return 4 * B * sl + 2 * B * (B + 1) + 2 * B;
}
static size_t smem_q(int t, int dh) {
  size_t B = 16 * (size_t)t, sl = (size_t)(dh | 1);
  return 4 * B * sl + B * (B + 1) + 2 * B;
}

/* The tile (16 t square) and register width (NB) for d_h: the largest t of
 * 4, 2, 1 whose kernels fit the device's shared memory (64 x 64 tiles up to
 * d_h = 64 in double and 200 in float on an H100; measured there, 64 x 64
 * double tiles run 8-30% faster than 32 x 32). ATTNREF_GPU_FLASH_TILE=1|2|4
 * caps t (benchmarks, tests).
 * 0 when none does or d_h is out of range (error recorded). */
template <class T>
static int pick_config(int dh, int *tile, int *nb) {
  if (dh < 1 || dh > GPU_FLASH_MAX_DH) {
    char msg[96];
    snprintf(msg, sizeof msg, "d_h = %d outside 1..%d", dh, GPU_FLASH_MAX_DH);
    gpu_set_error("gpu-exact", msg);
    return 0;
  }
  int b = 1;
  while (16 * b < dh) b *= 2;
  *nb = b;
  int optin = 0;
  if (!gpu_ok(cudaDeviceGetAttribute(&optin,
                                     cudaDevAttrMaxSharedMemoryPerBlockOptin,
                                     0),
              "cudaDeviceGetAttribute(smem)"))
    return 0;
  int tmax = 4;
  const char *env = getenv("ATTNREF_GPU_FLASH_TILE");
  if (env && (atoi(env) == 1 || atoi(env) == 2 || atoi(env) == 4))
    tmax = atoi(env);
  for (int t = tmax; t >= 1; t /= 2) {
    size_t need = smem_kv(t, dh);
    if (smem_q(t, dh) > need) need = smem_q(t, dh);
    if (smem_fwd(t, dh) > need) need = smem_fwd(t, dh);
    if (need * sizeof(T) <= (size_t)optin) {
      *tile = t;
      return 1;
    }
  }
  gpu_set_error("gpu-exact", "d_h too large for the device's shared memory");
  return 0;
}

/* kernel's dynamic shared memory set (beyond 48 KiB needs the opt-in) */
template <class K>
static bool allow_smem(K kernel, size_t bytes) {
  return gpu_ok(cudaFuncSetAttribute((const void *)kernel,
                                     cudaFuncAttributeMaxDynamicSharedMemorySize,
                                     (int)bytes),
                "cudaFuncSetAttribute(smem)");
}

template <class T, int TT, int NB>
static int forward_t(int64_t n, int dh, int H, int causal, T tau, const T *q,
                     const T *k, const T *u, T *o, T *lse) {
  const int64_t ld = (int64_t)H * dh;
  const size_t smem = smem_fwd(TT, dh) * sizeof(T);
  auto kf = flash_fwd<T, TT, TT, NB>;
  dim3 grid((unsigned)((n + 16 * TT - 1) / (16 * TT)), (unsigned)H);
  if (!allow_smem(kf, smem)) return -1;
  if (!gpu_launched(gpu_launch(kf, grid, dim3(NT), smem, n, dh, ld, causal,
                               tau, q, k, u, o, lse),
                    "flash_fwd"))
    return -1;
  return 0;
}

template <class T, int TT, int NB>
static int backward_t(int64_t n, int dh, int H, int causal, T tau, const T *q,
                      const T *k, const T *u, const T *o, const T *g,
                      const T *lse, T *r, T *dq, T *dk, T *du) {
  const int64_t ld = (int64_t)H * dh;
  const unsigned tiles = (unsigned)((n + 16 * TT - 1) / (16 * TT));
  auto kd = flash_rowdot<T>;
  auto kkv = flash_bwd_kv<T, TT, TT, NB>;
  auto kq = flash_bwd_q<T, TT, TT, NB>;
  const size_t skv = smem_kv(TT, dh) * sizeof(T), sq = smem_q(TT, dh) * sizeof(T);
  if (!allow_smem(kkv, skv) || !allow_smem(kq, sq)) return -1;
  if (!gpu_launched(gpu_launch(kd, dim3((unsigned)((n + NT - 1) / NT),
                                        (unsigned)H),
                               dim3(NT), 0, n, dh, ld, o, g, r),
                    "flash_rowdot"))
    return -1;
  if (!gpu_launched(gpu_launch(kkv, dim3(tiles, (unsigned)H), dim3(NT), skv, n,
                               dh, ld, causal, tau, q, k, u, g, lse, r, dk, du),
                    "flash_bwd_kv"))
    return -1;
  if (!gpu_launched(gpu_launch(kq, dim3(tiles, (unsigned)H), dim3(NT), sq, n,
                               dh, ld, causal, tau, q, k, u, g, lse, r, dq),
                    "flash_bwd_q"))
    return -1;
  return 0;
}

/* the instantiation for (tile, nb) */
#define FLASH_DISPATCH(T, tile, nb, call)                                     \
  switch ((tile) * 100 + (nb)) {                                              \
  case 401: return call<T, 4, 1>;                                             \
  case 402: return call<T, 4, 2>;                                             \
  case 404: return call<T, 4, 4>;                                             \
  case 408: return call<T, 4, 8>;                                             \
  case 416: return call<T, 4, 16>;                                            \
  case 201: return call<T, 2, 1>;                                             \
  case 202: return call<T, 2, 2>;                                             \
  case 204: return call<T, 2, 4>;                                             \
  case 208: return call<T, 2, 8>;                                             \
  case 216: return call<T, 2, 16>;                                            \
  case 101: return call<T, 1, 1>;                                             \
  case 102: return call<T, 1, 2>;                                             \
  case 104: return call<T, 1, 4>;                                             \
  case 108: return call<T, 1, 8>;                                             \
  case 116: return call<T, 1, 16>;                                            \
  default: return NULL;                                                       \
  }

template <class T>
using fwd_fn = int (*)(int64_t, int, int, int, T, const T *, const T *,
                       const T *, T *, T *);
template <class T>
using bwd_fn = int (*)(int64_t, int, int, int, T, const T *, const T *,
                       const T *, const T *, const T *, const T *, T *, T *,
                       T *, T *);

template <class T>
static fwd_fn<T> forward_for(int tile, int nb) {
  FLASH_DISPATCH(T, tile, nb, forward_t)
}
template <class T>
static bwd_fn<T> backward_for(int tile, int nb) {
  FLASH_DISPATCH(T, tile, nb, backward_t)
}

template <class T>
static int forward_dev(int64_t n, int dh, int H, int causal, T tau,
                       const T *q, const T *k, const T *u, T *o, T *lse) {
  int tile, nb;
  if (n < 1 || H < 1) return 0;
  if (!pick_config<T>(dh, &tile, &nb)) return -1;
  return forward_for<T>(tile, nb)(n, dh, H, causal, tau, q, k, u, o, lse);
}

template <class T>
static int backward_dev(int64_t n, int dh, int H, int causal, T tau,
                        const T *q, const T *k, const T *u, const T *o,
                        const T *g, const T *lse, T *r, T *dq, T *dk, T *du) {
  int tile, nb;
  if (n < 1 || H < 1) return 0;
  if (!pick_config<T>(dh, &tile, &nb)) return -1;
  return backward_for<T>(tile, nb)(n, dh, H, causal, tau, q, k, u, o, g, lse,
                                   r, dq, dk, du);
}

extern "C" {
int gpu_flash_forward_dev64(int64_t n, int dh, int H, int causal, double tau,
                            const double *q, const double *k, const double *u,
                            double *o, double *lse) {
  return forward_dev<double>(n, dh, H, causal, tau, q, k, u, o, lse);
}
int gpu_flash_backward_dev64(int64_t n, int dh, int H, int causal, double tau,
                             const double *q, const double *k, const double *u,
                             const double *o, const double *g,
                             const double *lse, double *r, double *dq,
                             double *dk, double *du) {
  return backward_dev<double>(n, dh, H, causal, tau, q, k, u, o, g, lse, r, dq,
                              dk, du);
}
int gpu_flash_forward_dev32(int64_t n, int dh, int H, int causal, float tau,
                            const float *q, const float *k, const float *u,
                            float *o, float *lse) {
  return forward_dev<float>(n, dh, H, causal, tau, q, k, u, o, lse);
}
int gpu_flash_backward_dev32(int64_t n, int dh, int H, int causal, float tau,
                             const float *q, const float *k, const float *u,
                             const float *o, const float *g, const float *lse,
                             float *r, float *dq, float *dk, float *du) {
  return backward_dev<float>(n, dh, H, causal, tau, q, k, u, o, g, lse, r, dq,
                             dk, du);
}

int64_t gpu_flash_device_bytes(int64_t n, int64_t dh, int real_bytes) {
  /* backward: Q K U O G dQ dK dU (n x dh each), lse and r (n each) */
  double v = 8.0 * (double)n * (double)dh + 2.0 * (double)n;
  double bytes = v * real_bytes;
  return bytes < 4.0e18 ? (int64_t)bytes : -1;
}
}

/* ---- the head calls (fa_head_impl): host arrays in, host arrays out ---- */

/* device dst (rows x dh, dense) <- host src (rows x dh, row stride ld) */
template <class T>
static bool up(T *dst, const T *src, const fa_head *h) {
  return gpu_ok(cudaMemcpy2D(dst, (size_t)h->dh * sizeof(T), src,
                             (size_t)h->ld * sizeof(T),
                             (size_t)h->dh * sizeof(T), (size_t)h->n,
                             cudaMemcpyHostToDevice),
                "cudaMemcpy2D(host to device)");
}

template <class T>
static bool down(T *dst, const T *src, const fa_head *h) {
  return gpu_ok(cudaMemcpy2D(dst, (size_t)h->ld * sizeof(T), src,
                             (size_t)h->dh * sizeof(T),
                             (size_t)h->dh * sizeof(T), (size_t)h->n,
                             cudaMemcpyDeviceToHost),
                "cudaMemcpy2D(device to host)");
}

template <class T>
static int head_forward(const fa_head *h, const fa_head_params *p, const T *q,
                        const T *k, const T *u, T *o, T *saved) {
  (void)p;
  const int64_t n = h->n, nd = h->n * h->dh;
  int rc = -1;
  if (n < 1) return 0;
  gpu_lock();
  T *w = (T *)gpu_workspace((size_t)(4 * nd + n) * sizeof(T));
  if (w && up(w, q, h) && up(w + nd, k, h) && up(w + 2 * nd, u, h) &&
      forward_dev<T>(n, (int)h->dh, 1, h->causal, (T)h->tau, w, w + nd,
                     w + 2 * nd, w + 3 * nd, w + 4 * nd) == 0 &&
      down(o, w + 3 * nd, h) &&
      gpu_ok(cudaMemcpy(saved, w + 4 * nd, (size_t)n * sizeof(T),
                        cudaMemcpyDeviceToHost),
             "cudaMemcpy(lse)"))
    rc = 0;
  gpu_unlock();
  return rc;
}

template <class T>
static int head_backward(const fa_head *h, const fa_head_params *p,
                         const T *q, const T *k, const T *u, const T *o,
                         const T *g, const T *saved, T *dq, T *dk, T *du) {
  (void)p;
  const int64_t n = h->n, nd = h->n * h->dh;
  int rc = -1;
  if (n < 1) return 0;
  gpu_lock();
  T *w = (T *)gpu_workspace((size_t)(8 * nd + 2 * n) * sizeof(T));
  T *dQ = w + 5 * nd, *dK = w + 6 * nd, *dU = w + 7 * nd, *lse = w + 8 * nd,
    *r = lse + n;
  if (w && up(w, q, h) && up(w + nd, k, h) && up(w + 2 * nd, u, h) &&
      up(w + 3 * nd, o, h) && up(w + 4 * nd, g, h) &&
      gpu_ok(cudaMemcpy(lse, saved, (size_t)n * sizeof(T),
                        cudaMemcpyHostToDevice),
             "cudaMemcpy(lse)") &&
      backward_dev<T>(n, (int)h->dh, 1, h->causal, (T)h->tau, w, w + nd,
                      w + 2 * nd, w + 3 * nd, w + 4 * nd, lse, r, dQ, dK,
                      dU) == 0 &&
      down(dq, dQ, h) && down(dk, dK, h) && down(du, dU, h))
    rc = 0;
  gpu_unlock();
  return rc;
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
static int fwd32(const fa_head *h, const fa_head_params *p, const float *q,
                 const float *k, const float *u, float *o, float *saved) {
  return head_forward<float>(h, p, q, k, u, o, saved);
}
static int bwd32(const fa_head *h, const fa_head_params *p, const float *q,
                 const float *k, const float *u, const float *o,
                 const float *g, const float *saved, float *dq, float *dk,
                 float *du) {
  return head_backward<float>(h, p, q, k, u, o, g, saved, dq, dk, du);
}

extern "C" {
const fa_head_impl gpu_head_exact64 = {"gpu-exact", fwd64, bwd64};
const fa_head_impl_f32 gpu_head_exact32 = {"gpu-exact", fwd32, bwd32};
}
