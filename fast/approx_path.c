/* The "approx" path: the shared double model (model.h) with the
 * polynomial-method head (attn_approx.h), degree o->degree (default 4),
 * polynomial o->poly ("taylor" | "chebyshev").
 *
 * It reports, on stderr and in the result's metadata, per layer (max over
 * its heads): the radius R that bounds every |tau <q_i,k_j>|, the relative
 * error eps of P ~ exp on [-R, R] (Taylor: the a-priori bound
 * eps(g,R) = R^(g+1) e^R/(g+1)!; Chebyshev: measured on a fine grid), the
 * rank r = C(dh+g, g), and the a-priori bound on the attention output:
 * A~_ij = A_ij (1 + e_ij) with |e_ij| <= eps gives
 * |F~_ij - F_ij| <= F_ij 2eps/(1-eps), hence
 *   |O~_h - O_h|_ic <= 2eps/(1-eps) max_j |U_h,jc|
 * for every head h and entry (i, c) of the concatenated head outputs, given
 * the layer's input. It bounds this layer's own approximation only (the
 * layers before it feed it an input that is itself approximate); the
 * harness compares it with the measured error.
 *
 * Metadata (JSON arrays over layers; null where eps >= 1 gives no bound):
 *   attnref.approx.radius, attnref.approx.eps, attnref.approx.bound_attn_out,
 *   attnref.approx.rank, attnref.approx.degree, attnref.approx.poly,
 *   attnref.approx.eps_kind ("bound" | "measured").
 *
 * The options, the recording of the per-layer figures (a head that wraps
 * fa_head_approx and records what each call sees) and the report are
 * approx_common.c's, shared with the GPU approx paths. */
#include <stdlib.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "../src/path.h"
#include "approx_common.h"
#include "attn_approx.h"
#include "fast.h"
#include "features.h"
#include "model.h"

static int64_t approx_memory(const ar_config *c, const ar_path_options *o) {
  int64_t model = fa_model_bytes(c, 8);
  if (model < 0 || o->degree < 0) return model;
  int64_t head = fa_approx_bytes(c->n, ar_config_head_dim(c), o->degree);
  if (head < 0) return -1;
  /* heads run side by side when there are at least as many as threads */
  int64_t T = o->threads;
#ifdef _OPENMP
  if (T <= 0) T = omp_get_max_threads();
#else
  T = 1;
#endif
  int64_t conc = (T > 1 && c->heads >= T) ? T : 1, tot;
  if (!ar_mul_ok(head, conc, &tot) || !ar_add_ok(tot, model, &tot)) return -1;
  return tot;
}

typedef struct approx_state {
  fa_model_state st;
  fa_head_params p;
} approx_state;

static int approx_forward(const ar_case *c, const ar_path_options *o,
                          void **state, ar_tensorset *out, ar_error *err) {
  approx_state *s = calloc(1, sizeof *s);
  if (!s) return ar_fail(err, AR_FAIL_INTERNAL, "%s: out of memory", c->source);
  *state = s;
  int rc = fa_approx_params(c, o, "approx", &s->p, err);
  if (rc) return rc;
  fa_set_threads(o->threads);
  fa_approx_layer *ls = calloc((size_t)c->cfg.layers, sizeof *ls);
  if (!ls) return ar_fail(err, AR_FAIL_INTERNAL, "%s: out of memory", c->source);
  int failed;
  rc = fa_approx_forward_recorded(c, "approx", &fa_head_approx, 0, &s->p,
                                  &s->st, out, ls, &failed, err);
  if (!rc && failed)
    rc = ar_fail(err, AR_FAIL_INPUT,
                 "%s: path approx: no polynomial of degree %d for a score "
                 "radius (non-finite projections?)",
                 c->source, s->p.degree);
  if (!rc) rc = fa_approx_report(c, "approx", NULL, &s->p, ls, out, err);
  free(ls);
  return rc;
}

static int approx_backward(const ar_case *c, const ar_path_options *o,
                           void *state, ar_tensorset *out, ar_error *err) {
  approx_state *s = state;
  fa_set_threads(o->threads);
  return fa_model_backward(c, &fa_head_approx, &s->p, &s->st, out, err);
}

static void approx_release(void *state) {
  approx_state *s = state;
  if (!s) return;
  fa_model_release(&s->st);
  free(s);
}

const ar_path ar_path_approx = {
    .name = "approx",
    .summary = "double model, polynomial-method attention heads (Alman-Song): "
               "O(n r dh^2) with r = C(dh+g,g); --degree g, --poly "
               "taylor|chebyshev",
    .memory_needed = approx_memory,
    .forward = approx_forward,
    .backward = approx_backward,
    .release = approx_release,
};
