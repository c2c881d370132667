/* What the polynomial-method paths share (fast/approx_path.c "approx",
 * gpu/gpu_approx_path.c "gpu-approx", "gpu-approx64"): their options, the
 * per-layer figures recorded from every head call, and the stderr lines and
 * metadata that report them.
 *
 * Per layer (max over its heads): the radius R that bounds every
 * |tau <q_i,k_j>|, the relative error eps of P ~ exp on [-R, R], and the
 * a-priori bound on the attention output |O~ - O|_ic <= 2eps/(1-eps)
 * max_j |U_jc| (see approx_path.c). */
#ifndef ATTNREF_FAST_APPROX_COMMON_H
#define ATTNREF_FAST_APPROX_COMMON_H

#include "../src/case.h"
#include "../src/path.h"
#include "../src/tensor.h"
#include "attn_head.h"
#include "model.h"

typedef struct fa_approx_layer {
  double radius, eps, bound; /* max over the layer's heads */
} fa_approx_layer;

/* p <- o's degree and polynomial; an input error naming `path` when the
 * polynomial is unknown, the degree out of range or the rank C(d_h+g, g)
 * beyond 2^31. */
int fa_approx_params(const ar_case *c, const ar_path_options *o,
                     const char *path, fa_head_params *p, ar_error *err);

/* out, st <- fa_model_forward with `head` under the name `path`, each head
 * call first recording its R, eps and bound into ls (c->cfg.layers entries,
 * zeroed by the caller): the model calls the H heads of a layer before any
 * head of the next, so call k belongs to layer k / H. *failed is set when no
 * polynomial could be built for a call's R; that call then returns -1
 * without running the head when skip_failed. The recorder is process-wide:
 * runs are serialized by a mutex. */
int fa_approx_forward_recorded(const ar_case *c, const char *path,
                               const fa_head_impl *head, int skip_failed,
                               const fa_head_params *p, fa_model_state *st,
                               ar_tensorset *out, fa_approx_layer *ls,
                               int *failed, ar_error *err);

/* One stderr line per layer, and the metadata: attnref.path = path,
 * attnref.device = device (when not NULL), attnref.approx.radius, .eps,
 * .bound_attn_out (JSON arrays over layers, null where not finite), .rank,
 * .degree, .poly, .eps_kind ("bound" | "measured"). */
int fa_approx_report(const ar_case *c, const char *path, const char *device,
                     const fa_head_params *p, const fa_approx_layer *ls,
                     ar_tensorset *out, ar_error *err);

#endif
