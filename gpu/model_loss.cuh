/* The device model's loss kernels (model_gpu.cu), mirroring
 * fast/model_impl.h loss_forward / loss_backward at the working type T with
 * the sums in double. Header-only, included after model_kern.cuh. */
#ifndef ATTNREF_GPU_MODEL_LOSS_CUH
#define ATTNREF_GPU_MODEL_LOSS_CUH

#include "model_kern.cuh"

/* part[block] <- sum over a grid-stride share of e of (x_e - t_e)^2 (mse,
 * t = target) or x_e t_e (linear, t = cotangent), in double */
template <class T>
__global__ void mk_loss_part(int64_t count, int mse, const T *__restrict__ x,
                             const T *__restrict__ t, double *__restrict__ part) {
  double *sh = GPU_DYN_SMEM(double);
  double s = 0;
  for (int64_t e = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; e < count;
       e += (int64_t)gridDim.x * blockDim.x) {
    if (mse) {
      const double dv = (double)x[e] - t[e];
      s += dv * dv;
    } else {
      s += (double)x[e] * t[e];
    }
  }
  s = mk_block_sum(s, sh);
  if (threadIdx.x == 0) part[blockIdx.x] = s;
}

/* Row i of the logits Lg (in place, V columns) <- softmax(Lg_i) =
 * e^(Lg - max) / sum (the sum in double); row[i] <- (max - Lg_iy) +
 * log(sum), y = labels[i] (no cancellation when y holds the largest logit) */
template <class T>
__global__ void mk_softmax_rows(int64_t V, const int64_t *__restrict__ labels,
                                T *__restrict__ lg, double *__restrict__ row) {
  double *sh = GPU_DYN_SMEM(double);
  const int64_t i = blockIdx.x;
  const int t = (int)threadIdx.x, nt = (int)blockDim.x;
  T *li = lg + i * V;
  const T ly = li[labels[i]];
  T mx = li[0];
  for (int64_t j = t; j < V; j += nt) mx = li[j] > mx ? li[j] : mx;
  mx = (T)mk_block_max((double)mx, sh);
  double se = 0;
  for (int64_t j = t; j < V; j += nt) {
    li[j] = gexp(li[j] - mx);
    se += li[j];
  }
  se = mk_block_sum(se, sh);
  if (t == 0) row[i] = (double)(mx - ly) + log(se);
  for (int64_t j = t; j < V; j += nt) li[j] = (T)(li[j] / se);
}

/* dLg_i <- P_i / n, the label's entry -(sum of the other P_ij) / n (no
 * cancellation when P_iy is near 1) */
template <class T>
__global__ void mk_xent_grad(int64_t n, int64_t V,
                             const int64_t *__restrict__ labels,
                             const T *__restrict__ p, T *__restrict__ dlg) {
  double *sh = GPU_DYN_SMEM(double);
  const int64_t i = blockIdx.x, y = labels[i];
  const int t = (int)threadIdx.x, nt = (int)blockDim.x;
  const T *pi = p + i * V;
  double rest = 0;
  for (int64_t j = t; j < V; j += nt) {
    dlg[i * V + j] = pi[j] / (T)n;
    if (j != y) rest += pi[j];
  }
  rest = mk_block_sum(rest, sh);
  if (t == 0) dlg[i * V + y] = (T)(-rest / (double)n);
}

#endif
