/* The CPU paths of fast/: exact (tiled online softmax over OpenBLAS) in
 * double and float, and the polynomial-method approximation in double.
 * All three run the shared model of model.h with their own head. */
#ifndef ATTNREF_FAST_H
#define ATTNREF_FAST_H

#include <stdint.h>

#include "../src/path.h"

extern const ar_path ar_path_exact64; /* attn_exact.h's head, double */
extern const ar_path ar_path_exact32; /* the same in float, F32 results */
extern const ar_path ar_path_approx;  /* attn_approx.h's head (approx_path.c) */

/* One measurement of `attnref bench exact`: a path's forward + backward
 * next to the BLAS matrix product (dgemm for exact64, sgemm for exact32)
 * measured in the same run with the same number of threads. */
typedef struct fa_bench_result {
  const char *path;
  int64_t n, d, heads;
  int causal, threads;
  double seconds;     /* best forward + backward over the repetitions */
  double gflop;       /* the model's matrix-product flops (fa_model_flops) */
  double gflops;      /* gflop / seconds */
  int64_t gemm_size;  /* the reference product is gemm_size^3 */
  double gemm_gflops; /* best of the same repetitions */
  double ratio;       /* gflops / gemm_gflops */
} fa_bench_result;

/* Flops of one forward + backward of a config through exact heads, counting
 * the matrix products: per head 4 n^2 dh forward and 10 n^2 dh backward
 * (scores, P U; scores again, P^T G, G U^T, dS^T Q, dS K), visible pairs only
 * when causal, plus the projections, output matrix, MLP and unembedding. */
double fa_model_flops(const ar_config *c);

/* Runs path p (exact64 or exact32) on a random case of config c (entries
 * uniform in [-bound, bound], seed 1) `reps` times with `threads` threads
 * (0: the OpenMP default), and the BLAS product of gemm_size^3 likewise. */
int fa_bench_exact(const ar_path *p, const ar_config *c, double bound,
                   int reps, int threads, int64_t gemm_size,
                   fa_bench_result *res, ar_error *err);

#endif
