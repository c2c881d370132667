/* Error propagation through the layers: a candidate's forward error on each
 * layer's output act.layers.{l} and backward error on grad.act.layers.{l},
 * how much each grows from one layer to the next, and the parameter
 * gradients' errors grouped by layer. The metrics are check.h's (one
 * definition of an error for check and audit alike). */
#ifndef ATTNREF_AUDIT_H
#define ATTNREF_AUDIT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "check.h"
#include "error.h"
#include "tensor.h"

/* One tensor's error; metrics are NaN when !compared (missing in the
 * candidate, or another shape). */
typedef struct ar_audit_err {
  const char *tensor;  /* the truth's name (points into the check result) */
  int compared;
  double normwise;     /* ||c - t||_2 / ||t||_2 */
  double max_rel;      /* max|c - t| / max|t| */
  double max_elem_rel; /* max |c - t| / |t| over t != 0 */
} ar_audit_err;

typedef struct ar_audit_layer {
  ar_audit_err fwd;  /* act.layers.l */
  ar_audit_err bwd;  /* grad.act.layers.l */
  /* Normwise growth into this layer, ar_audit_ratio of the two errors:
   * forward err_l / err_{l-1} (NaN at l = 0), backward err_l / err_{l+1}
   * (the adjoint runs from the last layer down; NaN at l = L-1). */
  double fwd_growth, bwd_growth;
  ar_audit_err *params; /* grad.layers.l.*, by name */
  size_t nparams;
} ar_audit_layer;

typedef struct ar_audit {
  int64_t layers;
  ar_audit_layer *layer;
  ar_audit_err *other; /* loss, grad.x, grad.unembed, ...: by name */
  size_t nother;
  /* Geometric mean of the growth factors over the L-1 steps, i.e.
   * (err_{L-1}/err_0)^(1/(L-1)) forward, (err_0/err_{L-1})^(1/(L-1))
   * backward; NaN when L < 2 or 0/0. */
  double fwd_geomean, bwd_geomean;
  ar_check_result cmp; /* the comparison the errors come from */
} ar_audit;

/* a / b for nonnegative errors: NaN when both are 0 (no error to grow),
 * +Inf when only b is 0; never a division by zero. */
double ar_audit_ratio(double a, double b);

/* Audits cand against truth. L is the number of consecutive act.layers.{l}
 * in the truth, which must hold act.layers.0 and grad.act.layers.{l} for
 * every l < L; the candidate must hold all 2L of them with the truth's
 * shapes. Anything else missing from the candidate is reported, not fatal.
 * Errors (AR_FAIL_INPUT) name cand_path or truth_path and the tensor. */
int ar_audit_compute(const ar_tensorset *truth, const ar_tensorset *cand,
                     const char *truth_path, const char *cand_path,
                     ar_audit *a, ar_error *err);
void ar_audit_free(ar_audit *a);

/* The per-layer table, the geometric means, then the parameter gradients
 * grouped by layer and the other tensors. */
void ar_audit_print(FILE *f, const ar_audit *a);

/* Long-format CSV, one row per tensor:
 *   kind,layer,tensor,normwise,max_rel,max_elem_rel,growth
 * kind: forward | backward | param | other | geomean (growth column only,
 * tensor "forward"/"backward"); empty fields where a value is undefined. */
int ar_audit_write_csv(const char *path, const ar_audit *a, ar_error *err);
int ar_audit_write_json(const char *path, const ar_audit *a,
                        const char *truth_path, const char *cand_path,
                        ar_error *err);

/* The gnuplot executable: $ATTNREF_GNUPLOT if set (empty: none), else
 * "gnuplot" on PATH; into buf; NULL when there is none. */
const char *ar_audit_find_gnuplot(char *buf, size_t n);

/* PNG of normwise error vs layer (log y; linear when no error is positive),
 * forward and backward, drawn by `gnuplot` (pngcairo, else png) into a
 * temporary file next to path, then renamed over it. */
int ar_audit_write_plot(const char *path, const ar_audit *a,
                        const char *gnuplot, const char *title,
                        ar_error *err);

#endif
