/* The model's layer loop at one precision: allocation of a run, forward
 * (keeping what backward needs) and backward. */
#include "model.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

double ref_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void ref_progress_say(const ref_progress *pr, const char *fmt, ...) {
  if (!pr) return;
  double t = ref_now() - pr->t0;
  if (!pr->verbose && t <= 2.0) return;
  va_list ap;
  va_start(ap, fmt);
  fputs("ref: ", stderr);
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, ", %.1f s\n", t);
  va_end(ap);
}

/* ---- allocation (also used to count bytes) ------------------------------ */

typedef struct planner {
  ref_run *r;   /* NULL when only counting */
  int64_t bytes; /* -1 once overflowed */
  int oom;
} planner;

static mpmat counting_dummy;

static mpmat *A(planner *pl, int64_t rows, int64_t cols, mpfr_prec_t prec) {
  if (!pl->r) {
    int64_t b = mpmat_bytes(rows, cols, prec);
    if (b < 0 || pl->bytes < 0 || !ar_add_ok(pl->bytes, b, &pl->bytes))
      pl->bytes = -1;
    return &counting_dummy;
  }
  if (pl->oom) return NULL;
  mpmat *m = mpmat_new(&pl->r->arena, rows, cols, prec);
  if (!m) pl->oom = 1;
  return m;
}

static void add_input(planner *pl, ref_input *in, int *nin, const char *name,
                      int ndim, int64_t rows, int64_t cols, const double *src,
                      mpfr_prec_t prec, mpmat **val, mpmat **grad) {
  mpfr_prec_t vprec = prec < 53 ? 53 : prec;
  mpmat *v = A(pl, rows, cols, vprec), *g = A(pl, rows, cols, prec);
  if (val) *val = v;
  if (grad) *grad = g;
  if (!in) return;
  ref_input *e = &in[(*nin)++];
  snprintf(e->name, sizeof e->name, "%s", name);
  e->ndim = ndim;
  e->shape[0] = ndim == 1 ? rows * cols : rows;
  e->shape[1] = cols;
  e->src = src;
  e->val = v;
  e->grad = g;
}

/* Every matrix of a run, in one place: with pl->r == NULL it only counts. */
static void plan(planner *pl, const ar_case *cs, const ar_config *c,
                 mpfr_prec_t prec) {
  ref_run *r = pl->r;
  ref_run scratch_run; /* receives pointers when counting */
  ref_layer scratch_layer;
  if (!r) {
    memset(&scratch_run, 0, sizeof scratch_run);
    r = &scratch_run;
  }
  ref_input *in = pl->r ? r->in : NULL;
  int64_t n = c->n, d = c->d, m = c->mlp, V = c->vocab, H = c->heads;
  int norm = c->norm != AR_NORM_NONE, layer = c->norm == AR_NORM_LAYER;
  char name[64];
  add_input(pl, in, &r->nin, "x", 2, n, d, cs ? cs->x : NULL, prec, &r->x,
            NULL);
  for (int64_t l = 0; l < c->layers; l++) {
    ref_layer *L = pl->r ? &r->layer[l] : &scratch_layer;
    const ar_layer_weights *w = cs ? &cs->layer[l] : NULL;
#define IN(suffix, ndim, rows, cols, field, srcf)                          \
  snprintf(name, sizeof name, "layers.%lld." suffix, (long long)l);        \
  add_input(pl, in, &r->nin, name, ndim, rows, cols, w ? w->srcf : NULL,   \
            prec, &L->p.field, &L->g.field)
    IN("wq", 2, d, d, wq, wq);
    IN("wk", 2, d, d, wk, wk);
    IN("wv", 2, d, d, wv, wv);
    IN("wo", 2, d, d, wo, wo);
    if (norm) {
      IN("norm1.weight", 1, 1, d, n1w, norm1_w);
      if (layer) {
        IN("norm1.bias", 1, 1, d, n1b, norm1_b);
      }
    }
    if (m > 0) {
      if (norm) {
        IN("norm2.weight", 1, 1, d, n2w, norm2_w);
        if (layer) {
          IN("norm2.bias", 1, 1, d, n2b, norm2_b);
        }
      }
      IN("mlp.w1", 2, d, m, w1, w1);
      IN("mlp.b1", 1, 1, m, b1, b1);
      IN("mlp.w2", 2, m, d, w2, w2);
      IN("mlp.b2", 1, 1, d, b2, b2);
    }
#undef IN
    /* saved activations */
    if (norm) {
      L->xn = A(pl, n, d, prec);
      L->xhat1 = A(pl, n, d, prec);
      L->rstd1 = A(pl, n, 1, prec);
    }
    L->q = A(pl, n, d, prec);
    L->k = A(pl, n, d, prec);
    L->u = A(pl, n, d, prec);
    if (pl->r)
      for (int64_t h = 0; h < H; h++) L->f[h] = A(pl, n, n, prec);
    else
      for (int64_t h = 0; h < H; h++) A(pl, n, n, prec);
    L->o = A(pl, n, d, prec);
    L->y = A(pl, n, d, prec);
    if (m > 0) {
      if (norm) {
        L->yn = A(pl, n, d, prec);
        L->xhat2 = A(pl, n, d, prec);
        L->rstd2 = A(pl, n, 1, prec);
      }
      L->hpre = A(pl, n, m, prec);
      L->hact = A(pl, n, m, prec);
      if (c->act == AR_ACT_GELU) L->aux = A(pl, n, m, prec);
      L->out = A(pl, n, d, prec);
    }
    if (pl->r) r->gact[l] = A(pl, n, d, prec);
    else A(pl, n, d, prec);
  }
  if (c->loss == AR_LOSS_MSE)
    add_input(pl, in, &r->nin, "target", 2, n, d, cs ? cs->target : NULL,
              prec, &r->target, NULL);
  else if (c->loss == AR_LOSS_LINEAR)
    add_input(pl, in, &r->nin, "cotangent", 2, n, d,
              cs ? cs->cotangent : NULL, prec, &r->target, NULL);
  else
    add_input(pl, in, &r->nin, "unembed", 2, d, V, cs ? cs->unembed : NULL,
              prec, &r->unembed, NULL);
  r->loss = A(pl, 1, 1, prec);
  if (c->loss == AR_LOSS_MSE) r->ls.diff = A(pl, n, d, prec);
  if (c->loss == AR_LOSS_XENT) {
    r->ls.logits = A(pl, n, V, prec);
    r->ls.e = A(pl, n, V, prec);
    r->ls.s = A(pl, n, 1, prec);
    r->ls.terms = A(pl, 3 * n, 1, prec);
    r->dlogits = A(pl, n, V, prec);
  }
  r->dO = A(pl, n, d, prec);
  r->dQ = A(pl, n, d, prec);
  r->dK = A(pl, n, d, prec);
  r->dU = A(pl, n, d, prec);
  r->dS = A(pl, n, n, prec);
  r->negG = A(pl, n, d, prec);
  if (norm) {
    r->dXn = A(pl, n, d, prec);
    r->g = A(pl, n, d, prec);
  }
  if (m > 0) {
    r->dY = A(pl, n, d, prec);
    r->dHact = A(pl, n, m, prec);
    r->dHpre = A(pl, n, m, prec);
    if (norm) r->dYn = A(pl, n, d, prec);
  }
}

/* Room for the small tables (inputs, layers, head pointers, scratch
 * pointers): a generous bound, counted in ref_run_bytes. */
static int64_t table_bytes(const ar_config *c) {
  int64_t b = 4096, t;
  if (!ar_mul_ok(c->layers, (int64_t)(sizeof(ref_layer) + 13 * sizeof(ref_input) +
                                      sizeof(mpmat *)) + c->heads * 8, &t) ||
      !ar_add_ok(b, t, &b))
    return -1;
  /* mpctx scratch pointers: at most 2 x (3d + 2 + n + V) pointers */
  if (!ar_mul_ok(3 * c->d + c->n + c->vocab + c->mlp + 8, 4 * sizeof(mpfr_ptr), &t) ||
      !ar_add_ok(b, t, &b))
    return -1;
  return b;
}

int64_t ref_run_bytes(const ar_config *c, mpfr_prec_t prec) {
  planner pl = {NULL, 0, 0};
  plan(&pl, NULL, c, prec);
  int64_t t = table_bytes(c);
  if (pl.bytes < 0 || t < 0 || !ar_add_ok(pl.bytes, t, &pl.bytes)) return -1;
  return pl.bytes;
}

void ref_run_free(ref_run *r) {
  if (!r) return;
  mparena_free(&r->arena);
  mpctx_clear(&r->ctx);
  mpfr_clear(r->tau);
  mpfr_clear(r->eps);
  if (r->layer)
    for (int64_t l = 0; l < r->cfg->layers; l++) free(r->layer[l].f);
  free(r->layer);
  free(r->gact);
  free(r->in);
  free(r);
}

ref_input *ref_run_input(ref_run *r, const char *name) {
  for (int i = 0; i < r->nin; i++)
    if (strcmp(r->in[i].name, name) == 0) return &r->in[i];
  return NULL;
}

static int check_finite(const ar_case *cs, const char *name, const double *v,
                        int64_t count, ar_error *err) {
  for (int64_t k = 0; k < count; k++)
    if (!(v[k] - v[k] == 0))
      return ar_fail(err, AR_FAIL_INPUT,
                     "%s: tensor %s: element %lld is %g (inputs must be "
                     "finite)",
                     cs->source ? cs->source : "case", name, (long long)k,
                     v[k]);
  return AR_OK;
}

ref_run *ref_run_new(const ar_case *cs, mpfr_prec_t prec, ar_error *err) {
  const ar_config *c = &cs->cfg;
  const char *src = cs->source ? cs->source : "case";
  if (prec < 2 || prec > MPFR_PREC_MAX) {
    ar_fail(err, AR_FAIL_INPUT, "%s: precision %ld bits out of range", src,
            (long)prec);
    return NULL;
  }
  if (c->n <= 0 || c->d <= 0 || c->heads <= 0 || c->layers <= 0 ||
      c->d % c->heads != 0 || c->mlp < 0 ||
      (c->loss == AR_LOSS_XENT && c->vocab <= 0)) {
    ar_fail(err, AR_FAIL_INPUT, "%s: config sizes are not valid", src);
    return NULL;
  }
  ref_run *r = calloc(1, sizeof *r);
  if (!r) goto oom;
  r->cs = cs;
  r->cfg = c;
  r->prec = prec;
  mparena_init(&r->arena);
  mpctx_init(&r->ctx, prec);
  mpfr_prec_t xprec = prec < 53 ? 53 : prec;
  mpfr_init2(r->tau, xprec);
  mpfr_init2(r->eps, xprec);
  r->layer = calloc((size_t)c->layers, sizeof *r->layer);
  r->gact = calloc((size_t)c->layers, sizeof *r->gact);
  r->in = calloc((size_t)(2 + 12 * c->layers), sizeof *r->in);
  if (!r->layer || !r->gact || !r->in) goto oom;
  for (int64_t l = 0; l < c->layers; l++) {
    r->layer[l].f = calloc((size_t)c->heads, sizeof(mpmat *));
    if (!r->layer[l].f) goto oom;
  }
  planner pl = {r, 0, 0};
  plan(&pl, cs, c, prec);
  if (pl.oom) goto oom;
  /* aliases where a stage is the identity */
  for (int64_t l = 0; l < c->layers; l++) {
    ref_layer *L = &r->layer[l];
    mpmat *X = l == 0 ? r->x : r->layer[l - 1].out;
    if (c->norm == AR_NORM_NONE) L->xn = X;
    if (c->mlp > 0 && c->norm == AR_NORM_NONE) L->yn = L->y;
    if (c->mlp == 0) L->out = L->y;
  }
  /* inputs, exactly */
  for (int i = 0; i < r->nin; i++) {
    ref_input *e = &r->in[i];
    int64_t count = e->val->rows * e->val->cols;
    if (!e->src) {
      ar_fail(err, AR_FAIL_INPUT, "%s: tensor %s is missing", src, e->name);
      goto fail;
    }
    if (check_finite(cs, e->name, e->src, count, err)) goto fail;
    mpmat_set_d(e->val, e->src);
  }
  if (c->loss == AR_LOSS_XENT) {
    if (!cs->labels) {
      ar_fail(err, AR_FAIL_INPUT, "%s: tensor labels is missing", src);
      goto fail;
    }
    for (int64_t i = 0; i < c->n; i++)
      if (cs->labels[i] < 0 || cs->labels[i] >= c->vocab) {
        ar_fail(err, AR_FAIL_INPUT,
                "%s: tensor labels: element %lld is %lld, outside [0, %lld)",
                src, (long long)i, (long long)cs->labels[i],
                (long long)c->vocab);
        goto fail;
      }
  }
  /* tau = scale exactly, or 1/sqrt(d_h) correctly rounded at prec */
  if (c->has_scale) {
    if (check_finite(cs, "scale", &c->scale, 1, err)) goto fail;
    mpfr_set_d(r->tau, c->scale, RND);
  } else {
    mpfr_set_prec(r->tau, prec);
    mpfr_set_si(r->tau, (long)ar_config_head_dim(c), RND);
    ar_ref_cnt.sqrt++;
    mpfr_rec_sqrt(r->tau, r->tau, RND);
  }
  if (check_finite(cs, "norm_eps", &c->norm_eps, 1, err)) goto fail;
  mpfr_set_d(r->eps, c->norm_eps, RND);
  return r;
oom:
  ar_fail(err, AR_FAIL_INTERNAL,
          "%s: out of memory making the %ld-bit MPFR reference", src,
          (long)prec);
fail:
  ref_run_free(r);
  return NULL;
}

static int ctx_ok(ref_run *r, ar_error *err) {
  if (!r->ctx.oom) return AR_OK;
  return ar_fail(err, AR_FAIL_INTERNAL, "%s: out of memory in the reference",
                 r->cs->source ? r->cs->source : "case");
}

/* X (layer input) -> L->out, spec/model.md section 2 */
static void layer_forward(ref_run *r, ref_layer *L, mpmat *X) {
  const ar_config *c = r->cfg;
  mpctx *ctx = &r->ctx;
  int res = c->residual;
  if (c->norm != AR_NORM_NONE)
    norm_forward(ctx, c->norm, r->eps, L->xn, L->xhat1, L->rstd1, X, L->p.n1w,
                 L->p.n1b);
  qkv_forward(ctx, L->q, L->k, L->u, L->xn, L->p.wq, L->p.wk, L->p.wv);
  attention_forward(ctx, L->o, L->f, L->q, L->k, L->u, c->heads, c->causal,
                    r->tau);
  /* Y = [X +] O Wo */
  linear_forward(ctx, L->y, L->o, L->p.wo, NULL, res ? X : NULL);
  if (c->mlp > 0) {
    if (c->norm != AR_NORM_NONE)
      norm_forward(ctx, c->norm, r->eps, L->yn, L->xhat2, L->rstd2, L->y,
                   L->p.n2w, L->p.n2b);
    linear_forward(ctx, L->hpre, L->yn, L->p.w1, L->p.b1, NULL);
    act_forward(ctx, c->act, L->hact, L->aux, L->hpre);
    /* Z = [Y +] act(..) W2 + b2 */
    linear_forward(ctx, L->out, L->hact, L->p.w2, L->p.b2, res ? L->y : NULL);
  }
}

int ref_run_forward(ref_run *r, ar_error *err) {
  return ref_run_forward_from(r, 0, err);
}

int ref_run_forward_from(ref_run *r, int64_t first, ar_error *err) {
  const ar_config *c = r->cfg;
  for (int64_t l = first; l < c->layers; l++) {
    ref_progress_say(r->progress, "layer %lld/%lld forward, %ld bits",
                     (long long)l + 1, (long long)c->layers, (long)r->prec);
    layer_forward(r, &r->layer[l], l == 0 ? r->x : r->layer[l - 1].out);
  }
  loss_forward(&r->ctx, c->loss, r->loss, r->layer[c->layers - 1].out,
               r->target, r->unembed, r->cs->labels, &r->ls);
  return ctx_ok(r, err);
}

/* dOut = dL/d(L->out) -> dX = dL/dX (X the layer input) and the layer's
 * parameter gradients; the reverse of layer_forward, stage by stage. */
static void layer_backward(ref_run *r, ref_layer *L, const mpmat *dOut,
                           mpmat *dX) {
  const ar_config *c = r->cfg;
  mpctx *ctx = &r->ctx;
  int res = c->residual, norm = c->norm != AR_NORM_NONE;
  const mpmat *dY = dOut; /* dL/dY */
  if (c->mlp > 0) {
    /* Z = [Y +] Hact W2 + b2 */
    linear_backward(ctx, dOut, L->hact, L->p.w2, NULL, r->dHact, L->g.w2,
                    L->g.b2);
    act_backward(ctx, c->act, r->dHpre, r->dHact, L->hpre, L->aux);
    /* Hpre = Yn W1 + b1, Yn = Norm2(Y); Y also feeds Z through the residual */
    if (norm) {
      linear_backward(ctx, r->dHpre, L->yn, L->p.w1, NULL, r->dYn, L->g.w1,
                      L->g.b1);
      norm_backward(ctx, c->norm, r->dYn, L->xhat2, L->rstd2, L->p.n2w,
                    res ? dOut : NULL, r->dY, L->g.n2w, L->g.n2b, r->g);
    } else {
      linear_backward(ctx, r->dHpre, L->yn, L->p.w1, res ? dOut : NULL, r->dY,
                      L->g.w1, L->g.b1);
    }
    dY = r->dY;
  }
  /* Y = [X +] O Wo */
  linear_backward(ctx, dY, L->o, L->p.wo, NULL, r->dO, L->g.wo, NULL);
  attention_backward(ctx, r->dQ, r->dK, r->dU, r->dO, L->f, L->o, L->q, L->k,
                     L->u, c->heads, c->causal, r->tau, r->dS, r->negG);
  /* Q, K, U = Xn W*, Xn = Norm1(X); X also feeds Y through the residual */
  if (norm) {
    qkv_backward(ctx, r->dQ, r->dK, r->dU, L->xn, L->p.wq, L->p.wk, L->p.wv,
                 NULL, r->dXn, L->g.wq, L->g.wk, L->g.wv);
    norm_backward(ctx, c->norm, r->dXn, L->xhat1, L->rstd1, L->p.n1w,
                  res ? dY : NULL, dX, L->g.n1w, L->g.n1b, r->g);
  } else {
    qkv_backward(ctx, r->dQ, r->dK, r->dU, L->xn, L->p.wq, L->p.wk, L->p.wv,
                 res ? dY : NULL, dX, L->g.wq, L->g.wk, L->g.wv);
  }
}

int ref_run_backward(ref_run *r, ar_error *err) {
  const ar_config *c = r->cfg;
  int64_t last = c->layers - 1;
  ref_input *tin = r->nin > 0 ? &r->in[r->nin - 1] : NULL; /* loss tensor */
  loss_backward(&r->ctx, c->loss, r->gact[last],
                c->loss == AR_LOSS_XENT ? NULL : tin->grad,
                c->loss == AR_LOSS_XENT ? tin->grad : NULL,
                r->layer[last].out, r->target, r->unembed, r->cs->labels,
                &r->ls, r->dlogits);
  for (int64_t l = last; l >= 0; l--) {
    ref_progress_say(r->progress, "layer %lld/%lld backward, %ld bits",
                     (long long)l + 1, (long long)c->layers, (long)r->prec);
    layer_backward(r, &r->layer[l], r->gact[l],
                   l > 0 ? r->gact[l - 1] : r->in[0].grad);
  }
  return ctx_ok(r, err);
}
