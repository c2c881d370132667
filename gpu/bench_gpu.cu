/* attnref_gpu_bench: times the GPU attention heads alone, on device arrays
 * (no host copies), for comparison with PyTorch's SDPA (gpu/bench_sdpa.py):
 *
 *   attnref_gpu_bench [--n 4096,16384] [--dh 8,16,64] [--heads 8]
 *                     [--causal 0,1] [--prec 64,32] [--reps 5]
 *                     [--approx DH:G,..] [--R 1] [--err-n 65536]
 *                     [--big-n 262144] [--block-rows B,..] [--jsonl FILE]
 *
 * Exact heads (--prec 64 and/or 32; --prec 0 for none): one line per
 * configuration, the forward and backward (the row dots, the dK/dU kernel
 * and the dQ kernel) in milliseconds, the best of --reps after one warm-up,
 * and TFLOP/s counted the FlashAttention way (forward 4 n^2 d_h per head,
 * backward 2.5 times that; half of each when causal), so the figures line
 * up with bench_sdpa.py's. Inputs uniform in [-1, 1). Configurations whose
 * arrays do not fit in 80% of the free device memory are skipped.
 *
 * Polynomial-method heads (--approx, e.g. 8:4,16:2,16:4: d_h and degree g;
 * gpu-approx, float, one head): for each causal and n, forward (the FWD
 * sweep and the normalization) and backward (r_i, the DQ and DK sweeps,
 * with the forward's D~) timed the same way. Inputs: q, k uniform in
 * [-a, a)^d_h with a = sqrt(R / (tau d_h)), so tau |q_i| |k_j| <= R whatever
 * the draw; u, g uniform in [-1, 1); all rounded to float. The head's radius
 * is its own (tau max|q_i| max|k_j| over the data, <= R). Also reported:
 * the host set-up the path does per call (radius over the data, polynomial,
 * feature table, workspace), and for n <= --err-n the errors against the
 * exact double kernel (gpu-exact64) on the same float inputs, with the
 * a-priori forward bound max|O~ - O| <= 2 eps/(1 - eps) max|U|,
 * eps = R^(g+1) e^R / (g+1)! (Taylor; DESIGN section 4), and the errors of
 * gpu-exact32 on the same inputs for comparison. --block-rows: rows per
 * block b of the head's scans to try (gpu_poly_set_blocking; default the
 * head's own, 128).
 *
 * n > --big-n: one timed repetition after a warm-up at n = 4096 (exact) or
 * at the same n (approx, O(n)). --jsonl: one JSON object per configuration.
 * Exit 2 without a device, 3 when a configuration fails. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "attn_flash.h"
#include "gpu_rt.cuh"

#ifdef ATTNREF_GPU_EMU
/* events on the host clock: the emulation runs every launch synchronously
 * (this program is built against it only for a smoke test at small n) */
typedef struct emu_event { double ms; } *cudaEvent_t;
static double host_ms(void);
static cudaError_t cudaEventCreate(cudaEvent_t *e) {
  *e = (cudaEvent_t)calloc(1, sizeof **e);
  return *e ? cudaSuccess : cudaErrorMemoryAllocation;
}
static cudaError_t cudaEventRecord(cudaEvent_t e) {
  e->ms = host_ms();
  return cudaSuccess;
}
static cudaError_t cudaEventSynchronize(cudaEvent_t) { return cudaSuccess; }
static cudaError_t cudaEventElapsedTime(float *ms, cudaEvent_t a,
                                        cudaEvent_t b) {
  *ms = (float)(b->ms - a->ms);
  return cudaSuccess;
}
static cudaError_t cudaEventDestroy(cudaEvent_t e) {
  free(e);
  return cudaSuccess;
}
#endif

/* The polynomial head's context and sweeps are file-static in attn_poly.cu:
 * this program compiles them in to drive them on device arrays (no host
 * copies), as the exact kernels are driven through gpu_flash_*_dev. It then
 * defines attn_poly.cu's external symbols itself, and the library's copy is
 * not linked in. */
#include "attn_poly.cu"

static double host_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e3 + (double)t.tv_nsec * 1e-6;
}

/* uniform in [-1, 1) from a hash of (i, seed) (splitmix64's finalizer) */
__host__ __device__ inline double hash_pm1(uint64_t i, uint64_t seed) {
  uint64_t z = i * 0x9E3779B97F4A7C15ull + seed;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return (double)(z >> 11) * 0x1p-52 - 1.0;
}

/* x_i <- uniform in [-1, 1) */
template <class T>
__global__ void fill_uniform(int64_t count, uint64_t seed, T *x) {
  const int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= count) return;
  x[i] = (T)hash_pm1((uint64_t)i, seed);
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

static FILE *jsonl; /* --jsonl, or NULL */
static const char *device_name = "";

/* ---- the exact heads ----------------------------------------------------- */

template <class T>
static int run_exact(int64_t n, int dh, int H, int causal, T tau, T *q, T *k,
                     T *u, T *o, T *g, T *lse, T *r, T *dq, T *dk, T *du,
                     cudaEvent_t e0, cudaEvent_t e1, cudaEvent_t e2) {
  int rc;
  cudaEventRecord(e0);
  if (sizeof(T) == 8)
    rc = gpu_flash_forward_dev64(n, dh, H, causal, tau, (double *)q,
                                 (double *)k, (double *)u, (double *)o,
                                 (double *)lse);
  else
    rc = gpu_flash_forward_dev32(n, dh, H, causal, tau, (float *)q, (float *)k,
                                 (float *)u, (float *)o, (float *)lse);
  cudaEventRecord(e1);
  if (!rc) {
    if (sizeof(T) == 8)
      rc = gpu_flash_backward_dev64(n, dh, H, causal, tau, (double *)q,
                                    (double *)k, (double *)u, (double *)o,
                                    (double *)g, (double *)lse, (double *)r,
                                    (double *)dq, (double *)dk, (double *)du);
    else
      rc = gpu_flash_backward_dev32(n, dh, H, causal, tau, (float *)q,
                                    (float *)k, (float *)u, (float *)o,
                                    (float *)g, (float *)lse, (float *)r,
                                    (float *)dq, (float *)dk, (float *)du);
  }
  cudaEventRecord(e2);
  if (rc || !gpu_ok(cudaEventSynchronize(e2), "kernels")) return -1;
  return 0;
}

template <class T>
static int bench(int64_t n, int dh, int H, int causal, int reps,
                 int64_t big_n) {
  const int64_t nd = n * H * dh;
  const size_t bytes = (size_t)(8 * nd + 2 * n * H) * sizeof(T);
  const int prec = (int)(8 * sizeof(T));
  size_t fr = 0, tot = 0;
  if (!gpu_ok(cudaMemGetInfo(&fr, &tot), "cudaMemGetInfo")) return -1;
  if (bytes > 0.8 * (double)fr) {
    printf("gpu-exact%d n=%lld dh=%d heads=%d causal=%d: skipped (%.1f GiB "
           "needed, %.1f free)\n",
           prec, (long long)n, dh, H, causal, bytes / 1073741824.0,
           fr / 1073741824.0);
    if (jsonl)
      fprintf(jsonl,
              "{\"kind\":\"exact\",\"prec\":%d,\"n\":%lld,\"dh\":%d,"
              "\"heads\":%d,\"causal\":%d,\"skipped\":\"memory\"}\n",
              prec, (long long)n, dh, H, causal);
    return 0;
  }
  T *w = NULL;
  cudaEvent_t e0, e1, e2;
  float best_f = 1e30f, best_b = 1e30f;
  if (!gpu_ok(cudaMalloc((void **)&w, bytes), "cudaMalloc")) return -1;
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
  /* large n: the warm-up (module load, first launches) on the first 4096
   * rows, then one timed run */
  const int big = n > big_n;
  const int nrep = big ? 1 : reps;
  int rc = 0;
  for (int rep = 0; rep <= nrep && !rc; rep++) { /* rep 0: warm-up */
    rc = run_exact<T>(rep == 0 && big && n > 4096 ? 4096 : n, dh, H, causal, tau, q, k, u,
                      o, g, lse, r, dq, dk, du, e0, e1, e2);
    float tf, tb;
    cudaEventElapsedTime(&tf, e0, e1);
    cudaEventElapsedTime(&tb, e1, e2);
    if (rep > 0) {
      best_f = tf < best_f ? tf : best_f;
      best_b = tb < best_b ? tb : best_b;
    }
  }
  cudaEventDestroy(e0);
  cudaEventDestroy(e1);
  cudaEventDestroy(e2);
  cudaFree(w);
  if (rc) {
    fprintf(stderr, "attnref_gpu_bench: %s\n", gpu_last_error());
    return -1;
  }
  const double fl = 4.0 * (double)n * n * dh * H * (causal ? 0.5 : 1.0);
  printf("gpu-exact%d n=%lld dh=%d heads=%d causal=%d: forward %.3f ms "
         "(%.2f TFLOP/s), backward %.3f ms (%.2f TFLOP/s)\n",
         prec, (long long)n, dh, H, causal, best_f,
         fl / (best_f * 1e-3) / 1e12, best_b,
         2.5 * fl / (best_b * 1e-3) / 1e12);
  fflush(stdout);
  if (jsonl) {
    fprintf(jsonl,
            "{\"kind\":\"exact\",\"prec\":%d,\"n\":%lld,\"dh\":%d,"
            "\"heads\":%d,\"causal\":%d,\"reps\":%d,\"fwd_ms\":%.6g,"
            "\"bwd_ms\":%.6g,\"fwd_tflops\":%.4g,\"bwd_tflops\":%.4g,"
            "\"device\":\"%s\"}\n",
            prec, (long long)n, dh, H, causal, nrep, best_f, best_b,
            fl / (best_f * 1e-3) / 1e12, 2.5 * fl / (best_b * 1e-3) / 1e12,
            device_name);
    fflush(jsonl);
  }
  return 0;
}

/* ---- the polynomial-method head (gpu-approx) ----------------------------- */

/* errors of c against t (m values): ||c - t||_2 / ||t||_2,
 * max|c - t| / max|t| and max|c - t| */
struct errs {
  double norm, maxrel, maxabs;
};
template <class C>
static errs compare(const C *c, const double *t, size_t m) {
  double num = 0, den = 0, mt = 0, md = 0;
  for (size_t i = 0; i < m; i++) {
    const double d = (double)c[i] - t[i];
    num += d * d;
    den += t[i] * t[i];
    if (fabs(t[i]) > mt) mt = fabs(t[i]);
    if (!(fabs(d) <= md)) md = fabs(d); /* NaN sticks */
  }
  errs e = {den > 0 ? sqrt(num / den) : sqrt(num), mt > 0 ? md / mt : md, md};
  return e;
}

static void json_errs(const char *name, const errs *e) {
  if (jsonl)
    fprintf(jsonl, ",\"%s_norm\":%.4g,\"%s_maxrel\":%.4g", name, e->norm,
            name, e->maxrel);
}

/* host copies of a device float array, widened to double */
static bool fetch(double *dst, const float *src, size_t m, float *tmp) {
  if (!gpu_ok(cudaMemcpy(tmp, src, m * 4, cudaMemcpyDeviceToHost),
              "cudaMemcpy(result)"))
    return false;
  for (size_t i = 0; i < m; i++) dst[i] = tmp[i];
  return true;
}

/* errors of gpu-approx (x's O, dQ, dK, dU) and of gpu-exact32 against
 * gpu-exact64, all on x's float inputs (hq .. hg: the same values in
 * double); forward bound check. Returns 0, -1 on a CUDA failure. */
static int approx_errors(poly_ctx<float> *x, const double *hin, double eps,
                         errs *ea, errs *e32, double *bound) {
  const int64_t n = x->n, dh = x->dh;
  const size_t m = (size_t)(n * dh);
  const double tau = x->tau;
  double *d64 = NULL;
  float *d32 = NULL;
  int rc = -1;
  double *h64 = (double *)malloc(m * 8 * 4), *hc = (double *)malloc(m * 8 * 4);
  float *tmp = (float *)malloc(m * 4 * 4);
  cudaEvent_t e[3];
  for (int i = 0; i < 3; i++) cudaEventCreate(&e[i]);
  if (!h64 || !hc || !tmp) goto out;
  /* double: Q K U G O dQ dK dU (m each), lse r (n each) */
  if (!gpu_ok(cudaMalloc((void **)&d64, (8 * m + 2 * n) * 8), "cudaMalloc(exact64)") ||
      !gpu_ok(cudaMalloc((void **)&d32, (4 * m + 2 * n) * 4), "cudaMalloc(exact32)"))
    goto out;
  {
    double *Q = d64, *K = d64 + m, *U = d64 + 2 * m, *G = d64 + 3 * m,
           *O = d64 + 4 * m, *dQ = d64 + 5 * m, *dK = d64 + 6 * m,
           *dU = d64 + 7 * m, *lse = d64 + 8 * m, *r = lse + n;
    if (!gpu_ok(cudaMemcpy(Q, hin, 4 * m * 8, cudaMemcpyHostToDevice),
                "cudaMemcpy(inputs)"))
      goto out;
    if (run_exact<double>(n, (int)dh, 1, x->causal, tau, Q, K, U, O, G, lse, r,
                          dQ, dK, dU, e[0], e[1], e[2]) ||
        !gpu_ok(cudaMemcpy(h64, O, 4 * m * 8, cudaMemcpyDeviceToHost),
                "cudaMemcpy(exact64)"))
      goto out;
    /* approx: O dQ dK dU */
    if (!fetch(hc, x->O, m, tmp) || !fetch(hc + m, x->dQ, m, tmp) ||
        !fetch(hc + 2 * m, x->dK, m, tmp) || !fetch(hc + 3 * m, x->dU, m, tmp))
      goto out;
    for (int a = 0; a < 4; a++) ea[a] = compare(hc + a * m, h64 + a * m, m);
    double mu = 0;
    for (size_t i = 0; i < m; i++)
      mu = fabs(hin[2 * m + i]) > mu ? fabs(hin[2 * m + i]) : mu;
    *bound = eps < 1 ? 2 * eps / (1 - eps) * mu : INFINITY;
    /* exact32 on the float inputs */
    float *O32 = d32, *dQ32 = d32 + m, *dK32 = d32 + 2 * m,
          *dU32 = d32 + 3 * m, *lse32 = d32 + 4 * m, *r32 = lse32 + n;
    if (run_exact<float>(n, (int)dh, 1, x->causal, (float)tau, x->Q, x->K,
                         x->U, O32, x->G, lse32, r32, dQ32, dK32, dU32, e[0],
                         e[1], e[2]) ||
        !fetch(hc, O32, 4 * m, tmp)) /* O32 dQ32 dK32 dU32 side by side */
      goto out;
    for (int a = 0; a < 4; a++) e32[a] = compare(hc + a * m, h64 + a * m, m);
    rc = 0;
  }
out:
  for (int i = 0; i < 3; i++) cudaEventDestroy(e[i]);
  cudaFree(d64);
  cudaFree(d32);
  free(h64);
  free(hc);
  free(tmp);
  return rc;
}

/* gpu-approx, one head: d_h, degree g, causal, n; inputs scaled to radius
 * at most Rmax */
static int bench_approx(int64_t n, int dh, int g, int causal, int reps,
                        double Rmax, int64_t err_n) {
  const size_t m = (size_t)(n * dh);
  const double tau = 1 / sqrt((double)dh), a = sqrt(Rmax / (tau * dh));
  int rc = -1;
  /* host inputs Q K U G (double copies of the float values) */
  double *hin = (double *)malloc(4 * m * 8);
  float *hf = (float *)malloc(4 * m * 4);
  if (!hin || !hf) {
    fprintf(stderr, "attnref_gpu_bench: out of host memory\n");
    free(hin);
    free(hf);
    return -1;
  }
  for (int s = 0; s < 4; s++)
    for (size_t i = 0; i < m; i++) {
      const float v = (float)(hash_pm1(i, (uint64_t)(11 + s)) * (s < 2 ? a : 1));
      hf[s * m + i] = v;
      hin[s * m + i] = v;
    }
  fa_head h = {n, dh, dh, causal, tau};
  fa_head_params p = {g, 0, 0.0};
  const double R = fa_approx_head_radius(&h, &p, hin, hin + m);
  const double eps = fa_taylor_eps(g, R);
  poly_ctx<float> x;
  cudaEvent_t e0, e1, e2;
  cudaEventCreate(&e0);
  cudaEventCreate(&e1);
  cudaEventCreate(&e2);
  float best_f = 1e30f, best_b = 1e30f;
  const double t0 = host_ms();
  if (ctx_init<float>(&x, &h, &p, R, 1)) {
    printf("gpu-approx dh=%d g=%d n=%lld causal=%d: skipped (%s)\n", dh, g,
           (long long)n, causal, gpu_last_error());
    if (jsonl)
      fprintf(jsonl,
              "{\"kind\":\"approx\",\"prec\":32,\"n\":%lld,\"dh\":%d,\"g\":%d,"
              "\"causal\":%d,\"skipped\":\"set-up failed\"}\n",
              (long long)n, dh, g, causal);
    gpu_clear_error();
    rc = 0;
    goto out;
  }
  {
    const double setup_ms = host_ms() - t0;
    if (!gpu_ok(cudaMemcpy(x.Q, hf, m * 4, cudaMemcpyHostToDevice), "Q") ||
        !gpu_ok(cudaMemcpy(x.K, hf + m, m * 4, cudaMemcpyHostToDevice), "K") ||
        !gpu_ok(cudaMemcpy(x.U, hf + 2 * m, m * 4, cudaMemcpyHostToDevice),
                "U") ||
        !gpu_ok(cudaMemcpy(x.G, hf + 3 * m, m * 4, cudaMemcpyHostToDevice),
                "G"))
      goto fail;
    for (int rep = 0; rep <= reps; rep++) { /* rep 0: warm-up */
      cudaEventRecord(e0);
      if (forward_sweep<float>(&x, 1)) goto fail;
      cudaEventRecord(e1);
      LAUNCH_OK(gpu_launch(k_rowdot<float>,
                           dim3(blocks_for(n, ROWS_PER_BLOCK)),
                           dim3(ROWS_PER_BLOCK), 0, x.n, x.dh, x.O, x.G, x.rr),
                "k_rowdot");
      if (sweep<float>(&x, OP_DQ, x.dQ, NULL) ||
          sweep<float>(&x, OP_DK, x.dK, x.dU))
        goto fail;
      cudaEventRecord(e2);
      CU(cudaEventSynchronize(e2));
      float tf, tb;
      cudaEventElapsedTime(&tf, e0, e1);
      cudaEventElapsedTime(&tb, e1, e2);
      if (rep > 0) {
        best_f = tf < best_f ? tf : best_f;
        best_b = tb < best_b ? tb : best_b;
      }
    }
    printf("gpu-approx dh=%d g=%d r=%lld n=%lld causal=%d R=%.4f eps=%.3g: "
           "forward %.3f ms, backward %.3f ms (set-up %.1f ms, %lld blocks "
           "of %lld rows at once)",
           dh, g, (long long)x.r, (long long)n, causal, R, eps, best_f, best_b,
           setup_ms, (long long)x.C, (long long)x.b);
    if (jsonl)
      fprintf(jsonl,
              "{\"kind\":\"approx\",\"prec\":32,\"n\":%lld,\"dh\":%d,\"g\":%d,"
              "\"r\":%lld,\"causal\":%d,\"reps\":%d,\"Rmax\":%.4g,\"R\":%.6g,"
              "\"eps\":%.6g,\"fwd_ms\":%.6g,\"bwd_ms\":%.6g,\"setup_ms\":%.4g,"
              "\"chunk_blocks\":%lld,\"block_rows\":%lld,\"device\":\"%s\"",
              (long long)n, dh, g, (long long)x.r, causal, reps, Rmax, R, eps,
              best_f, best_b, setup_ms, (long long)x.C, (long long)x.b,
              device_name);
    if (n <= err_n) {
      errs ea[4], e32[4];
      double bound;
      if (approx_errors(&x, hin, eps, ea, e32, &bound)) goto fail;
      printf("\n  vs gpu-exact64: forward max|dO| %.3g (a-priori bound %.3g: "
             "%s); normwise O %.3g dQ %.3g dK %.3g dU %.3g; gpu-exact32 "
             "normwise O %.3g dQ %.3g dK %.3g dU %.3g",
             ea[0].maxabs, bound, ea[0].maxabs <= bound ? "inside" : "OUTSIDE",
             ea[0].norm, ea[1].norm, ea[2].norm, ea[3].norm, e32[0].norm,
             e32[1].norm, e32[2].norm, e32[3].norm);
      if (jsonl) {
        fprintf(jsonl,
                ",\"fwd_maxabs\":%.4g,\"fwd_bound\":%.4g,\"inside_bound\":%s",
                ea[0].maxabs, bound, ea[0].maxabs <= bound ? "true" : "false");
        const char *nm[4] = {"O", "dQ", "dK", "dU"};
        char key[32];
        for (int t = 0; t < 4; t++) json_errs(nm[t], &ea[t]);
        for (int t = 0; t < 4; t++) {
          snprintf(key, sizeof key, "exact32_%s", nm[t]);
          json_errs(key, &e32[t]);
        }
        fprintf(jsonl, ",\"exact32_fwd_maxabs\":%.4g", e32[0].maxabs);
      }
    }
    printf("\n");
    fflush(stdout);
    if (jsonl) {
      fprintf(jsonl, "}\n");
      fflush(jsonl);
    }
    rc = 0;
  }
  goto out;
fail:
  fprintf(stderr, "attnref_gpu_bench: gpu-approx dh=%d g=%d n=%lld: %s\n", dh,
          g, (long long)n, gpu_last_error());
  rc = -1;
out:
  cudaEventDestroy(e0);
  cudaEventDestroy(e1);
  cudaEventDestroy(e2);
  free(hin);
  free(hf);
  return rc;
}

int main(int argc, char **argv) {
  long long ns[32] = {4096, 16384, 65536}, dhs[8] = {8, 16, 64},
            cs[2] = {0, 1}, ps[2] = {64, 32}, ap[16], bs[8] = {0}, H = 8,
            reps = 5, err_n = 65536, big_n = 262144;
  int nn = 3, nd = 3, nc = 2, np = 2, na = 0, nbs = 1;
  double Rmax = 1;
  for (int a = 1; a + 1 < argc; a += 2) {
    const char *o = argv[a], *v = argv[a + 1];
    int bad = 0;
    if (!strcmp(o, "--n")) bad = (nn = parse_list(v, ns, 32)) < 1;
    else if (!strcmp(o, "--dh")) bad = (nd = parse_list(v, dhs, 8)) < 1;
    else if (!strcmp(o, "--causal")) bad = (nc = parse_list(v, cs, 2)) < 1;
    else if (!strcmp(o, "--prec")) bad = (np = parse_list(v, ps, 2)) < 1;
    else if (!strcmp(o, "--heads")) H = atoll(v), bad = H < 1;
    else if (!strcmp(o, "--reps")) reps = atoll(v), bad = reps < 1;
    else if (!strcmp(o, "--err-n")) err_n = atoll(v), bad = err_n < 0;
    else if (!strcmp(o, "--big-n")) big_n = atoll(v), bad = big_n < 1;
    else if (!strcmp(o, "--R")) Rmax = atof(v), bad = !(Rmax > 0);
    else if (!strcmp(o, "--block-rows")) {
      bad = (nbs = parse_list(v, bs, 8)) < 1;
      for (int i = 0; i < nbs && !bad; i++) bad = bs[i] < 1 || bs[i] > 1024;
    }
    else if (!strcmp(o, "--approx")) {
      /* DH:G pairs */
      const char *s = v;
      na = 0;
      while (*s && na < 16) {
        char *end;
        ap[na] = strtoll(s, &end, 10);
        if (end == s || *end != ':') break;
        s = end + 1;
        ap[na + 1] = strtoll(s, &end, 10);
        if (end == s) break;
        na += 2;
        s = *end == ',' ? end + 1 : end;
      }
      bad = *s != 0 || na == 0;
      na /= 2;
    } else if (!strcmp(o, "--jsonl")) {
      jsonl = fopen(v, "w");
      if (!jsonl) {
        fprintf(stderr, "attnref_gpu_bench: cannot write %s\n", v);
        return 2;
      }
    } else bad = 1;
    if (bad) {
      fprintf(stderr, "attnref_gpu_bench: bad option %s %s\n", o, v);
      return 2;
    }
  }
  if ((argc - 1) % 2) {
    fprintf(stderr,
            "usage: attnref_gpu_bench [--n N,..] [--dh D,..] [--heads H] "
            "[--causal 0,1] [--prec 64,32|0] [--reps R] [--approx DH:G,..] "
            "[--R R] [--err-n N] [--big-n N] [--jsonl FILE]\n");
    return 2;
  }
  ar_error err;
  ar_error_clear(&err);
  if (gpu_device_check("attnref_gpu_bench", "gpu", &err)) {
    fprintf(stderr, "%s\n", err.msg);
    return 2;
  }
  device_name = gpu_device_name();
  printf("device: %s\n", device_name);
  int fails = 0;
  if (na) {
    printf("gpu-approx inputs: q, k uniform in [-a, a)^dh, a = sqrt(R/(tau "
           "dh)), R = %g; u, g uniform in [-1, 1); float\n",
           Rmax);
    for (int bi = 0; bi < nbs; bi++) {
      gpu_poly_set_blocking(bs[bi], 0); /* 0: the head's default */
      for (int t = 0; t < na; t++)
        for (int c = 0; c < nc; c++)
          for (int i = 0; i < nn; i++) {
            gpu_clear_error();
            fails += bench_approx(ns[i], (int)ap[2 * t], (int)ap[2 * t + 1],
                                  (int)cs[c], (int)reps, Rmax, err_n) != 0;
          }
    }
    gpu_poly_set_blocking(0, 0);
    gpu_release_all();
  }
  for (int p = 0; p < np; p++)
    for (int a = 0; a < nd; a++)
      for (int c = 0; c < nc; c++)
        for (int i = 0; i < nn; i++) {
          if (ps[p] != 64 && ps[p] != 32) continue;
          gpu_clear_error();
          int rc = ps[p] == 64
                       ? bench<double>(ns[i], (int)dhs[a], (int)H, (int)cs[c],
                                       (int)reps, big_n)
                       : bench<float>(ns[i], (int)dhs[a], (int)H, (int)cs[c],
                                      (int)reps, big_n);
          fails += rc != 0;
        }
  if (jsonl) fclose(jsonl);
  return fails ? 3 : 0;
}
