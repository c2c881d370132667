/* A path computes the model of spec/model.md one way (MPFR reference, OpenBLAS
 * double, polynomial approximation, CUDA...). It is a pair forward/backward
 * over the shared ar_case; the CLI and the harness only ever call paths.
 *
 * forward writes "loss" and "act.layers.{l}" into out and keeps in *state what
 * backward needs; backward writes "grad.<input>" for every input but labels and
 * "grad.act.layers.{l}". Paths may add metadata (e.g. certified bits). */
#ifndef ATTNREF_PATH_H
#define ATTNREF_PATH_H

#include <stdint.h>

#include "case.h"
#include "tensor.h"

typedef struct ar_path_options {
  long prec;          /* ref: starting working precision in bits (default 128) */
  int double_double;  /* ref: also write <name>@lo tensors */
  int verbose;        /* progress on stderr */
  int degree;         /* approx: polynomial degree g */
  const char *poly;   /* approx: "taylor" | "chebyshev" */
  int threads;        /* 0 = library default */
  int64_t max_memory; /* bytes a path may plan to use; 0 = no limit */
} ar_path_options;

void ar_path_options_defaults(ar_path_options *o);

typedef struct ar_path {
  const char *name;
  const char *summary;
  /* Bytes this path will need for this config (for --max-memory); may be a
   * conservative estimate. Returns -1 if the estimate itself overflows. */
  int64_t (*memory_needed)(const ar_config *c, const ar_path_options *o);
  int (*forward)(const ar_case *c, const ar_path_options *o, void **state,
                 ar_tensorset *out, ar_error *err);
  int (*backward)(const ar_case *c, const ar_path_options *o, void *state,
                  ar_tensorset *out, ar_error *err);
  void (*release)(void *state);
} ar_path;

/* Registered paths, NULL-terminated; and lookup by name (NULL if unknown). */
const ar_path *const *ar_paths(void);
const ar_path *ar_path_find(const char *name);

/* forward, then backward, then release; checks memory_needed against
 * o->max_memory first. */
int ar_path_run(const ar_path *p, const ar_case *c, const ar_path_options *o,
                ar_tensorset *out, ar_error *err);

#endif
