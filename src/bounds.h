/* The error harness behind `attnref bounds` (error_reports/): the cases its
 * sweeps are made of, the a-priori bounds on the approx path's errors for one
 * layer (derived in error_reports/BOUNDS.md), and the small measurements the
 * report is built from. Every computation of the model goes through a path
 * (ar_path_run); this module only builds inputs and compares outputs. */
#ifndef ATTNREF_BOUNDS_H
#define ATTNREF_BOUNDS_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>

#include "case.h"
#include "gen.h"
#include "path.h"
#include "tensor.h"

/* Entry distributions of the input x. */
typedef enum {
  BD_UNIFORM, /* s (2u - 1): signed uniform in [-s, s] */
  BD_OUTLIER  /* s z, z ~ N(0,1); then round(1e-3 n) entries (at least one)
                 at random positions are multiplied by a factor uniform in
                 [10, 100] (FlashAttention-3's outliers) */
} bd_dist;

#define BD_OUTLIER_RATE 1e-3
#define BD_OUTLIER_LO 10.0
#define BD_OUTLIER_HI 100.0

const char *bd_dist_name(bd_dist d); /* "uniform" | "outlier" */

/* v <- n draws of distribution d at scale s from r. */
void bd_fill(ar_rng *r, bd_dist d, double s, double *v, int64_t n);

/* A case for the sweeps. The inputs ar_gen_case makes (seed, bound 1) are
 * kept except: x <- dist at xscale; every weight matrix wq wk wv wo (and the
 * MLP's) uniform in [-wscale, wscale]; identities where asked; then, when
 * radius > 0, each layer's wq and wk are multiplied by one common factor
 * sqrt(radius / R_l) so that the layer's score radius
 *   R_l = tau max_h max_i |q_h,i| max_j |k_h,j|     (Cauchy-Schwarz,
 * the radius the approx path uses) equals `radius` on the EXACT forward
 * (layers after the first are calibrated in order, from exact64's
 * activations of the layers before). */
typedef struct bd_case_spec {
  ar_config cfg;
  uint64_t seed;
  bd_dist dist;
  double xscale;    /* scale of x's distribution */
  double wscale;    /* weights uniform in [-wscale, wscale]; 0: sqrt(3/d)
                       (unit variance of x W for unit-variance x) */
  int identity_qkv; /* wq = wk = wv = I (then Q = K = U = Norm1(X)) */
  int identity_wo;  /* wo = I */
  double radius;    /* > 0: calibrate R_l = radius for every layer */
} bd_case_spec;

void bd_case_spec_defaults(bd_case_spec *s);

/* out <- the case of spec s (metadata attnref.config and attnref.seed).
 * Calibration runs exact64 (layers >= 2 only). */
int bd_make_case(const bd_case_spec *s, ar_tensorset *out, ar_error *err);

/* Rounds every floating input of a case to the nearest bfloat16 (ties to
 * even), in place; values stay held as doubles. */
void bd_round_bf16(ar_tensorset *cs);

/* R <- tau max_i |q_i| max_j |k_j| (max over heads) of layer 0 computed in
 * double from the case's x (after Norm1), wq, wk: the radius the approx path
 * will report for layer 0, up to its rounding margin. */
double bd_layer0_radius(const ar_case *c);

/* max over heads and allowed pairs of tau |<q_i,k_j>| for layer 0: the
 * realized score bound (O(n^2 d); the caller decides when it is affordable). */
double bd_layer0_max_score(const ar_case *c);

/* Binds cs and runs path p on it: out <- results, *seconds <- wall time of
 * ar_path_run. While the path runs, what it prints on stderr goes to log
 * (NULL: discarded) so that a sweep's terminal stays readable. */
int bd_run(const ar_path *p, const ar_tensorset *cs, const ar_path_options *o,
           FILE *log, ar_tensorset *out, double *seconds, ar_error *err);

/* Error of one result tensor against the truth. */
typedef struct bd_err {
  int present;      /* both sets hold the tensor with the same size */
  double max_abs;   /* max |c - t| */
  double max_truth; /* max |t| */
  double normwise;  /* ||c - t||_2 / ||t||_2 (0 when both are 0; inf when
                       only t is 0) */
  double rel_max;   /* max_abs / max_truth (same conventions) */
} bd_err;

bd_err bd_compare(const ar_tensorset *truth, const ar_tensorset *cand,
                  const char *name);

/* worst elementwise ratio |c - t| / (b + floor_rel m) over the elements of
 * tensor `name`, b from the bounds set and m = M + |t| with M from the
 * magnitude set (same shapes; mags NULL: m = the tensor's max |t|). floor_rel m
 * is an allowance for rounding (BD_ROUNDING_FLOOR; 0 for none), so that an
 * element whose proven bound is 0 or tiny in exact arithmetic (a causal row
 * with one key, a cancellation) may still differ by roundings of what it sums;
 * BD_ROUNDING_FLOOR(n) grows like sqrt(n), the typical growth of a sum's
 * rounding over n terms (the worst case is n). An
 * element with a zero denominator and c != t gives +inf. *bmax <- max b.
 * Returns -1 when a tensor is missing. */
#define BD_ROUNDING_FLOOR(n) ((64 + 8 * sqrt((double)(n))) * 0x1p-53)
int bd_bound_ratio(const ar_tensorset *truth, const ar_tensorset *cand,
                   const ar_tensorset *bounds, const ar_tensorset *mags,
                   const char *name, double floor_rel, double *ratio,
                   double *bmax);

/* A double from the approx path's per-layer JSON metadata array (e.g.
 * "attnref.approx.eps"), layer l; NAN when absent or null. */
double bd_meta_layer(const ar_tensorset *out, const char *key, int64_t l);

/* The a-priori error bound of the approx path for one layer (BOUNDS.md).
 * Scope: layers = 1, mlp = 0, loss linear (the upstream gradient is then
 * exact), any heads / causal / residual / norm, Taylor polynomial of even
 * degree (P > 0, so the approximate softmax rows are probabilities).
 * Given eps (relative error of P ~ exp on [-R, R], max over heads) and R
 * (>= every |S_ij|), bounds <- one tensor per result of the model with the
 * result's name and shape: element-wise bounds on |approx - exact] in exact
 * arithmetic. eps >= 1 or a case out of scope: AR_FAIL_INPUT. */
int bd_apriori_one_layer(const ar_case *c, double eps, double R,
                         ar_tensorset *bounds, ar_error *err);

/* The magnitude of what each result of the same one-layer case sums: the
 * propagation of bd_apriori_one_layer with eta = 1 and every range replaced
 * by twice the largest magnitude (no cancellation assumed). A result whose
 * truth is small only through cancellation (rows of a collapsed layer that
 * agree to many digits) still carries rounding errors of the size of this
 * magnitude; the check allows BD_ROUNDING_FLOOR times it. */
int bd_magnitude_one_layer(const ar_case *c, double R, ar_tensorset *mags,
                           ar_error *err);

/* An allowance for double rounding inside the approx path, added to eps
 * before bounding (not proven: see BOUNDS.md): 2^-53 8 (g + 2) e^(2R). */
double bd_rounding_allowance(int g, double R);

/* Least-squares slope of log(y) on log(x) over the k points with y > 0 and
 * finite; NAN with fewer than 2 such points. */
double bd_loglog_slope(const double *x, const double *y, int k);

#endif
