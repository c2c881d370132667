/* The "ref" path: certified MPFR forward and backward (certify.c) behind the
 * ar_path interface, its memory estimate and the operation counters. */
#include "ref.h"

#include <stdlib.h>
#include <string.h>

#include "certify.h"

static int check_prec(const ar_case *c, const ar_path_options *o,
                      ar_error *err) {
  if (o->prec < 2 || o->prec > REF_MAX_PREC)
    return ar_fail(err, AR_FAIL_INPUT,
                   "%s: precision %ld bits: must be within [2, %d]",
                   c->source ? c->source : "case", o->prec, REF_MAX_PREC);
  return AR_OK;
}

/* Both runs (p and p2) are alive at once; the outputs add their doubles. */
static int64_t ref_memory_needed(const ar_config *c,
                                 const ar_path_options *o) {
  long p = o->prec < 2 ? 2 : o->prec > REF_MAX_PREC ? REF_MAX_PREC : o->prec;
  int64_t a = ref_run_bytes(c, p), b = ref_run_bytes(c, ref_check_prec(p));
  int64_t total, outs, t;
  if (a < 0 || b < 0 || !ar_add_ok(a, b, &total)) return -1;
  /* output doubles: every output is a matrix of the run, whose values take
   * over 64 bytes each, so b/8 bounds the 8-byte doubles (twice that with
   * the @lo parts) */
  if (!ar_mul_ok(b / 8, o->double_double ? 2 : 1, &outs) ||
      !ar_add_ok(total, outs, &t))
    return -1;
  return t;
}

static int ref_forward(const ar_case *c, const ar_path_options *o,
                       void **state, ar_tensorset *out, ar_error *err) {
  *state = NULL;
  int rc = check_prec(c, o, err);
  if (rc) return rc;
  ref_state *s = calloc(1, sizeof *s);
  if (!s) return ar_fail(err, AR_FAIL_INTERNAL, "out of memory");
  s->cs = c;
  s->double_double = o->double_double;
  s->p = o->prec;
  s->pr.t0 = ref_now();
  s->pr.verbose = o->verbose;
  *state = s;
  rc = ref_certify(s, 0, err);
  if (!rc) rc = ref_write_outputs(s, 0, out, err);
  return rc;
}

static int ref_backward(const ar_case *c, const ar_path_options *o,
                        void *state, ar_tensorset *out, ar_error *err) {
  ref_state *s = state;
  if (!s) return ar_fail(err, AR_FAIL_INTERNAL, "ref backward without forward");
  int rc = ref_certify(s, 1, err);
  /* all outputs again: a raise in backward recomputed the forward too */
  if (!rc) rc = ref_write_outputs(s, 1, out, err);
  ref_progress_say(&s->pr, "done at %ld/%ld bits", (long)s->p, (long)s->p2);
  return rc;
}

static void ref_release(void *state) { ref_state_free(state); }

const ar_path ar_path_ref = {
    "ref",
    "MPFR exact reference, certified by recomputation at higher precision",
    ref_memory_needed,
    ref_forward,
    ref_backward,
    ref_release,
};

void ar_ref_counts_reset(void) { memset(&ar_ref_cnt, 0, sizeof ar_ref_cnt); }
void ar_ref_counts_get(ar_ref_counts *out) { *out = ar_ref_cnt; }
