/* `attnref bench exact`: an exact path's forward + backward throughput next
 * to the BLAS matrix product's, measured in the same run. */
#include <cblas.h>
#include <omp.h>
#include <stdlib.h>
#include <time.h>

#include "../src/gen.h"
#include "fast.h"

/* flops = L (14 P d + 24 n d^2 + 12 n d m) + [xent] 6 n d V, P the pairs
 * (i, j) a query sees: n^2, or n(n+1)/2 when causal */
double fa_model_flops(const ar_config *c) {
  double n = (double)c->n, d = (double)c->d, m = (double)c->mlp;
  double pairs = c->causal ? n * (n + 1) / 2 : n * n;
  double layer = 14 * pairs * d + 24 * n * d * d + 12 * n * d * m;
  return (double)c->layers * layer +
         (c->loss == AR_LOSS_XENT ? 6 * n * d * (double)c->vocab : 0);
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* best seconds of `reps` products C = A B, all gemm_size^2, on T threads */
static double gemm_seconds(int single, int64_t s, int reps, int T) {
  size_t count = (size_t)(s * s), bytes = single ? 4 : 8;
  void *a = malloc(count * bytes), *b = malloc(count * bytes),
       *c = malloc(count * bytes);
  double best = -1;
  if (a && b && c) {
    for (size_t i = 0; i < count; i++) {
      double v = (double)((i * 2654435761u) % 1000) / 1000 - 0.5;
      if (single)
        ((float *)a)[i] = (float)v, ((float *)b)[i] = (float)-v;
      else
        ((double *)a)[i] = v, ((double *)b)[i] = -v;
    }
    openblas_set_num_threads(T);
    for (int r = 0; r < reps; r++) {
      double t0 = now();
      if (single)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, s, s, s, 1, a,
                    s, b, s, 0, c, s);
      else
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, s, s, s, 1, a,
                    s, b, s, 0, c, s);
      double t = now() - t0;
      if (best < 0 || t < best) best = t;
    }
    openblas_set_num_threads(1); /* as the model runs it */
  }
  free(a), free(b), free(c);
  return best;
}

int fa_bench_exact(const ar_path *p, const ar_config *c, double bound,
                   int reps, int threads, int64_t gemm_size,
                   fa_bench_result *res, ar_error *err) {
  if (p != &ar_path_exact64 && p != &ar_path_exact32)
    return ar_fail(err, AR_FAIL_INPUT, "bench: path %s is not an exact path",
                   p->name);
  if (reps < 1) reps = 1;
  int T = threads > 0 ? threads : omp_get_max_threads();
  ar_tensorset in;
  ar_tensorset_init(&in);
  ar_case cs;
  int rc = ar_gen_case(c, 1, bound, 0, &in, err);
  if (rc == AR_OK) rc = ar_case_bind(&in, "bench", &cs, err);
  if (rc) {
    ar_tensorset_free(&in);
    return rc;
  }
  ar_path_options o;
  ar_path_options_defaults(&o);
  o.threads = T;
  o.max_memory = 0;
  double best = -1;
  for (int r = 0; r < reps && rc == AR_OK; r++) {
    ar_tensorset out;
    ar_tensorset_init(&out);
    double t0 = now();
    rc = ar_path_run(p, &cs, &o, &out, err);
    double t = now() - t0;
    ar_tensorset_free(&out);
    if (best < 0 || t < best) best = t;
  }
  ar_case_release(&cs);
  ar_tensorset_free(&in);
  if (rc) return rc;
  res->path = p->name;
  res->n = c->n, res->d = c->d, res->heads = c->heads;
  res->causal = c->causal, res->threads = T;
  res->seconds = best;
  res->gflop = fa_model_flops(c) * 1e-9;
  res->gflops = res->gflop / best;
  res->gemm_size = gemm_size;
  double gs = gemm_seconds(p == &ar_path_exact32, gemm_size, reps, T);
  if (gs <= 0)
    return ar_fail(err, AR_FAIL_INTERNAL, "bench: out of memory (gemm %lld)",
                   (long long)gemm_size);
  res->gemm_gflops = 2e-9 * (double)gemm_size * gemm_size * gemm_size / gs;
  res->ratio = res->gflops / res->gemm_gflops;
  return AR_OK;
}
