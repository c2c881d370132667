/* The whole model (spec/model.md) at one MPFR precision: a "run" holds the
 * inputs (set exactly from the case's doubles), the activations forward
 * keeps for backward, the gradients and the scratch, all allocated once when
 * the run is made. certify.c makes two runs at different precisions and
 * compares them; the tests make runs directly (finite differences). */
#ifndef ATTNREF_REF_MODEL_H
#define ATTNREF_REF_MODEL_H

#include "../src/case.h"
#include "ops.h"

typedef struct ref_params {
  mpmat *wq, *wk, *wv, *wo, *n1w, *n1b, *n2w, *n2b, *w1, *b1, *w2, *b2;
} ref_params;

typedef struct ref_layer {
  ref_params p, g; /* parameters (views of inputs) and their gradients */
  /* saved by forward; xn/yn alias x/y without norm, out aliases y without MLP */
  mpmat *xn, *xhat1, *rstd1, *q, *k, *u, **f, *o, *y;
  mpmat *yn, *xhat2, *rstd2, *hpre, *hact, *aux, *out;
} ref_layer;

/* One named input tensor and its gradient. */
typedef struct ref_input {
  char name[64];
  int ndim;
  int64_t shape[2];
  const double *src;
  mpmat *val;  /* at max(prec, 53) bits: the doubles exactly */
  mpmat *grad; /* at prec */
} ref_input;

/* Progress on stderr: every call prints when verbose, or once the run has
 * taken more than 2 s. */
typedef struct ref_progress {
  double t0; /* monotonic seconds at start */
  int verbose;
} ref_progress;
double ref_now(void);
void ref_progress_say(const ref_progress *pr, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

typedef struct ref_run {
  const ar_case *cs;
  const ar_config *cfg;
  mpfr_prec_t prec;
  mparena arena;
  mpctx ctx;
  mpfr_t tau, eps; /* at max(prec, 53): an explicit scale and eps exactly */
  ref_input *in;
  int nin;
  mpmat *x, *target, *unembed; /* target holds cotangent for linear loss */
  ref_layer *layer;
  mpmat *loss;      /* 1 x 1 */
  losssave ls;
  mpmat **gact;     /* gact[l] = dL/d(output of layer l), n x d */
  /* backward scratch, shared by layers */
  mpmat *dO, *dQ, *dK, *dU, *dS, *negG, *dXn, *g, *dY, *dHact, *dHpre, *dYn,
      *dlogits;
  const ref_progress *progress; /* may be NULL */
} ref_run;

/* A run of case c at prec bits (>= 2); NULL with err set on failure
 * (AR_FAIL_INPUT for non-finite inputs or bad labels, AR_FAIL_INTERNAL when
 * out of memory). */
ref_run *ref_run_new(const ar_case *c, mpfr_prec_t prec, ar_error *err);
void ref_run_free(ref_run *r);

/* Forward from the run's current input values (tests may perturb them):
 * every layer's activations, then the loss. */
int ref_run_forward(ref_run *r, ar_error *err);
/* The same from layer `first` on, taking layer first-1's output as it is
 * (tests perturb it to check grad.act by finite differences); first ==
 * layers computes only the loss. */
int ref_run_forward_from(ref_run *r, int64_t first, ar_error *err);
/* Backward after forward: every gradient. */
int ref_run_backward(ref_run *r, ar_error *err);

/* The input of that name, NULL if none. */
ref_input *ref_run_input(ref_run *r, const char *name);

/* Bytes a run of config c at prec will allocate (conservative); -1 on
 * overflow. */
int64_t ref_run_bytes(const ar_config *c, mpfr_prec_t prec);

#endif
