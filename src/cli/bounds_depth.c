/* Part 2 of `attnref bounds`: depth. Models of L = 1..Lmax layers (each the
 * first L layers of the same Lmax-layer model), every layer's score radius
 * calibrated to R = 1, Taylor g = 6, d = 16 in 2 heads (d_h = 8), loss
 * linear, truth MPFR. Per layer: the normwise errors of act.layers.l and
 * grad.act.layers.l, and for the Lmax-layer model the split of layer l's
 * forward error into
 *   fresh  = approx_l(X~_{l-1}) - exact_l(X~_{l-1})   (proven bound: the
 *            one-layer a-priori bound given the layer's actual input)
 *   carried = exact_l(X~_{l-1}) - exact_l(X_{l-1})    (the exact layer's
 *            amplification of the error it is fed, measured)
 * where X~ are the approx path's activations, X the truth's. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../fast/fast.h"
#include "../../ref/ref.h"
#include "bounds_cli.h"

#define DEPTH_G 6
#define DEPTH_R 1.0

static void spec_of(bd_case_spec *s, const bx_depth_variant *v, int64_t n,
                    int L) {
  bd_case_spec_defaults(s);
  s->cfg.n = n, s->cfg.d = 16, s->cfg.heads = 2, s->cfg.layers = L;
  s->cfg.residual = v->residual, s->cfg.causal = v->causal;
  s->cfg.norm = v->norm, s->cfg.mlp = 0, s->cfg.loss = AR_LOSS_LINEAR;
  s->seed = 7;
  s->dist = BD_UNIFORM;
  s->xscale = 1;
  s->wscale = 0; /* sqrt(3/d): activations keep their scale */
  s->radius = DEPTH_R;
}

static double norm2(const double *a, const double *b, int64_t m) {
  double s = 0;
  for (int64_t i = 0; i < m; i++) {
    double d = b ? a[i] - b[i] : a[i];
    s += d * d;
  }
  return sqrt(s);
}

static const double *data_of(const ar_tensorset *s, const char *fmt, int l) {
  char name[64];
  snprintf(name, sizeof name, fmt, l);
  const ar_tensor *t = ar_tensorset_find(s, name);
  return t ? t->data : NULL;
}

/* one <- the one-layer case of layer l of big, fed x, with cotangent cot */
static int layer_case(const ar_tensorset *big, const ar_config *cfg, int l,
                      const double *x, const double *cot, ar_tensorset *one,
                      ar_error *err) {
  ar_config c1 = *cfg;
  c1.layers = 1;
  int rc = ar_gen_case(&c1, 1, 1.0, 0, one, err);
  if (rc) return rc;
  for (size_t i = 0; i < one->count; i++) {
    ar_tensor *t = &one->t[i];
    const double *src = NULL;
    if (!strcmp(t->name, "x"))
      src = x;
    else if (!strcmp(t->name, "cotangent"))
      src = cot;
    else if (!strncmp(t->name, "layers.0.", 9)) {
      char name[96];
      snprintf(name, sizeof name, "layers.%d.%s", l, t->name + 9);
      const ar_tensor *b = ar_tensorset_find(big, name);
      src = b ? b->data : NULL;
    }
    if (!src)
      return ar_fail(err, AR_FAIL_INTERNAL, "bounds: no data for %s", t->name);
    memcpy(t->data, src, (size_t)t->numel * sizeof *t->data);
  }
  return AR_OK;
}

/* The fresh / carried split of layer l of the Lmax model. */
static int split_layer(bx_ctx *x, bx_depth_variant *v, const ar_tensorset *big,
                       const ar_config *cfg, const ar_tensorset *truth,
                       const ar_tensorset *apx, int l) {
  const int64_t nd = cfg->n * cfg->d;
  const double *xin = l ? data_of(apx, "act.layers.%d", l - 1)
                        : ar_tensorset_find(big, "x")->data;
  const double *xex = l ? data_of(truth, "act.layers.%d", l - 1) : xin;
  const double *xl = data_of(truth, "act.layers.%d", l);
  const double *cot = data_of(truth, "grad.act.layers.%d", l);
  ar_tensorset one, a1, e1, bnd, mag;
  ar_tensorset_init(&mag);
  ar_tensorset_init(&one);
  ar_tensorset_init(&a1);
  ar_tensorset_init(&e1);
  ar_tensorset_init(&bnd);
  ar_case c1;
  memset(&c1, 0, sizeof c1);
  ar_path_options o;
  ar_path_options_defaults(&o);
  o.degree = DEPTH_G;
  double secs;
  int rc = layer_case(big, cfg, l, xin, cot, &one, &x->err);
  if (!rc) rc = bd_run(&ar_path_approx, &one, &o, x->log, &a1, &secs, &x->err);
  if (!rc) rc = bd_run(&ar_path_exact64, &one, &o, x->log, &e1, &secs, &x->err);
  if (!rc) rc = ar_case_bind(&one, "bounds layer case", &c1, &x->err);
  if (rc) goto done;
  const double *fa = data_of(&a1, "act.layers.%d", 0);
  const double *fe = data_of(&e1, "act.layers.%d", 0);
  double nx = norm2(xl, NULL, nd), mx = 0;
  for (int64_t i = 0; i < nd; i++) mx = fmax(mx, fabs(xl[i]));
  v->fresh[l] = norm2(fa, fe, nd) / nx;
  { /* how far the rows are from their mean: pure attention averages rows */
    const int64_t n = cfg->n, d = cfg->d;
    double s = 0;
    for (int64_t c = 0; c < d; c++) {
      double m = 0;
      for (int64_t i = 0; i < n; i++) m += xl[i * d + c];
      m /= (double)n;
      for (int64_t i = 0; i < n; i++)
        s += (xl[i * d + c] - m) * (xl[i * d + c] - m);
    }
    v->spread[l] = sqrt(s) / nx;
  }
  v->prop[l] = norm2(fe, xl, nd) / nx;
  v->amp[l] = l ? norm2(fe, xl, nd) / norm2(xin, xex, nd) : NAN;
  v->eps[l] = bd_meta_layer(&a1, "attnref.approx.eps", 0);
  v->R[l] = bd_meta_layer(&a1, "attnref.approx.radius", 0);
  double allow = bd_rounding_allowance(DEPTH_G, v->R[l]);
  if ((rc = bd_apriori_one_layer(&c1, v->eps[l] * (1 + 1e-6) + allow,
                                 v->R[l] * (1 + 1e-6), &bnd, &x->err)) ||
      (rc = bd_magnitude_one_layer(&c1, v->R[l] * (1 + 1e-6), &mag, &x->err)))
    goto done;
  v->fresh_ratio[l] = 0;
  for (int k = 0; k < BX_NT; k++) {
    double r, bm;
    if (bd_bound_ratio(&e1, &a1, &bnd, &mag, bx_tensor[k],
                       BD_ROUNDING_FLOOR(cfg->n), &r, &bm))
      continue;
    if (!(r <= v->fresh_ratio[l])) v->fresh_ratio[l] = r;
    if (k == 0) {
      v->fresh_bound[l] = bm / mx;
      v->fresh_maxrel[l] = bd_compare(&e1, &a1, bx_tensor[0]).max_abs / mx;
    }
  }
  char what[160];
  snprintf(what, sizeof what, "part 2 %s layer %d (fresh, one-layer bound)",
           v->name, l);
  bx_check(x, what, v->fresh_ratio[l]);
done:
  ar_case_release(&c1);
  ar_tensorset_free(&one);
  ar_tensorset_free(&a1);
  ar_tensorset_free(&e1);
  ar_tensorset_free(&bnd);
  ar_tensorset_free(&mag);
  return rc;
}

/* exp of the least-squares slope of log y against x */
static double growth(const double *xs, const double *ys, int m) {
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  int k = 0;
  for (int i = 0; i < m; i++) {
    if (!(ys[i] > 0) || !isfinite(ys[i])) continue;
    double b = log(ys[i]);
    sx += xs[i], sy += b, sxx += xs[i] * xs[i], sxy += xs[i] * b, k++;
  }
  if (k < 2) return NAN;
  return exp((k * sxy - sx * sy) / (k * sxx - sx * sx));
}

static int variant(bx_ctx *x, bx_depth_variant *v, int64_t n) {
  ar_path_options o;
  ar_path_options_defaults(&o);
  int rc = AR_OK;
  for (int L = 1; L <= v->Lmax && !rc; L++) {
    bd_case_spec s;
    spec_of(&s, v, n, L);
    ar_tensorset cs, truth, apx;
    ar_tensorset_init(&cs);
    ar_tensorset_init(&truth);
    ar_tensorset_init(&apx);
    double secs;
    rc = bd_make_case(&s, &cs, &x->err);
    if (!rc) rc = bd_run(&ar_path_ref, &cs, &o, x->log, &truth, &secs, &x->err);
    v->t_ref += secs;
    ar_path_options oa = o;
    oa.degree = DEPTH_G;
    if (!rc)
      rc = bd_run(&ar_path_approx, &cs, &oa, x->log, &apx, &secs, &x->err);
    if (!rc) {
      for (int l = 0; l < L; l++) {
        char name[64];
        snprintf(name, sizeof name, "act.layers.%d", l);
        v->act[L][l] = bd_compare(&truth, &apx, name).normwise;
        snprintf(name, sizeof name, "grad.act.layers.%d", l);
        v->grad[L][l] = bd_compare(&truth, &apx, name).normwise;
      }
      v->gx[L] = bd_compare(&truth, &apx, "grad.x").normwise;
    }
    if (!rc && L == v->Lmax)
      for (int l = 0; l < L && !rc; l++)
        rc = split_layer(x, v, &cs, &s.cfg, &truth, &apx, l);
    ar_tensorset_free(&cs);
    ar_tensorset_free(&truth);
    ar_tensorset_free(&apx);
    if (!rc)
      bx_note(x, "part 2 %s L=%d: last act err %.2e, grad.x err %.2e", v->name,
              L, v->act[L][L - 1], v->gx[L]);
  }
  if (rc) return rc;
  double xs[BX_LMAX] = {0}, ys[BX_LMAX] = {0};
  int m = 0;
  for (int l = 0; l < v->Lmax; l++) xs[m] = l, ys[m] = v->act[v->Lmax][l], m++;
  v->gamma_fwd = growth(xs, ys, m);
  m = 0; /* backward: distance from the top, the top itself is exact */
  for (int l = v->Lmax - 2; l >= 0; l--)
    xs[m] = v->Lmax - 1 - l, ys[m] = v->grad[v->Lmax][l], m++;
  v->gamma_bwd = growth(xs, ys, m);
  return AR_OK;
}

int bx_part_depth(bx_ctx *x) {
  static const struct {
    const char *name;
    int residual, causal;
    ar_norm norm;
  } V[] = {{"plain", 0, 0, AR_NORM_NONE},
           {"residual+layernorm", 1, 0, AR_NORM_LAYER},
           {"residual+layernorm+causal", 1, 1, AR_NORM_LAYER}};
  const int nv = x->quick ? 2 : 3;
  const int64_t n = x->quick ? 64 : 128;
  for (int i = 0; i < nv; i++) {
    bx_depth_variant *v = &x->depth[i];
    memset(v, 0, sizeof *v);
    v->name = V[i].name, v->residual = V[i].residual;
    v->causal = V[i].causal, v->norm = V[i].norm;
    v->Lmax = x->quick ? 3 : BX_LMAX;
    x->ndepth = i + 1;
    int rc = variant(x, v, n);
    if (rc) return rc;
  }
  return AR_OK;
}
