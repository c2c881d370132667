/* attnref_gpu_bench: times the GPU attention heads alone, on device arrays
 * (no host copies), for comparison with PyTorch's SDPA (gpu/bench_sdpa.py):
 *
 *   attnref_gpu_bench [--n 4096,16384] [--dh 8,16,64] [--heads 8]
 *                     [--causal 0,1] [--prec 64,32] [--reps 5]
 *
 * One line per configuration: the exact head's forward and backward (the
 * row dots, the dK/dU kernel and the dQ kernel) in milliseconds, the best of
 * --reps after one warm-up, and TFLOP/s counted the FlashAttention way
 * (forward 4 n^2 d_h per head, backward 2.5 times that; half of each when
 * causal), so the figures line up with bench_sdpa.py's. Configurations
 * whose arrays do not fit in 80% of the free device memory are skipped.
 * Exit 2 without a device. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attn_flash.h"
#include "gpu_rt.cuh"

/* x_i <- uniform in [-1, 1) from a hash of (i, seed) */
template <class T>
__global__ void fill_uniform(int64_t count, uint64_t seed, T *x) {
  const int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= count) return;
  uint64_t z = (uint64_t)i * 0x9E3779B97F4A7C15ull + seed;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  x[i] = (T)((double)(z >> 11) * 0x1p-52 - 1.0);
}

static int parse_list(const char *s, long long *v, int max) {
  int n = 0;
  while (*s && n < max) {
    char *end;
    v[n++] = strtoll(s, &end, 10);
    if (end == s) return -1;
    s = *end == ',' ? end + 1 : end;
  }
  return n;
}

template <class T>
static int bench(int64_t n, int dh, int H, int causal, int reps) {
  const int64_t nd = n * H * dh;
  const size_t bytes = (size_t)(8 * nd + 2 * n * H) * sizeof(T);
  size_t fr = 0, tot = 0;
  if (!gpu_ok(cudaMemGetInfo(&fr, &tot), "cudaMemGetInfo")) return -1;
  if (bytes > 0.8 * (double)fr) {
    printf("gpu-exact%d n=%lld dh=%d heads=%d causal=%d: skipped (%.1f GiB "
           "needed, %.1f free)\n",
           (int)(8 * sizeof(T)), (long long)n, dh, H, causal,
           bytes / 1073741824.0, fr / 1073741824.0);
    return 0;
  }
  T *w = NULL;
  cudaEvent_t e0, e1, e2;
  float best_f = 1e30f, best_b = 1e30f;
  if (!gpu_ok(cudaMalloc(&w, bytes), "cudaMalloc")) return -1;
  T *q = w, *k = w + nd, *u = w + 2 * nd, *o = w + 3 * nd, *g = w + 4 * nd,
    *dq = w + 5 * nd, *dk = w + 6 * nd, *du = w + 7 * nd, *lse = w + 8 * nd,
    *r = lse + n * H;
  const T tau = (T)(1 / sqrt((double)dh));
  for (int a = 0; a < 5; a++)
    gpu_launch(fill_uniform<T>, dim3((unsigned)((nd + 255) / 256)), dim3(256),
               0, nd, (uint64_t)(a + 1), w + a * nd);
  cudaEventCreate(&e0);
  cudaEventCreate(&e1);
  cudaEventCreate(&e2);
  for (int rep = 0; rep <= reps; rep++) { /* rep 0: warm-up */
    int rc;
    cudaEventRecord(e0);
    if (sizeof(T) == 8)
      rc = gpu_flash_forward_dev64(n, dh, H, causal, tau, (double *)q,
                                   (double *)k, (double *)u, (double *)o,
                                   (double *)lse);
    else
      rc = gpu_flash_forward_dev32(n, dh, H, causal, tau, (float *)q,
                                   (float *)k, (float *)u, (float *)o,
                                   (float *)lse);
    cudaEventRecord(e1);
    if (!rc) {
      if (sizeof(T) == 8)
        rc = gpu_flash_backward_dev64(
            n, dh, H, causal, tau, (double *)q, (double *)k, (double *)u,
            (double *)o, (double *)g, (double *)lse, (double *)r, (double *)dq,
            (double *)dk, (double *)du);
      else
        rc = gpu_flash_backward_dev32(
            n, dh, H, causal, tau, (float *)q, (float *)k, (float *)u,
            (float *)o, (float *)g, (float *)lse, (float *)r, (float *)dq,
            (float *)dk, (float *)du);
    }
    cudaEventRecord(e2);
    if (rc || !gpu_ok(cudaEventSynchronize(e2), "kernels")) {
      fprintf(stderr, "attnref_gpu_bench: %s\n", gpu_last_error());
      cudaFree(w);
      return -1;
    }
    float tf, tb;
    cudaEventElapsedTime(&tf, e0, e1);
    cudaEventElapsedTime(&tb, e1, e2);
    if (rep > 0) {
      best_f = tf < best_f ? tf : best_f;
      best_b = tb < best_b ? tb : best_b;
    }
  }
  const double fl = 4.0 * (double)n * n * dh * H * (causal ? 0.5 : 1.0);
  printf("gpu-exact%d n=%lld dh=%d heads=%d causal=%d: forward %.3f ms "
         "(%.2f TFLOP/s), backward %.3f ms (%.2f TFLOP/s)\n",
         (int)(8 * sizeof(T)), (long long)n, dh, H, causal, best_f,
         fl / (best_f * 1e-3) / 1e12, best_b,
         2.5 * fl / (best_b * 1e-3) / 1e12);
  fflush(stdout);
  cudaEventDestroy(e0);
  cudaEventDestroy(e1);
  cudaEventDestroy(e2);
  cudaFree(w);
  return 0;
}

int main(int argc, char **argv) {
  long long ns[32] = {4096, 16384, 65536}, dhs[8] = {8, 16, 64},
            cs[2] = {0, 1}, ps[2] = {64, 32}, H = 8, reps = 5;
  int nn = 3, nd = 3, nc = 2, np = 2;
  for (int a = 1; a + 1 < argc; a += 2) {
    const char *o = argv[a], *v = argv[a + 1];
    int bad = 0;
    if (!strcmp(o, "--n")) bad = (nn = parse_list(v, ns, 32)) < 1;
    else if (!strcmp(o, "--dh")) bad = (nd = parse_list(v, dhs, 8)) < 1;
    else if (!strcmp(o, "--causal")) bad = (nc = parse_list(v, cs, 2)) < 1;
    else if (!strcmp(o, "--prec")) bad = (np = parse_list(v, ps, 2)) < 1;
    else if (!strcmp(o, "--heads")) H = atoll(v), bad = H < 1;
    else if (!strcmp(o, "--reps")) reps = atoll(v), bad = reps < 1;
    else bad = 1;
    if (bad) {
      fprintf(stderr, "attnref_gpu_bench: bad option %s %s\n", o, v);
      return 2;
    }
  }
  if ((argc - 1) % 2) {
    fprintf(stderr, "usage: attnref_gpu_bench [--n N,..] [--dh D,..] "
                    "[--heads H] [--causal 0,1] [--prec 64,32] [--reps R]\n");
    return 2;
  }
  ar_error err;
  ar_error_clear(&err);
  if (gpu_device_check("attnref_gpu_bench", "gpu", &err)) {
    fprintf(stderr, "%s\n", err.msg);
    return 2;
  }
  printf("device: %s\n", gpu_device_name());
  int fails = 0;
  for (int p = 0; p < np; p++)
    for (int a = 0; a < nd; a++)
      for (int c = 0; c < nc; c++)
        for (int i = 0; i < nn; i++) {
          gpu_clear_error();
          int rc = ps[p] == 64
                       ? bench<double>(ns[i], (int)dhs[a], (int)H, (int)cs[c],
                                       (int)reps)
                       : bench<float>(ns[i], (int)dhs[a], (int)H, (int)cs[c],
                                      (int)reps);
          fails += rc != 0;
        }
  return fails ? 3 : 0;
}
