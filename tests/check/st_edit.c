/* Test helper: st_edit IN OUT OP ARGS... applies one edit to a safetensors
 * file so the check tests can build candidates that differ from a truth in
 * one known way:
 *   perturb NAME REL     the element of largest magnitude t <- t*(1+REL)
 *                        (prints its flat index)
 *   set NAME INDEX VALUE element INDEX <- VALUE (strtod: "nan", "inf" too)
 *   drop NAME            remove the tensor
 *   add NAME             add a 2-element F64 tensor
 *   transpose NAME       a rows x cols matrix becomes cols x rows
 *   cast NAME DTYPE      keep the values, store as DTYPE (F32/F16/BF16/F64;
 *                        the writer rounds to nearest even) */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "safetensors.h"

static int die(const char *msg, const char *arg) {
  fprintf(stderr, "st_edit: %s%s%s\n", msg, arg ? ": " : "", arg ? arg : "");
  return 2;
}

int main(int argc, char **argv) {
  if (argc < 5) return die("usage: st_edit IN OUT OP NAME [ARGS]", NULL);
  ar_error err;
  ar_error_clear(&err);
  ar_tensorset s;
  ar_tensorset_init(&s);
  if (ar_safetensors_read_lenient(argv[1], &s, 0, &err))
    return die(err.msg, NULL);
  const char *op = argv[3], *name = argv[4];
  ar_tensor *t = ar_tensorset_find(&s, name);
  if (strcmp(op, "add") != 0 && (!t || !t->data))
    return die("no floating tensor", name);
  if (strcmp(op, "perturb") == 0 && argc == 6) {
    int64_t k = 0;
    for (int64_t i = 1; i < t->numel; i++)
      if (fabs(t->data[i]) > fabs(t->data[k])) k = i;
    t->data[k] *= 1 + strtod(argv[5], NULL);
    printf("%lld\n", (long long)k);
  } else if (strcmp(op, "set") == 0 && argc == 7) {
    long long i = atoll(argv[5]);
    if (i < 0 || i >= t->numel) return die("index out of range", argv[5]);
    t->data[i] = strtod(argv[6], NULL);
  } else if (strcmp(op, "drop") == 0 && argc == 5) {
    size_t k = (size_t)(t - s.t);
    free(t->name);
    free(t->data);
    free(t->idata);
    memmove(&s.t[k], &s.t[k + 1], (s.count - k - 1) * sizeof *s.t);
    s.count--;
  } else if (strcmp(op, "add") == 0 && argc == 5) {
    ar_tensor *a = ar_tensorset_add_vector(&s, name, 2, &err);
    if (!a) return die(err.msg, NULL);
    a->data[0] = 1, a->data[1] = -1;
  } else if (strcmp(op, "transpose") == 0 && argc == 5) {
    if (t->ndim != 2 || t->shape[0] == t->shape[1])
      return die("not a non-square matrix", name);
    int64_t r = t->shape[0], c = t->shape[1];
    double *d = malloc((size_t)(r * c) * sizeof *d);
    for (int64_t i = 0; i < r; i++)
      for (int64_t j = 0; j < c; j++) d[j * r + i] = t->data[i * c + j];
    free(t->data);
    t->data = d;
    t->shape[0] = c, t->shape[1] = r;
  } else if (strcmp(op, "cast") == 0 && argc == 6) {
    if (!ar_dtype_parse(argv[5], &t->dtype) || !ar_dtype_is_float(t->dtype))
      return die("not a floating dtype", argv[5]);
  } else {
    return die("unknown operation or wrong arguments", op);
  }
  if (ar_safetensors_write(argv[2], &s, &err)) return die(err.msg, NULL);
  ar_tensorset_free(&s);
  return 0;
}
