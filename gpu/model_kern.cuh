/* The device model's elementwise, bias, norm and reduction kernels
 * (model_gpu.cu), each mirroring a function of fast/model_impl.h at the
 * working type T (double or float) with its reductions accumulated in double
 * as there. Row kernels take one CUDA block per row (mk_row_threads
 * threads) and reduce in a fixed tree (the same result on every run); column sums go
 * through per-chunk partials summed in chunk order. Header-only (templates),
 * included by model_gpu.cu. */
#ifndef ATTNREF_GPU_MODEL_KERN_CUH
#define ATTNREF_GPU_MODEL_KERN_CUH

#include "gpu_rt.cuh"

extern "C" {
#include "../src/config.h"
}

#define MK_NT 128   /* threads per block (at most, for the row kernels) */
#define MK_CHUNKS 128 /* row chunks of the column sums */

__device__ __forceinline__ double gerf(double x) { return erf(x); }
__device__ __forceinline__ float gerf(float x) { return erff(x); }
__device__ __forceinline__ double gsqrt(double x) { return sqrt(x); }

static inline unsigned mk_blocks(int64_t count, int per) {
  return (unsigned)((count + per - 1) / per);
}

/* threads of a row kernel for rows of `len`: the power of 2 >= len within
 * 32 .. MK_NT (short rows leave no threads idle, and the emulation runs
 * fewer fibers) */
static inline int mk_row_threads(int64_t len) {
  int t = 32;
  while (t < MK_NT && t < len) t *= 2;
  return t;
}

/* every thread <- the sum of v over the block (blockDim.x a power of 2;
 * tree in sh, blockDim.x doubles) */
__device__ __forceinline__ double mk_block_sum(double v, double *sh) {
  const int t = (int)threadIdx.x;
  sh[t] = v;
  __syncthreads();
  for (int s = (int)blockDim.x / 2; s > 0; s >>= 1) {
    if (t < s) sh[t] += sh[t + s];
    __syncthreads();
  }
  const double r = sh[0];
  __syncthreads();
  return r;
}

/* every thread <- the max of v over the block */
__device__ __forceinline__ double mk_block_max(double v, double *sh) {
  const int t = (int)threadIdx.x;
  sh[t] = v;
  __syncthreads();
  for (int s = (int)blockDim.x / 2; s > 0; s >>= 1) {
    if (t < s && sh[t + s] > sh[t]) sh[t] = sh[t + s];
    __syncthreads();
  }
  const double r = sh[0];
  __syncthreads();
  return r;
}

/* ---- elementwise (model_impl.h add_bias, act_forward, act_backward) ---- */

/* Y <- Y + 1 b^T (b: cols) */
template <class T>
__global__ void mk_add_bias(int64_t rows, int64_t cols, const T *__restrict__ b,
                            T *__restrict__ y) {
  const int64_t e = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (e < rows * cols) y[e] += b[e % cols];
}

/* relu(x) = max(x, 0); gelu(x) = x Phi(x), Phi(x) = (1 + erf(x/sqrt2))/2 */
template <class T>
__device__ __forceinline__ T mk_act(int gelu, T x) {
  if (!gelu) return x > 0 ? x : T(0);
  return x * (T)0.5 * (1 + gerf(x * (T)0.70710678118654752440));
}

/* relu'(x) = [x > 0]; gelu'(x) = Phi(x) + x phi(x) */
template <class T>
__device__ __forceinline__ T mk_act_grad(int gelu, T x) {
  if (!gelu) return x > 0 ? T(1) : T(0);
  const T Phi = (T)0.5 * (1 + gerf(x * (T)0.70710678118654752440));
  return Phi + x * gexp(-x * x / 2) * (T)0.39894228040143267794;
}

/* h <- act(p) */
template <class T>
__global__ void mk_act_forward(int64_t count, int gelu, const T *__restrict__ p,
                               T *__restrict__ h) {
  const int64_t e = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (e < count) h[e] = mk_act(gelu, p[e]);
}

/* dh <- dh o act'(p) */
template <class T>
__global__ void mk_act_backward(int64_t count, int gelu, const T *__restrict__ p,
                                T *__restrict__ dh) {
  const int64_t e = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (e < count) dh[e] *= mk_act_grad(gelu, p[e]);
}

/* y <- a x (+ y when accumulate) */
template <class T>
__global__ void mk_scale(int64_t count, T a, const T *__restrict__ x,
                         T *__restrict__ y, int accumulate) {
  const int64_t e = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (e < count) y[e] = accumulate ? y[e] + a * x[e] : a * x[e];
}

/* y <- a - b */
template <class T>
__global__ void mk_sub(int64_t count, const T *__restrict__ a,
                       const T *__restrict__ b, T *__restrict__ y) {
  const int64_t e = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (e < count) y[e] = a[e] - b[e];
}

/* ---- column sums (model_impl.h col_sums, norm_backward's dgamma) ---- */

/* part[c, j] <- sum over chunk c's rows i of dy_ij (x == NULL), or of
 * dy_ij xhat_ij, xhat = (x_ij - mu_i) rs_i at T (dgamma); in double.
 * grid (column blocks, MK_CHUNKS) */
template <class T>
__global__ void mk_colsum_part(int64_t rows, int64_t cols,
                               const T *__restrict__ dy, const T *__restrict__ x,
                               const T *__restrict__ mu, const T *__restrict__ rs,
                               double *__restrict__ part) {
  const int64_t j = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
  const int64_t c = blockIdx.y, C = gridDim.y;
  if (j >= cols) return;
  const int64_t a = rows * c / C, e = rows * (c + 1) / C;
  double s = 0;
  for (int64_t i = a; i < e; i++) {
    const int64_t k = i * cols + j;
    if (x)
      s += (double)dy[k] * (double)((x[k] - mu[i]) * rs[i]);
    else
      s += (double)dy[k];
  }
  part[c * cols + j] = s;
}

/* out[j] <- sum_c part[c, j] in chunk order */
__global__ void mk_colsum_final(int64_t cols, int chunks,
                                const double *__restrict__ part,
                                double *__restrict__ out) {
  const int64_t j = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (j >= cols) return;
  double s = 0;
  for (int c = 0; c < chunks; c++) s += part[c * cols + j];
  out[j] = s;
}

/* ---- norms (model_impl.h norm_forward, norm_backward), a block a row ---- */

/* y_i <- Norm(x_i); mu_i (layernorm), rs_i = 1/sigma or 1/rho */
template <class T>
__global__ void mk_norm_forward(int layer, int64_t d, double eps,
                                const T *__restrict__ x, const T *__restrict__ gw,
                                const T *__restrict__ gb, T *__restrict__ y,
                                T *__restrict__ mu, T *__restrict__ rs) {
  double *sh = GPU_DYN_SMEM(double);
  const int64_t i = blockIdx.x;
  const int t = (int)threadIdx.x, nt = (int)blockDim.x;
  const T *xi = x + i * d;
  double mean = 0;
  if (layer) {
    double s = 0;
    for (int64_t k = t; k < d; k += nt) s += xi[k];
    mean = mk_block_sum(s, sh) / (double)d;
  }
  double v = 0;
  for (int64_t k = t; k < d; k += nt) {
    const double dv = (double)xi[k] - mean;
    v += dv * dv;
  }
  const double var = mk_block_sum(v, sh) / (double)d;
  const T m = (T)mean, r = (T)(1 / gsqrt(var + eps));
  if (t == 0) mu[i] = m, rs[i] = r;
  for (int64_t k = t; k < d; k += nt) {
    const T xh = (xi[k] - m) * r;
    y[i * d + k] = xh * gw[k] + (gb ? gb[k] : T(0));
  }
}

/* dx_i <- rs (g - mean(g) [layernorm] - xhat mean(g o xhat)), g = dy o gamma,
 * written or added to (accumulate) */
template <class T>
__global__ void mk_norm_backward(int layer, int64_t d, const T *__restrict__ x,
                                 const T *__restrict__ gw,
                                 const T *__restrict__ mu,
                                 const T *__restrict__ rs,
                                 const T *__restrict__ dy, T *__restrict__ dx,
                                 int accumulate) {
  double *sh = GPU_DYN_SMEM(double);
  const int64_t i = blockIdx.x;
  const int t = (int)threadIdx.x, nt = (int)blockDim.x;
  const T *xi = x + i * d, *dyi = dy + i * d;
  const T m = mu[i], r = rs[i];
  double mg = 0, mgx = 0;
  for (int64_t k = t; k < d; k += nt) {
    const T g = dyi[k] * gw[k], xh = (xi[k] - m) * r;
    mg += g;
    mgx += (double)g * xh;
  }
  mg = mk_block_sum(mg, sh);
  mgx = mk_block_sum(mgx, sh);
  const T mgr = layer ? (T)(mg / (double)d) : T(0);
  const T mgxr = (T)(mgx / (double)d);
  for (int64_t k = t; k < d; k += nt) {
    const T g = dyi[k] * gw[k], xh = (xi[k] - m) * r;
    const T v = r * (g - mgr - xh * mgxr);
    dx[i * d + k] = accumulate ? dx[i * d + k] + v : v;
  }
}

/* ---- per-head statistics of the approx head (model_impl.h score_radius,
 * fast/approx_common.c's max |u|) ---- */

/* per block of rows and head h (grid (row blocks, H)): out[(h nb + b) 3 +]
 * = max_i sum_c q_ic^2, max_i sum_c k_ic^2 (in double, c ascending as the
 * CPU sums), max |u_ic| over the block's rows of head h's columns */
template <class T>
__global__ void mk_head_stats(int64_t n, int64_t dh, int64_t ld,
                              const T *__restrict__ q, const T *__restrict__ k,
                              const T *__restrict__ u, double *__restrict__ out) {
  double *sh = GPU_DYN_SMEM(double);
  const int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
  const int64_t off = (int64_t)blockIdx.y * dh;
  double sq = 0, sk = 0, um = 0;
  if (i < n)
    for (int64_t c = 0; c < dh; c++) {
      const double a = q[i * ld + off + c], b = k[i * ld + off + c];
      const double w = fabs((double)u[i * ld + off + c]);
      sq += a * a;
      sk += b * b;
      if (w > um) um = w;
    }
  sq = mk_block_max(sq, sh);
  sk = mk_block_max(sk, sh);
  um = mk_block_max(um, sh);
  if (threadIdx.x == 0) {
    double *o = out + ((int64_t)blockIdx.y * gridDim.x + blockIdx.x) * 3;
    o[0] = sq, o[1] = sk, o[2] = um;
  }
}

#endif
