/* Test support for whole paths: generated cases, running a path into a
 * result set, grading against a truth, and the measures and metadata
 * readers the path tests share (fast, fast_approx, gpu). */
#ifndef ATTNREF_TESTS_COMMON_PATHUTIL_H
#define ATTNREF_TESTS_COMMON_PATHUTIL_H

#include <stdint.h>

#include "src/case.h"
#include "src/check.h"
#include "src/path.h"
#include "src/tensor.h"
#include "testutil.h"

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

/* out <- path p on k with degree and poly (else the default options);
 * returns ar_path_run's code, err its message. */
int run_opts(const ar_path *p, const fcase *k, int degree, const char *poly,
             ar_tensorset *out, ar_error *err);
/* run_opts where a failure is a test failure (CHECKed, printed) */
int run_ok(const ar_path *p, const fcase *k, int degree, const char *poly,
           ar_tensorset *out);

/* Grades cand against truth by profile; on failure prints the table with
 * the case's config and seed. Returns 1 if every tensor passes. */
int grade(const ar_tensorset *truth, const ar_tensorset *cand,
          const char *profile, const fcase *k, const char *what);

/* A case for the exact paths against the truth: its config, and whether the
 * 32-bit path is graded by fp32 too (else by nothing). */
typedef struct exact_spec {
  const char *json;
  int fp32;
} exact_spec;
/* The cases that together use every feature (heads, causal, residual off,
 * both norms, MLP relu and gelu, each loss, three layers, a given scale,
 * n = 1); each suite adds its own tile boundaries. */
extern const exact_spec exact_feature_cases[];
extern const int exact_feature_count;

/* truth <- ref, c64 <- p64, c32 <- p32 on k: c64 graded by fp64, c32 by
 * fp32 when s->fp32, and c32's values must be floats stored as F32.
 * The caller frees the three sets. */
void exact_vs_ref(const exact_spec *s, const fcase *k, const ar_path *p64,
                  const ar_path *p32, ar_tensorset *truth, ar_tensorset *c64,
                  ar_tensorset *c32);

/* ||a - b||_2 / ||b||_2 (0 when both are 0) */
double normwise(const double *a, const double *b, int64_t count);

/* max over ref's floating tensors of max|x - ref| / max|ref| (INFINITY,
 * naming it, when x lacks one); *which: the worst tensor */
double worst_rel(const ar_tensorset *x, const ar_tensorset *ref,
                 const char **which);

/* "[a,b,...]" into v (at most max entries); null -> INFINITY; the count,
 * or -1 when s is missing or not an array */
int parse_array(const char *s, double *v, int max);

/* max_c sum_k |Wo_kc| of a d x d matrix: what an error bound on the heads'
 * output O becomes in act = O Wo */
double wo_colsum_max(const double *wo, int64_t d);

#endif
