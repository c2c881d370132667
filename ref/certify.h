/* Certification (spec/truth.md): the model is computed at precision p and
 * again at p2 = p + max(64, p/2); every output element of both is rounded to
 * double (and, for double-double, the low part RN(x - hi) too) and the two
 * must agree, else p doubles and both runs are redone, up to 8192 bits. */
#ifndef ATTNREF_REF_CERTIFY_H
#define ATTNREF_REF_CERTIFY_H

#include "../src/path.h"
#include "model.h"

#define REF_MAX_PREC 8192

typedef struct ref_state {
  const ar_case *cs;
  int double_double;
  mpfr_prec_t p, p2; /* current working and check precisions */
  ref_run *a, *b;    /* runs at p and p2, forward done */
  int backward_done;
  ref_progress pr;
} ref_state;

/* p2 for working precision p. */
mpfr_prec_t ref_check_prec(mpfr_prec_t p);

/* Makes the runs (at s->p, raising it as needed) and certifies the forward
 * outputs (with_backward = 0) or all outputs (1). */
int ref_certify(ref_state *s, int with_backward, ar_error *err);

/* Writes the outputs of s->b (forward only, or all) into out, with the
 * @lo parts when double_double, and the metadata. */
int ref_write_outputs(ref_state *s, int with_backward, ar_tensorset *out,
                      ar_error *err);

void ref_state_free(ref_state *s);

#endif
