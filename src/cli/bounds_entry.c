/* Part 3 of `attnref bounds`: the entry bound B. One layer, one head,
 * d = d_h = 8, wq = wk = wv = wo = I and x with entries of scale B, so that
 * Q = K = U = X: B bounds the entries of Q, K and V as in Alman & Song's
 * theorem. At fixed n, for each B and each polynomial family, the smallest
 * even degree whose measured max-norm relative error of the attention
 * output reaches the target, the rank C(8+g, g), and the time of approx
 * against exact64 (truth: exact64, validated against MPFR in part 1). The
 * degree search stops when the target is met, at the degree cap GMAX (rank
 * C(18,10) = 43758: approx then takes seconds where exact64 takes a tenth),
 * or when the error stalls (the double floor): all deterministic, so the
 * degrees do not depend on the machine's load; only the times do. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../fast/fast.h"
#include "../../fast/poly.h"
#include "bounds_cli.h"

#define GMAX 10

static void spec_of(bd_case_spec *s, bd_dist dist, int64_t n, double B) {
  bd_case_spec_defaults(s);
  s->cfg.n = n, s->cfg.d = 8, s->cfg.heads = 1, s->cfg.layers = 1;
  s->cfg.residual = 0, s->cfg.causal = 0, s->cfg.norm = AR_NORM_NONE;
  s->cfg.mlp = 0, s->cfg.loss = AR_LOSS_LINEAR;
  s->seed = dist == BD_OUTLIER ? 301 : 300;
  s->dist = dist;
  s->xscale = B;
  s->identity_qkv = 1;
  s->identity_wo = 1;
}

/* Taylor's smallest even g whose proven bound on the attention output is
 * within target * max|O| (-1: none up to 64) */
static int apriori_degree(const ar_case *c, double R, double omax,
                          double target, ar_error *err) {
  for (int g = 0; g <= 64; g += 2) {
    double eps = fa_taylor_eps(g, R);
    if (!(eps < 1)) continue;
    ar_tensorset b;
    ar_tensorset_init(&b);
    ar_error e2;
    ar_error_clear(&e2);
    double bm = INFINITY;
    if (!bd_apriori_one_layer(c, eps, R, &b, &e2)) {
      const ar_tensor *t = ar_tensorset_find(&b, "act.layers.0");
      bm = 0;
      for (int64_t i = 0; t && i < t->numel; i++) bm = fmax(bm, t->data[i]);
    }
    ar_tensorset_free(&b);
    if (bm <= target * omax) return g;
  }
  (void)err;
  return -1;
}

static int search(bx_ctx *x, const ar_tensorset *cs, const ar_tensorset *truth,
                  bx_entry_row *row) {
  ar_path_options o;
  ar_path_options_defaults(&o);
  o.poly = row->poly;
  row->g_found = -1;
  row->stop = "degree cap g = 10";
  for (int g = 2; g <= GMAX && row->ntries < BX_GMAX_TRIES; g += 2) {
    o.degree = g;
    ar_tensorset out;
    ar_tensorset_init(&out);
    double secs;
    ar_error e2;
    ar_error_clear(&e2);
    int rc = bd_run(&ar_path_approx, cs, &o, x->log, &out, &secs, &e2);
    if (rc == AR_FAIL_INPUT) { /* refused (memory, rank): the search ends */
      ar_tensorset_free(&out);
      row->stop = "refused by the path (memory or rank)";
      break;
    }
    if (rc) {
      ar_tensorset_free(&out);
      x->err = e2;
      return rc;
    }
    int k = row->ntries++;
    row->g[k] = g;
    row->err[k] = bd_compare(truth, &out, "act.layers.0").rel_max;
    row->t[k] = secs;
    ar_tensorset_free(&out);
    if (row->err[k] <= x->target) {
      row->g_found = g;
      row->stop = "target met";
      break;
    }
    /* R^(g+1)/(g+1)! only falls once g > e R: no verdict before that */
    if (k >= 2 && g > 2.72 * row->R && !(row->err[k] < 0.5 * row->err[k - 1]) &&
        !(row->err[k - 1] < 0.5 * row->err[k - 2])) {
      row->stop = "error stalled (no gain from two more degrees)";
      break;
    }
  }
  return AR_OK;
}

static int one_B(bx_ctx *x, bd_dist dist, double B) {
  bd_case_spec s;
  spec_of(&s, dist, x->entry_n, B);
  ar_tensorset cs, truth;
  ar_tensorset_init(&cs);
  ar_tensorset_init(&truth);
  ar_case cc;
  memset(&cc, 0, sizeof cc);
  ar_path_options o;
  ar_path_options_defaults(&o);
  double t64 = INFINITY, secs;
  int rc = bd_make_case(&s, &cs, &x->err);
  if (!rc) rc = ar_case_bind(&cs, "bounds case", &cc, &x->err);
  for (int rep = 0; rep < 3 && !rc; rep++) { /* best of three: the timing */
    ar_tensorset_free(&truth);
    ar_tensorset_init(&truth);
    rc = bd_run(&ar_path_exact64, &cs, &o, x->log, &truth, &secs, &x->err);
    t64 = fmin(t64, secs);
  }
  if (rc) goto done;
  double R = bd_layer0_radius(&cc), smax = bd_layer0_max_score(&cc);
  double omax = bd_compare(&truth, &truth, "act.layers.0").max_truth;
  int gap = apriori_degree(&cc, R * (1 + 1e-9), omax, x->target, &x->err);
  static const char *const polys[2] = {"taylor", "chebyshev"};
  for (int p = 0; p < 2; p++) {
    void *q = x->entry;
    if (x->nentry == x->capentry) {
      int nc = x->capentry ? 2 * x->capentry : 16;
      if (!(q = realloc(x->entry, (size_t)nc * sizeof *x->entry))) {
        rc = ar_fail(&x->err, AR_FAIL_INTERNAL, "bounds: out of memory");
        goto done;
      }
      x->entry = q, x->capentry = nc;
    }
    bx_entry_row *row = &x->entry[x->nentry];
    memset(row, 0, sizeof *row);
    row->dist = dist, row->B = B, row->R = R, row->smax = smax;
    row->poly = polys[p];
    row->t_exact64 = t64;
    row->g_apriori = p == 0 ? gap : -1;
    if ((rc = search(x, &cs, &truth, row))) goto done;
    x->nentry++;
    int k = row->ntries - 1;
    bx_note(x,
            "part 3 %s B=%g R=%.3g %s: %s at g=%d (err %.2e, %.3f s vs "
            "exact64 %.3f s)",
            bd_dist_name(dist), B, R, row->poly, row->stop,
            k >= 0 ? row->g[k] : -1, k >= 0 ? row->err[k] : NAN,
            k >= 0 ? row->t[k] : NAN, t64);
  }
done:
  ar_case_release(&cc);
  ar_tensorset_free(&cs);
  ar_tensorset_free(&truth);
  return rc;
}

int bx_part_entry(bx_ctx *x) {
  /* outliers (entries up to 100x the scale) need scales ~100x smaller for
   * the same R: their own list */
  static const double full[2][10] = {
      {0.125, 0.25, 0.375, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 3.0},
      {0.0025, 0.005, 0.01, 0.02, 0.04, 0.08, 0, 0, 0, 0}};
  static const double quick[2][3] = {{0.25, 0.5, 1.0}, {0.01, 0.04, 0}};
  x->entry_n = x->quick ? 512 : 4096;
  for (int di = 0; di < 2; di++)
    for (int i = 0; i < (x->quick ? 3 : 10); i++) {
      double B = x->quick ? quick[di][i] : full[di][i];
      if (B == 0) continue;
      int rc = one_B(x, di ? BD_OUTLIER : BD_UNIFORM, B);
      if (rc) return rc;
    }
  return AR_OK;
}
