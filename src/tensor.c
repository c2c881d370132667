#include "tensor.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
  ar_dtype t;
  const char *name;
  size_t size;
} dtypes[] = {{AR_F64, "F64", 8}, {AR_F32, "F32", 4}, {AR_F16, "F16", 2},
              {AR_BF16, "BF16", 2}, {AR_I64, "I64", 8}};

const char *ar_dtype_name(ar_dtype t) { return dtypes[t].name; }
size_t ar_dtype_size(ar_dtype t) { return dtypes[t].size; }
int ar_dtype_is_float(ar_dtype t) { return t != AR_I64; }

int ar_dtype_parse(const char *s, ar_dtype *t) {
  for (size_t i = 0; i < sizeof dtypes / sizeof dtypes[0]; i++)
    if (strcmp(s, dtypes[i].name) == 0) {
      *t = dtypes[i].t;
      return 1;
    }
  return 0;
}

void ar_tensorset_init(ar_tensorset *s) { memset(s, 0, sizeof *s); }

static void tensor_free(ar_tensor *t) {
  free(t->name);
  free(t->data);
  free(t->idata);
}

void ar_tensorset_free(ar_tensorset *s) {
  for (size_t i = 0; i < s->count; i++) tensor_free(&s->t[i]);
  for (size_t i = 0; i < s->nmeta; i++) {
    free(s->meta[i].key);
    free(s->meta[i].value);
  }
  free(s->t);
  free(s->meta);
  memset(s, 0, sizeof *s);
}

ar_tensor *ar_tensorset_find(const ar_tensorset *s, const char *name) {
  for (size_t i = 0; i < s->count; i++)
    if (strcmp(s->t[i].name, name) == 0) return &s->t[i];
  return NULL;
}

ar_tensor *ar_tensorset_add(ar_tensorset *s, const char *name, ar_dtype dtype,
                            int ndim, const int64_t *dims, ar_error *err) {
  if (ndim < 0 || ndim > AR_MAX_DIMS) {
    ar_fail(err, AR_FAIL_INPUT, "tensor %s: %d dimensions (at most %d)", name,
            ndim, AR_MAX_DIMS);
    return NULL;
  }
  int64_t numel = 1;
  for (int i = 0; i < ndim; i++)
    if (!ar_mul_ok(numel, dims[i], &numel)) {
      ar_fail(err, AR_FAIL_INPUT, "tensor %s: shape overflows", name);
      return NULL;
    }
  ar_tensor fresh;
  memset(&fresh, 0, sizeof fresh);
  fresh.dtype = dtype;
  fresh.ndim = ndim;
  for (int i = 0; i < ndim; i++) fresh.shape[i] = dims[i];
  fresh.numel = numel;
  fresh.name = strdup(name);
  size_t count = numel > 0 ? (size_t)numel : 1;
  if (ar_dtype_is_float(dtype))
    fresh.data = calloc(count, sizeof(double));
  else
    fresh.idata = calloc(count, sizeof(int64_t));
  if (!fresh.name || (!fresh.data && !fresh.idata)) {
    tensor_free(&fresh);
    ar_fail(err, AR_FAIL_INTERNAL, "tensor %s: out of memory (%lld elements)",
            name, (long long)numel);
    return NULL;
  }
  ar_tensor *old = ar_tensorset_find(s, name);
  if (old) {
    tensor_free(old);
    *old = fresh;
    return old;
  }
  if (s->count == s->cap) {
    size_t cap = s->cap ? 2 * s->cap : 16;
    ar_tensor *t = realloc(s->t, cap * sizeof *t);
    if (!t) {
      tensor_free(&fresh);
      ar_fail(err, AR_FAIL_INTERNAL, "out of memory");
      return NULL;
    }
    s->t = t;
    s->cap = cap;
  }
  s->t[s->count] = fresh;
  return &s->t[s->count++];
}

ar_tensor *ar_tensorset_add_scalar(ar_tensorset *s, const char *name, double v,
                                   ar_error *err) {
  ar_tensor *t = ar_tensorset_add(s, name, AR_F64, 0, NULL, err);
  if (t) t->data[0] = v;
  return t;
}

ar_tensor *ar_tensorset_add_matrix(ar_tensorset *s, const char *name,
                                   int64_t rows, int64_t cols, ar_error *err) {
  int64_t dims[2] = {rows, cols};
  return ar_tensorset_add(s, name, AR_F64, 2, dims, err);
}

ar_tensor *ar_tensorset_add_vector(ar_tensorset *s, const char *name,
                                   int64_t len, ar_error *err) {
  return ar_tensorset_add(s, name, AR_F64, 1, &len, err);
}

static int by_name(const void *a, const void *b) {
  return strcmp(((const ar_tensor *)a)->name, ((const ar_tensor *)b)->name);
}

void ar_tensorset_sort(ar_tensorset *s) {
  if (s->count > 1) qsort(s->t, s->count, sizeof *s->t, by_name);
}

int ar_tensorset_set_meta(ar_tensorset *s, const char *key, const char *value,
                          ar_error *err) {
  char *v = strdup(value);
  if (!v) return ar_fail(err, AR_FAIL_INTERNAL, "out of memory");
  for (size_t i = 0; i < s->nmeta; i++)
    if (strcmp(s->meta[i].key, key) == 0) {
      free(s->meta[i].value);
      s->meta[i].value = v;
      return AR_OK;
    }
  if (s->nmeta == s->metacap) {
    size_t cap = s->metacap ? 2 * s->metacap : 8;
    ar_meta *m = realloc(s->meta, cap * sizeof *m);
    if (!m) {
      free(v);
      return ar_fail(err, AR_FAIL_INTERNAL, "out of memory");
    }
    s->meta = m;
    s->metacap = cap;
  }
  s->meta[s->nmeta].key = strdup(key);
  s->meta[s->nmeta].value = v;
  if (!s->meta[s->nmeta].key) {
    free(v);
    return ar_fail(err, AR_FAIL_INTERNAL, "out of memory");
  }
  s->nmeta++;
  return AR_OK;
}

const char *ar_tensorset_get_meta(const ar_tensorset *s, const char *key) {
  for (size_t i = 0; i < s->nmeta; i++)
    if (strcmp(s->meta[i].key, key) == 0) return s->meta[i].value;
  return NULL;
}

const char *ar_shape_str(const ar_tensor *t, char *buf, size_t n) {
  if (t->ndim == 0) {
    snprintf(buf, n, "[]");
    return buf;
  }
  size_t used = 0;
  buf[0] = '\0';
  for (int i = 0; i < t->ndim && used < n; i++)
    used += (size_t)snprintf(buf + used, n - used, i ? "x%lld" : "%lld",
                             (long long)t->shape[i]);
  return buf;
}
