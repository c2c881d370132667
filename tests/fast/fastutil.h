/* Test support for the fast suite: generated cases, running a path into a
 * result set, grading against a truth, and a naive attention head in long
 * double with explicit n x n matrices (the tiled head's independent peer). */
#ifndef ATTNREF_TESTS_FAST_FASTUTIL_H
#define ATTNREF_TESTS_FAST_FASTUTIL_H

#include <stdint.h>
#include <stdio.h>

#include "src/case.h"
#include "src/check.h"
#include "src/path.h"
#include "src/tensor.h"

extern int failures;
#define CHECK(cond, ...)                                                     \
  do {                                                                       \
    if (!(cond)) {                                                           \
      fprintf(stderr, "%s:%d: CHECK(%s) failed: ", __FILE__, __LINE__,       \
              #cond);                                                        \
      fprintf(stderr, __VA_ARGS__);                                          \
      fputc('\n', stderr);                                                   \
      failures++;                                                            \
    }                                                                        \
  } while (0)

/* A generated case (ar_gen_case from json, seed, bound) and its tensors. */
typedef struct fcase {
  ar_tensorset ts;
  ar_case c;
  char json[512];
  uint64_t seed;
} fcase;

/* exits 3 on failure (a test set-up error, not a verdict) */
void fcase_make(fcase *k, const char *json, uint64_t seed, double bound);
void fcase_free(fcase *k);

/* out <- path p run on k with `threads` threads (0: default); exits 3 when
 * the path fails. */
void run_path(const ar_path *p, const fcase *k, int threads,
              ar_tensorset *out);

/* Grades cand against truth by profile; on failure prints the table with
 * the case's config and seed. Returns 1 if every tensor passes. */
int grade(const ar_tensorset *truth, const ar_tensorset *cand,
          const char *profile, const fcase *k, const char *what);

/* ||a - b||_2 / ||b||_2 (0 when both are 0) */
double normwise(const double *a, const double *b, int64_t count);

/* The naive head: S = tau Q K^T, masked rows softmax F (explicit n x n),
 * O = F U, lse_i = log sum_j exp(S_ij); backward dU = F^T G, r = rowsum(O o
 * G), dS = F o (G U^T) - diag(r) F, dQ = tau dS K, dK = tau dS^T Q.
 * Alongside each result, the same sums over absolute values (for a
 * componentwise error bound |computed - exact| <= kappa u A that holds
 * through cancellation): A_O = F |U|, A_dU = F^T |G|,
 * A_dQ = tau (F o (|G| |U|^T + |r|)) |K|, A_dK = tau (...)^T |Q| with
 * |r|_i = sum_c A_O,ic |G_ic|; smax = max_ij tau sum_c |Q_ic| |K_jc|.
 * Q, K, U, G and every output: n x dh dense. */
typedef struct naive_head {
  long double *o, *lse, *dq, *dk, *du;     /* results */
  long double *ao, *adq, *adk, *adu;       /* absolute-value sums */
  long double smax;
} naive_head;

/* allocates every array of nh (exits 3 on failure) and computes them */
void naive_head_run(int64_t n, int64_t dh, int causal, long double tau,
                    const long double *q, const long double *k,
                    const long double *u, const long double *g,
                    naive_head *nh);
void naive_head_free(naive_head *nh);

#endif
