/* A case: a config plus the tensors it names (spec/formats.md), bound into the
 * one in-memory model every path computes on. */
#ifndef ATTNREF_CASE_H
#define ATTNREF_CASE_H

#include "config.h"
#include "tensor.h"

typedef struct ar_layer_weights {
  const double *wq, *wk, *wv, *wo; /* d x d */
  const double *norm1_w, *norm1_b; /* d; NULL when absent (norm none / rms bias) */
  const double *norm2_w, *norm2_b; /* d; only when mlp > 0 and norm != none */
  const double *w1, *b1, *w2, *b2; /* d x m, m, m x d, d; only when mlp > 0 */
} ar_layer_weights;

typedef struct ar_case {
  ar_config cfg;
  const char *source;         /* file name, for messages */
  const double *x;            /* n x d */
  ar_layer_weights *layer;    /* cfg.layers entries */
  const double *target;       /* n x d (mse) */
  const double *cotangent;    /* n x d (linear) */
  const double *unembed;      /* d x V (xent) */
  const int64_t *labels;      /* n, each in [0, V) (xent) */
  const ar_tensorset *tensors; /* owner of all the arrays above */
} ar_case;

/* Binds a read tensor set: parses the config from its metadata, checks that
 * every required tensor is present with its shape (and labels in range), and
 * that no unexpected tensor is present. Errors name `source` and the tensor. */
int ar_case_bind(const ar_tensorset *s, const char *source, ar_case *c,
                 ar_error *err);
void ar_case_release(ar_case *c);

/* The input tensor names a config requires, in a fixed order (x, layers.0.wq,
 * ..., then the loss tensors); used by gen, bind and to name gradients
 * ("grad." + name; labels excluded from gradients). Returns the count;
 * names[i] are malloc'd; free with ar_names_free. */
int ar_case_input_names(const ar_config *c, char ***names, ar_error *err);
void ar_names_free(char **names, int count);

/* Expected shape of an input tensor by name; returns ndim, -1 if unknown. */
int ar_case_input_shape(const ar_config *c, const char *name, int64_t *dims);

#endif
