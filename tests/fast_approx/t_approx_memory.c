/* Nothing in the approximate head is n x n: at n = 20000 (dh 4, g 2) an
 * n x n double array alone would be 3.2 GB; forward + backward, causal and
 * not, must keep the process's peak RSS (getrusage) under n^2*8/32 = 100 MB,
 * and produce finite outputs. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include "fast/attn_approx.h"
#include "fast/model.h"
#include "naive_head.h"

int main(void) {
  const int64_t n = 20000, dh = 4;
  const double limit = (double)n * n * 8 / 32;
  int failures = 0;
  fa_set_threads(0); /* as in the model: BLAS single-threaded */
  rng r = {777};
  size_t sz = (size_t)(n * dh) * sizeof(double);
  double *q = malloc(sz), *k = malloc(sz), *u = malloc(sz), *g = malloc(sz),
         *o = malloc(sz), *dq = malloc(sz), *dk = malloc(sz), *du = malloc(sz),
         *D = malloc((size_t)n * sizeof(double));
  rng_fill(&r, q, n * dh, 1);
  rng_fill(&r, k, n * dh, 1);
  rng_fill(&r, u, n * dh, 1);
  rng_fill(&r, g, n * dh, 1);
  for (int causal = 0; causal < 2; causal++) {
    fa_head h = {.n = n, .dh = dh, .ld = dh, .causal = causal, .tau = 0.5};
    fa_head_params p = {.degree = 2};
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = fa_head_approx.forward(&h, &p, q, k, u, o, D);
    rc |= fa_head_approx.backward(&h, &p, q, k, u, o, g, D, dq, dk, du);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    int finite = 1;
    for (int64_t i = 0; i < n * dh; i++)
      finite &= isfinite(o[i]) && isfinite(dq[i]) && isfinite(dk[i]) &&
                isfinite(du[i]);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double rss = (double)ru.ru_maxrss * 1024;
    printf("n=%lld dh=%lld g=2 causal=%d: %.3f s, peak RSS %.1f MB (limit "
           "%.1f MB, n x n doubles %.1f MB)\n",
           (long long)n, (long long)dh, causal,
           (t1.tv_sec - t0.tv_sec) + 1e-9 * (t1.tv_nsec - t0.tv_nsec),
           rss / 1e6, limit / 1e6, (double)n * n * 8 / 1e6);
    if (rc || !finite || !(rss < limit)) {
      fprintf(stderr, "FAIL causal=%d: rc %d finite %d peak RSS %.0f bytes\n",
              causal, rc, finite, rss);
      failures++;
    }
  }
  free(q), free(k), free(u), free(g), free(o), free(dq), free(dk), free(du),
      free(D);
  return failures ? 1 : 0;
}
