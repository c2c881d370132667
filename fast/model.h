/* The model of spec/model.md (projections, norms, heads, output matrix,
 * residuals, MLP, losses; forward and backward) around a pluggable attention
 * head (attn_head.h), shared by every CPU path: exact64 and approx run it in
 * double with their own head, exact32 in float. All matrix products go
 * through BLAS; heads run in parallel (OpenMP) when there are at least as
 * many as threads, else one after another, each parallel inside.
 *
 * Results, as the reference writes them (spec/model.md section 10): forward
 * writes "loss", "act.layers.{l}" and metadata attnref.config; backward
 * writes "grad.<input>" for every input but labels and
 * "grad.act.layers.{l}", as F64 (double model) or F32 (float model: values
 * are floats widened exactly). The path sets attnref.path itself. */
#ifndef ATTNREF_FAST_MODEL_H
#define ATTNREF_FAST_MODEL_H

#include <stdint.h>

#include "../src/case.h"
#include "../src/tensor.h"
#include "attn_head.h"

/* fa_head_impl over floats (exact32): the same contract, `saved` n floats. */
typedef struct fa_head_impl_f32 {
  const char *name;
  int (*forward)(const fa_head *h, const fa_head_params *p, const float *q,
                 const float *k, const float *u, float *o, float *saved);
  int (*backward)(const fa_head *h, const fa_head_params *p, const float *q,
                  const float *k, const float *u, const float *o,
                  const float *g, const float *saved, float *dq, float *dk,
                  float *du);
} fa_head_impl_f32;

/* What forward keeps for backward: every layer's inputs, projections, head
 * statistics and pre-activations. Zero-initialise; fa_model_release frees. */
typedef struct fa_model_state {
  struct fa_model_buffers *b;
} fa_model_state;
typedef struct fa_model_state_f32 {
  struct fa_model_buffers_f32 *b;
} fa_model_state_f32;

/* Forward pass of case c with attention head `head`. p is passed to every
 * head with p->radius replaced by tau * max_i |q_i| * max_j |k_j| of that
 * head (a bound on every |score|). Returns AR_OK or an error code (out of
 * memory, a head failing) with err set. */
int fa_model_forward(const ar_case *c, const fa_head_impl *head,
                     const fa_head_params *p, fa_model_state *st,
                     ar_tensorset *out, ar_error *err);
/* Backward pass after fa_model_forward on the same c, head and p. */
int fa_model_backward(const ar_case *c, const fa_head_impl *head,
                      const fa_head_params *p, fa_model_state *st,
                      ar_tensorset *out, ar_error *err);
void fa_model_release(fa_model_state *st);

int fa_model_forward_f32(const ar_case *c, const fa_head_impl_f32 *head,
                         const fa_head_params *p, fa_model_state_f32 *st,
                         ar_tensorset *out, ar_error *err);
int fa_model_backward_f32(const ar_case *c, const fa_head_impl_f32 *head,
                          const fa_head_params *p, fa_model_state_f32 *st,
                          ar_tensorset *out, ar_error *err);
void fa_model_release_f32(fa_model_state_f32 *st);

/* Bytes the model itself holds over forward and backward, at real_bytes (8
 * or 4) per value, the result tensors (doubles) included and the heads'
 * workspace excluded; -1 if the count overflows. */
int64_t fa_model_bytes(const ar_config *c, int real_bytes);

/* OpenMP threads for what follows (0: leave the default); BLAS is kept
 * single-threaded, since the model calls it from its own threads. */
void fa_set_threads(int threads);

#endif
