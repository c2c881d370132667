/* Named tensors and the set of them a case or result file holds.
 * Every floating tensor is held as double (F32/F16/BF16 inputs are widened
 * exactly); the dtype it had in its file is kept, for ULP measures.
 * Integer tensors (labels) are held as int64. Row-major throughout. */
#ifndef ATTNREF_TENSOR_H
#define ATTNREF_TENSOR_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define AR_MAX_DIMS 8

typedef enum { AR_F64, AR_F32, AR_F16, AR_BF16, AR_I64 } ar_dtype;

typedef struct ar_tensor {
  char *name;
  ar_dtype dtype; /* dtype in the file it came from (or will be written as) */
  int ndim;       /* 0 = scalar */
  int64_t shape[AR_MAX_DIMS];
  int64_t numel;
  double *data;   /* numel doubles when dtype is floating, else NULL */
  int64_t *idata; /* numel int64 when dtype is AR_I64, else NULL */
} ar_tensor;

typedef struct ar_meta {
  char *key, *value;
} ar_meta;

typedef struct ar_tensorset {
  ar_tensor *t;
  size_t count, cap;
  ar_meta *meta; /* safetensors __metadata__ (string -> string) */
  size_t nmeta, metacap;
} ar_tensorset;

const char *ar_dtype_name(ar_dtype t);          /* "F64", ... */
int ar_dtype_parse(const char *s, ar_dtype *t); /* 1 if known */
size_t ar_dtype_size(ar_dtype t);
int ar_dtype_is_float(ar_dtype t);

void ar_tensorset_init(ar_tensorset *s);
void ar_tensorset_free(ar_tensorset *s);

/* Adds a zero-filled tensor (replacing any tensor of that name) and returns it;
 * NULL (with err set) when out of memory. dims has ndim entries. */
ar_tensor *ar_tensorset_add(ar_tensorset *s, const char *name, ar_dtype dtype,
                            int ndim, const int64_t *dims, ar_error *err);
/* Shorthands for the common shapes, F64. */
ar_tensor *ar_tensorset_add_scalar(ar_tensorset *s, const char *name, double v,
                                   ar_error *err);
ar_tensor *ar_tensorset_add_matrix(ar_tensorset *s, const char *name,
                                   int64_t rows, int64_t cols, ar_error *err);
ar_tensor *ar_tensorset_add_vector(ar_tensorset *s, const char *name,
                                   int64_t len, ar_error *err);

ar_tensor *ar_tensorset_find(const ar_tensorset *s, const char *name);
void ar_tensorset_sort(ar_tensorset *s); /* by name, for stable output */

/* Metadata: set replaces; get returns NULL when absent. */
int ar_tensorset_set_meta(ar_tensorset *s, const char *key, const char *value,
                          ar_error *err);
const char *ar_tensorset_get_meta(const ar_tensorset *s, const char *key);

/* "3x4", "[]" for scalars; into buf of size n. */
const char *ar_shape_str(const ar_tensor *t, char *buf, size_t n);

#endif
