/* Comparing a candidate's results against the truth, tensor by tensor, graded
 * by a tolerance profile. A library so `attnref check`, the tests and the
 * audit tooling share one definition of "passes". */
#ifndef ATTNREF_CHECK_H
#define ATTNREF_CHECK_H

#include <stdint.h>
#include <stdio.h>

#include "atomic_file.h" /* ar_write_file_atomic, used by every report writer */
#include "error.h"
#include "tensor.h"

/* Element i passes iff |c_i - t_i| <= atol * max_j|t_j| + rtol * |t_i| and c_i
 * is finite: atol is relative to the tensor's largest magnitude, so a verdict
 * does not depend on the units of the loss. */
typedef struct ar_check_profile {
  const char *name;
  double rtol, atol;
} ar_check_profile;

/* fp64, fp32, tf32, fp16, bf16; NULL-name terminated. */
extern const ar_check_profile ar_check_profiles[];
const ar_check_profile *ar_check_profile_find(const char *name);

/* One truth tensor's comparison. Metrics are over all elements; when the
 * candidate is missing or its shape differs only `reason` is meaningful. */
typedef struct ar_check_tensor {
  char *name;
  int pass;
  char reason[160]; /* "" when pass; else "missing", "shape 3x4, expected 4x3"... */
  char shape[64], cand_shape[64];
  int present;      /* candidate has a tensor of this name */
  int compared;     /* metrics below were computed */
  ar_dtype dtype;   /* the candidate's dtype (ULPs are counted in it) */
  int64_t numel;
  double max_abs;   /* max |c - t| */
  double max_rel;   /* max |c - t| / |t| over t != 0 (0 if no such element) */
  double max_ulp;   /* max |c - t| / ulp_dtype(t) */
  double normwise;  /* ||c - t||_2 / ||t||_2 (0 when both are zero) */
  double max_truth; /* max |t|, the scale atol is relative to */
  double worst_ratio; /* max |c - t| / (atol*max|t| + rtol*|t|): pass iff <= 1 */
  int64_t worst_index; /* flat row-major index of the element of worst_ratio */
  char worst[64];      /* the same index as "[i,j]" ("-" when none) */
  double worst_truth, worst_cand;
  int64_t violations; /* elements out of tolerance (non-finite ones included) */
  int64_t nonfinite;  /* candidate elements that are NaN or infinite */
} ar_check_tensor;

typedef struct ar_check_result {
  const ar_check_profile *profile;
  ar_check_tensor *tensors; /* in the truth's order, sorted by name */
  size_t count, npass;
  char **extra; /* candidate tensors the truth does not have */
  size_t nextra;
} ar_check_result;

/* Compares every tensor of truth except "<name>@lo" ones (and ignores
 * candidate "@lo" tensors). Returns AR_OK when the comparison ran (whatever
 * the verdict; see r->npass == r->count), else an error (out of memory). */
int ar_check_compare(const ar_tensorset *truth, const ar_tensorset *cand,
                     const ar_check_profile *p, ar_check_result *r,
                     ar_error *err);
void ar_check_result_free(ar_check_result *r);
static inline int ar_check_all_pass(const ar_check_result *r) {
  return r->npass == r->count;
}

/* ulp of t in format dt: F64 2^(e-52), F32 2^(e-23), F16 2^(e-10), BF16
 * 2^(e-7) where 2^e <= |t| < 2^(e+1), e clamped below at the format's minimum
 * normal exponent (subnormal spacing); I64 -> 1. */
double ar_ulp(double t, ar_dtype dt);

/* "[3,5]" for a flat index of t's shape; into buf of size n. */
const char *ar_index_str(const int64_t *shape, int ndim, int64_t flat,
                         char *buf, size_t n);

/* The aligned table, then "check: 21/23 tensors pass (profile fp64): FAIL". */
void ar_check_print(FILE *f, const ar_check_result *r);

/* Machine-readable reports, written atomically. */
int ar_check_write_json(const char *path, const ar_check_result *r,
                        const char *truth_path, const char *cand_path,
                        ar_error *err);
int ar_check_write_junit(const char *path, const ar_check_result *r,
                         const char *truth_path, const char *cand_path,
                         ar_error *err);


#endif
