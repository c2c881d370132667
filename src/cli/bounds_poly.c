/* Parts 1, 4 and 5 of `attnref bounds`: the 1/poly(n) sweep, the noise
 * floors of the same cases, for both input distributions.
 *
 * The case is the paper's setting (spec/model.md §13): heads 1, layers 1,
 * norm none, mlp 0, residual off, no mask, wo = I, d = d_h = 8, loss linear
 * (the upstream gradient is then exact). x from the distribution, wq wk wv
 * uniform in [-1, 1], then wq and wk scaled by one factor so that the score
 * radius R = tau max|q_i| max|k_j| is the same at every n. For each n and
 * c in {1, 2}, g is the smallest even degree with eps(g, R) <= n^-c; c = 0
 * is a control with g fixed (BX_FIXED_G) at every n, which separates what
 * the degree does from what n itself does to the error (averaging). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../fast/fast.h"
#include "../../fast/features.h"
#include "../../fast/poly.h"
#include "../../ref/ref.h"
#include "bounds_cli.h"

const char *const bx_tensor[BX_NT] = {"act.layers.0",     "loss",
                                      "grad.x",           "grad.layers.0.wq",
                                      "grad.layers.0.wk", "grad.layers.0.wv",
                                      "grad.layers.0.wo", "grad.cotangent",
                                      "grad.act.layers.0"};
const char *const bx_short[BX_NT] = {"act", "loss", "dx",   "dWq", "dWk",
                                     "dWv", "dWo",  "dcot", "dact"};

static int grow(void **p, int *cap, int count, size_t size, ar_error *err) {
  if (count < *cap) return AR_OK;
  int nc = *cap ? 2 * *cap : 16;
  void *q = realloc(*p, (size_t)nc * size);
  if (!q) return ar_fail(err, AR_FAIL_INTERNAL, "bounds: out of memory");
  *p = q, *cap = nc;
  return AR_OK;
}

static void spec_of(bd_case_spec *s, bd_dist dist, int64_t n, double R) {
  bd_case_spec_defaults(s);
  s->cfg.n = n, s->cfg.d = 8, s->cfg.heads = 1, s->cfg.layers = 1;
  s->cfg.residual = 0, s->cfg.causal = 0, s->cfg.norm = AR_NORM_NONE;
  s->cfg.mlp = 0, s->cfg.loss = AR_LOSS_LINEAR;
  int lg = 0;
  while (((int64_t)1 << lg) < n) lg++;
  s->seed = (uint64_t)(100 + lg + (dist == BD_OUTLIER ? 1000 : 0));
  s->dist = dist;
  s->xscale = 1;
  s->wscale = 1;
  s->identity_wo = 1;
  s->radius = R;
}

/* truth <- MPFR (n <= mpfr_max) or exact64 results of case cs */
static int truth_of(bx_ctx *x, const ar_tensorset *cs, int64_t n,
                    ar_tensorset *truth, double *secs) {
  ar_path_options o;
  ar_path_options_defaults(&o);
  const ar_path *p = n <= x->mpfr_max ? &ar_path_ref : &ar_path_exact64;
  return bd_run(p, cs, &o, x->log, truth, secs, &x->err);
}

static void compare_all(const ar_tensorset *t, const ar_tensorset *c,
                        bd_err *e) {
  for (int k = 0; k < BX_NT; k++) e[k] = bd_compare(t, c, bx_tensor[k]);
}

/* One approx run at the smallest even g meeting the target, its errors and
 * its proven bounds. */
static int approx_point(bx_ctx *x, const ar_tensorset *cs, const ar_case *cc,
                        const ar_tensorset *truth, bx_poly_row *row) {
  ar_path_options o;
  ar_path_options_defaults(&o);
  int g = 0;
  if (row->c == 0)
    g = BX_FIXED_G;
  else
    while (g < 64 && !(fa_taylor_eps(g, row->R * (1 + 1e-9)) <= row->target))
      g += 2;
  ar_tensorset out, bnd, mag;
  ar_tensorset_init(&out);
  ar_tensorset_init(&bnd);
  ar_tensorset_init(&mag);
  int rc;
  for (;;) {
    o.degree = g;
    ar_tensorset_free(&out);
    ar_tensorset_init(&out);
    if ((rc = bd_run(&ar_path_approx, cs, &o, x->log, &out, &row->t_approx,
                     &x->err)))
      goto done;
    row->eps = bd_meta_layer(&out, "attnref.approx.eps", 0);
    /* the path's R carries a rounding margin: eps may land just above */
    if (row->c == 0 || row->eps <= row->target || g >= 62) break;
    g += 2;
  }
  row->g = g;
  row->rank = fa_features_rank(8, g);
  double Rm = bd_meta_layer(&out, "attnref.approx.radius", 0);
  row->allowance = bd_rounding_allowance(g, Rm);
  compare_all(truth, &out, row->err);
  /* metadata holds 7 significant digits: round eps and R up */
  rc = bd_apriori_one_layer(cc, row->eps * (1 + 1e-6) + row->allowance,
                            Rm * (1 + 1e-6), &bnd, &x->err);
  if (!rc) rc = bd_magnitude_one_layer(cc, Rm * (1 + 1e-6), &mag, &x->err);
  if (rc) goto done;
  for (int k = 0; k < BX_NT; k++) {
    if (bd_bound_ratio(truth, &out, &bnd, &mag, bx_tensor[k],
                       BD_ROUNDING_FLOOR(row->n), &row->ratio[k],
                       &row->bmax[k]))
      row->ratio[k] = row->bmax[k] = NAN;
    char what[160];
    snprintf(what, sizeof what, "part 1 %s n=%lld c=%d g=%d %s",
             bd_dist_name(row->dist), (long long)row->n, row->c, g,
             bx_tensor[k]);
    bx_check(x, what, row->ratio[k]);
  }
done:
  ar_tensorset_free(&out);
  ar_tensorset_free(&bnd);
  ar_tensorset_free(&mag);
  return rc;
}

static int one_n(bx_ctx *x, bd_dist dist, int64_t n) {
  bd_case_spec s;
  spec_of(&s, dist, n, x->radius);
  ar_tensorset cs, truth, e64, e32, tb;
  ar_tensorset_init(&cs);
  ar_tensorset_init(&truth);
  ar_tensorset_init(&e64);
  ar_tensorset_init(&e32);
  ar_tensorset_init(&tb);
  ar_case cc;
  memset(&cc, 0, sizeof cc);
  ar_path_options o;
  ar_path_options_defaults(&o);
  double secs, t64 = NAN;
  int rc = bd_make_case(&s, &cs, &x->err);
  if (!rc) rc = ar_case_bind(&cs, "bounds case", &cc, &x->err);
  if (rc) goto done;
  const int mp = n <= x->mpfr_max;
  if ((rc = truth_of(x, &cs, n, &truth, &secs))) goto done;
  if (!mp) t64 = secs;
  if (mp &&
      (rc = bd_run(&ar_path_exact64, &cs, &o, x->log, &e64, &t64, &x->err)))
    goto done;
  if ((rc = bd_run(&ar_path_exact32, &cs, &o, x->log, &e32, &secs, &x->err)))
    goto done;
  /* part 4's input-rounding floor: the truth of the bf16-rounded case */
  {
    ar_tensorset rb;
    ar_tensorset_init(&rb);
    rc = bd_make_case(&s, &rb, &x->err);
    if (!rc) {
      bd_round_bf16(&rb);
      rc = truth_of(x, &rb, n, &tb, &secs);
    }
    ar_tensorset_free(&rb);
    if (rc) goto done;
  }
  if ((rc = grow((void **)&x->floor, &x->capfloor, x->nfloor, sizeof *x->floor,
                 &x->err)))
    goto done;
  bx_floor_row *fr = &x->floor[x->nfloor++];
  memset(fr, 0, sizeof *fr);
  fr->dist = dist, fr->n = n, fr->truth_mpfr = mp;
  if (mp) compare_all(&truth, &e64, fr->e64);
  compare_all(&truth, &e32, fr->e32);
  compare_all(&truth, &tb, fr->bf16);

  double R = bd_layer0_radius(&cc);
  double smax = n <= 16384 ? bd_layer0_max_score(&cc) : NAN;
  for (int c = 0; c <= 2; c++) {
    if ((rc = grow((void **)&x->poly, &x->cappoly, x->npoly, sizeof *x->poly,
                   &x->err)))
      goto done;
    bx_poly_row *row = &x->poly[x->npoly];
    memset(row, 0, sizeof *row);
    row->dist = dist, row->n = n, row->c = c;
    row->R = R, row->smax = smax;
    row->target = c ? pow((double)n, -c) : NAN;
    row->truth_mpfr = mp;
    row->t_exact64 = t64;
    if ((rc = approx_point(x, &cs, &cc, &truth, row))) goto done;
    x->npoly++;
    bx_note(x,
            "part 1 %s n=%lld c=%d: g=%d eps=%.2e act err %.2e (bound "
            "ratio %.2g), %.2f s approx, %.2f s exact64",
            bd_dist_name(dist), (long long)n, c, row->g, row->eps,
            row->err[0].normwise, row->ratio[0], row->t_approx, t64);
  }
done:
  ar_case_release(&cc);
  ar_tensorset_free(&cs);
  ar_tensorset_free(&truth);
  ar_tensorset_free(&e64);
  ar_tensorset_free(&e32);
  ar_tensorset_free(&tb);
  return rc;
}

int bx_part_poly(bx_ctx *x) {
  for (int di = 0; di < 2; di++) {
    bd_dist dist = di ? BD_OUTLIER : BD_UNIFORM;
    int64_t nmax = x->quick ? 1024 : (di ? 16384 : 65536);
    for (int64_t n = 128; n <= nmax; n *= 2) {
      if (x->quick && n == 512) continue; /* 128, 256, 1024 */
      if (x->quick && di && n == 256) continue;
      int rc = one_n(x, dist, n);
      if (rc) return rc;
    }
  }
  /* the resolution of an exact64 truth, from its error against MPFR */
  for (int k = 0; k < BX_NT; k++) {
    x->floor64[k] = 0;
    for (int i = 0; i < x->nfloor; i++)
      if (x->floor[i].truth_mpfr)
        x->floor64[k] = fmax(x->floor64[k], 100 * x->floor[i].e64[k].normwise);
  }
  x->below_floor = 0;
  for (int i = 0; i < x->npoly; i++)
    for (int k = 0; k < BX_NT - 1; k++) /* dact is exact: never counted */
      if (!x->poly[i].truth_mpfr && x->poly[i].err[k].normwise < x->floor64[k])
        x->below_floor++;
  /* log-log slopes of the normwise error against n, over the points the
   * truth resolves */
  for (int di = 0; di < 2; di++)
    for (int c = 0; c <= 2; c++)
      for (int k = 0; k < BX_NT; k++) {
        double xs[64], ys[64];
        int m = 0;
        for (int i = 0; i < x->npoly && m < 64; i++) {
          const bx_poly_row *r = &x->poly[i];
          if ((int)r->dist != di || r->c != c) continue;
          if (!r->truth_mpfr && r->err[k].normwise < x->floor64[k]) continue;
          xs[m] = (double)r->n, ys[m] = r->err[k].normwise, m++;
        }
        x->slope[di][c][k] = bd_loglog_slope(xs, ys, m);
        x->slope_pts[di][c][k] = m;
      }
  return AR_OK;
}
