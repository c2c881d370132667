/* Every op's hand-derived adjoint (ref/ops.h) against MPFR central finite
 * differences at 256 bits: for phi(inputs) = sum_o <C_o, out_o> with random
 * cotangents C_o, each input element's adjoint must equal
 * (phi(x + h e_i) - phi(x - h e_i))/2h, h = 2^-60, to 1e-25 relative
 * (the difference's truncation error is O(h^2) ~ 1e-36). Ops: matmul, linear
 * with bias, residual, Q/K/V projection, layernorm, rmsnorm (plain and with a
 * residual adjoint), attention (1-3 heads, causal and not, default and
 * explicit scale), relu, gelu, and the mse, linear and xent losses. Sizes are
 * drawn from the seeds argv[1] (default 7) .. + argv[2] (default 4 rounds);
 * failures print seed, op and sizes. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ref/ops.h"
#include "tcase.h"
#include "testutil.h"

#define PREC 256
#define HBITS 60

typedef struct opt opt;
struct opt {
  char name[128];
  mpctx c;
  mparena ar;
  int nin, nout;
  mpmat *in[4], *out[4], *cot[4], *grad[4];
  const char *in_name[4];
  void (*fwd)(opt *);
  void (*bwd)(opt *);
  /* op parameters and saved state */
  ar_norm norm;
  ar_act act;
  ar_loss loss;
  int64_t heads;
  int causal;
  mpfr_t tau, eps;
  mpmat *s[8];
  mpmat *F[4];
  int64_t labels[16];
  losssave ls;
};

static uint64_t seed;

static mpmat *mat(opt *o, int64_t r, int64_t c) {
  mpmat *m = mpmat_new(&o->ar, r, c, PREC);
  if (!m) {
    fprintf(stderr, "out of memory\n");
    exit(3);
  }
  return m;
}

static mpmat *rnd(opt *o, trng *g, int64_t r, int64_t c, double scale,
                  double offset) {
  mpmat *m = mat(o, r, c);
  for (int64_t k = 0; k < r * c; k++)
    mpfr_set_d(&m->v[k], offset + scale * trng_unit(g), MPFR_RNDN);
  return m;
}

static void input(opt *o, trng *g, const char *name, int64_t r, int64_t c,
                  double scale, double offset) {
  o->in_name[o->nin] = name;
  o->in[o->nin] = rnd(o, g, r, c, scale, offset);
  o->grad[o->nin] = mat(o, r, c);
  o->nin++;
}

static void output(opt *o, trng *g, int64_t r, int64_t c) {
  o->out[o->nout] = mat(o, r, c);
  o->cot[o->nout] = rnd(o, g, r, c, 1.0, 0.0);
  o->nout++;
}

/* ---- the ops, as forward/backward pairs over in/out/cot/grad ------------ */

static void matmul_f(opt *o) {
  linear_forward(&o->c, o->out[0], o->in[0], o->in[1], NULL, NULL);
}
static void matmul_b(opt *o) {
  linear_backward(&o->c, o->cot[0], o->in[0], o->in[1], NULL, o->grad[0],
                  o->grad[1], NULL);
}
static void bias_f(opt *o) {
  linear_forward(&o->c, o->out[0], o->in[0], o->in[1], o->in[2], NULL);
}
static void bias_b(opt *o) {
  linear_backward(&o->c, o->cot[0], o->in[0], o->in[1], NULL, o->grad[0],
                  o->grad[1], o->grad[2]);
}
/* Y = X + X W: the residual's adjoint enters as dres */
static void resid_f(opt *o) {
  linear_forward(&o->c, o->out[0], o->in[0], o->in[1], NULL, o->in[0]);
}
static void resid_b(opt *o) {
  linear_backward(&o->c, o->cot[0], o->in[0], o->in[1], o->cot[0],
                  o->grad[0], o->grad[1], NULL);
}
static void qkv_f(opt *o) {
  qkv_forward(&o->c, o->out[0], o->out[1], o->out[2], o->in[0], o->in[1],
              o->in[2], o->in[3]);
}
static void qkv_b(opt *o) {
  qkv_backward(&o->c, o->cot[0], o->cot[1], o->cot[2], o->in[0], o->in[1],
               o->in[2], o->in[3], NULL, o->grad[0], o->grad[1], o->grad[2],
               o->grad[3]);
}
/* s[0] xhat, s[1] rstd, s[2] g scratch, s[3] Norm(X) when residual */
static void norm_f(opt *o) {
  const mpmat *beta = o->norm == AR_NORM_LAYER ? o->in[2] : NULL;
  if (!o->s[3]) {
    norm_forward(&o->c, o->norm, o->eps, o->out[0], o->s[0], o->s[1],
                 o->in[0], o->in[1], beta);
    return;
  }
  /* Y = X + Norm(X) */
  norm_forward(&o->c, o->norm, o->eps, o->s[3], o->s[0], o->s[1], o->in[0],
               o->in[1], beta);
  for (int64_t k = 0; k < o->in[0]->rows * o->in[0]->cols; k++)
    mpfr_add(&o->out[0]->v[k], &o->in[0]->v[k], &o->s[3]->v[k], MPFR_RNDN);
}
static void norm_b(opt *o) {
  norm_backward(&o->c, o->norm, o->cot[0], o->s[0], o->s[1], o->in[1],
                o->s[3] ? o->cot[0] : NULL, o->grad[0], o->grad[1],
                o->norm == AR_NORM_LAYER ? o->grad[2] : NULL, o->s[2]);
}
/* s[0] dS, s[1] negG */
static void attn_f(opt *o) {
  attention_forward(&o->c, o->out[0], o->F, o->in[0], o->in[1], o->in[2],
                    o->heads, o->causal, o->tau);
}
static void attn_b(opt *o) {
  attention_backward(&o->c, o->grad[0], o->grad[1], o->grad[2], o->cot[0],
                     o->F, o->out[0], o->in[0], o->in[1], o->in[2], o->heads,
                     o->causal, o->tau, o->s[0], o->s[1]);
}
/* s[0] aux */
static void act_f(opt *o) {
  act_forward(&o->c, o->act, o->out[0], o->s[0], o->in[0]);
}
static void act_b(opt *o) {
  act_backward(&o->c, o->act, o->grad[0], o->cot[0], o->in[0], o->s[0]);
}
/* s[0] dlogits; the loss's cotangent scales dX, dT, dWu */
static void loss_f(opt *o) {
  loss_forward(&o->c, o->loss, o->out[0], o->in[0],
               o->loss == AR_LOSS_XENT ? NULL : o->in[1],
               o->loss == AR_LOSS_XENT ? o->in[1] : NULL, o->labels, &o->ls);
}
static void loss_b(opt *o) {
  mpfr_srcptr w = &o->cot[0]->v[0];
  int xent = o->loss == AR_LOSS_XENT;
  loss_backward(&o->c, o->loss, o->grad[0], xent ? NULL : o->grad[1],
                xent ? o->grad[1] : NULL, o->in[0], xent ? NULL : o->in[1],
                xent ? o->in[1] : NULL, o->labels, &o->ls, o->s[0]);
  for (int t = 0; t < 2; t++)
    for (int64_t k = 0; k < o->grad[t]->rows * o->grad[t]->cols; k++)
      mpfr_mul(&o->grad[t]->v[k], &o->grad[t]->v[k], w, MPFR_RNDN);
}

/* ---- finite differences --------------------------------------------------- */

/* phi = sum_o <C_o, out_o> */
static void phi(opt *o, mpfr_ptr r) {
  mpfr_t t;
  mpfr_init2(t, PREC);
  mpfr_set_zero(r, 1);
  for (int q = 0; q < o->nout; q++) {
    int64_t cnt = o->out[q]->rows * o->out[q]->cols;
    mpfr_dot(t, o->out[q]->p, o->cot[q]->p, (unsigned long)cnt, MPFR_RNDN);
    mpfr_add(r, r, t, MPFR_RNDN);
  }
  mpfr_clear(t);
}

static void check_op(opt *o) {
  o->fwd(o);
  o->bwd(o);
  mpfr_t v0, h, pp, pm, fd, diff, tol, worst;
  mpfr_inits2(PREC, v0, h, pp, pm, fd, diff, tol, worst, (mpfr_ptr)0);
  mpfr_set_ui_2exp(h, 1, -HBITS, MPFR_RNDN);
  mpfr_set_zero(worst, 1);
  int bad = 0;
  long count = 0;
  for (int t = 0; t < o->nin; t++) {
    mpmat *x = o->in[t];
    for (int64_t k = 0; k < x->rows * x->cols; k++) {
      mpfr_ptr v = &x->v[k];
      mpfr_set(v0, v, MPFR_RNDN);
      mpfr_add(v, v0, h, MPFR_RNDN); /* exact */
      o->fwd(o);
      phi(o, pp);
      mpfr_sub(v, v0, h, MPFR_RNDN);
      o->fwd(o);
      phi(o, pm);
      mpfr_set(v, v0, MPFR_RNDN);
      mpfr_sub(fd, pp, pm, MPFR_RNDN);
      mpfr_mul_2si(fd, fd, HBITS - 1, MPFR_RNDN);
      mpfr_srcptr g = &o->grad[t]->v[k];
      /* |fd - g| <= 1e-25 max(1, |g|) */
      mpfr_sub(diff, fd, g, MPFR_RNDN);
      mpfr_abs(diff, diff, MPFR_RNDN);
      mpfr_abs(tol, g, MPFR_RNDN);
      if (mpfr_cmp_ui(tol, 1) < 0) mpfr_set_ui(tol, 1, MPFR_RNDN);
      mpfr_div(tol, diff, tol, MPFR_RNDN);
      if (mpfr_cmp(tol, worst) > 0) mpfr_set(worst, tol, MPFR_RNDN);
      count++;
      if (mpfr_cmp_d(tol, 1e-25) > 0 && bad++ < 5)
        mpfr_fprintf(stderr,
                     "FAIL %s: d/d%s[%lld]: adjoint %.30Rg, finite "
                     "difference %.30Rg\n  seed %llu\n",
                     o->name, o->in_name[t], (long long)k, g, fd,
                     (unsigned long long)seed);
    }
  }
  mpfr_printf("%s %-58s %4ld entries, worst relative error %.2Rg\n",
              bad ? "FAIL" : "ok  ", o->name, count, worst);
  if (bad) t_failures++;
  mpfr_clears(v0, h, pp, pm, fd, diff, tol, worst, (mpfr_ptr)0);
}

static void op_begin(opt *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void op_begin(opt *o, const char *fmt, ...) {
  memset(o, 0, sizeof *o);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(o->name, sizeof o->name, fmt, ap);
  va_end(ap);
  mpctx_init(&o->c, PREC);
  mparena_init(&o->ar);
  mpfr_inits2(PREC, o->tau, o->eps, (mpfr_ptr)0);
}

static void op_end(opt *o) {
  check_op(o);
  mpfr_clears(o->tau, o->eps, (mpfr_ptr)0);
  mpctx_clear(&o->c);
  mparena_free(&o->ar);
}

static int64_t between(trng *g, int64_t lo, int64_t hi) {
  return lo + (int64_t)(trng_next(g) % (uint64_t)(hi - lo + 1));
}

/* every op once, sizes drawn from seed */
static void all_ops(void) {
  trng g = {seed};
  opt o;
  int64_t n = between(&g, 3, 6), d = between(&g, 2, 5), m = between(&g, 2, 6);

  op_begin(&o, "matmul n=%lld k=%lld c=%lld", (long long)n, (long long)d,
           (long long)m);
  input(&o, &g, "X", n, d, 1, 0);
  input(&o, &g, "W", d, m, 1, 0);
  output(&o, &g, n, m);
  o.fwd = matmul_f, o.bwd = matmul_b;
  op_end(&o);

  op_begin(&o, "linear+bias n=%lld k=%lld c=%lld", (long long)n, (long long)d,
           (long long)m);
  input(&o, &g, "X", n, d, 1, 0);
  input(&o, &g, "W", d, m, 1, 0);
  input(&o, &g, "b", 1, m, 1, 0);
  output(&o, &g, n, m);
  o.fwd = bias_f, o.bwd = bias_b;
  op_end(&o);

  op_begin(&o, "residual Y=X+XW n=%lld d=%lld", (long long)n, (long long)d);
  input(&o, &g, "X", n, d, 1, 0);
  input(&o, &g, "W", d, d, 1, 0);
  output(&o, &g, n, d);
  o.fwd = resid_f, o.bwd = resid_b;
  op_end(&o);

  op_begin(&o, "qkv n=%lld d=%lld", (long long)n, (long long)d);
  input(&o, &g, "Xn", n, d, 1, 0);
  input(&o, &g, "Wq", d, d, 1, 0);
  input(&o, &g, "Wk", d, d, 1, 0);
  input(&o, &g, "Wv", d, d, 1, 0);
  for (int q = 0; q < 3; q++) output(&o, &g, n, d);
  o.fwd = qkv_f, o.bwd = qkv_b;
  op_end(&o);

  for (int res = 0; res < 2; res++)
    for (int kind = 0; kind < 2; kind++) {
      ar_norm nk = kind ? AR_NORM_RMS : AR_NORM_LAYER;
      op_begin(&o, "%s%s n=%lld d=%lld eps=1e-5", ar_norm_name(nk),
               res ? " with residual Y=X+Norm(X)" : "", (long long)n,
               (long long)d + 1);
      o.norm = nk;
      mpfr_set_d(o.eps, 1e-5, MPFR_RNDN);
      input(&o, &g, "X", n, d + 1, 2, 0.3);
      input(&o, &g, "gamma", 1, d + 1, 0.5, 1);
      if (nk == AR_NORM_LAYER) input(&o, &g, "beta", 1, d + 1, 0.5, 0);
      output(&o, &g, n, d + 1);
      o.s[0] = mat(&o, n, d + 1);
      o.s[1] = mat(&o, n, 1);
      o.s[2] = mat(&o, n, d + 1);
      if (res) o.s[3] = mat(&o, n, d + 1);
      o.fwd = norm_f, o.bwd = norm_b;
      op_end(&o);
    }

  /* attention: heads, causal, explicit scale (0 = default 1/sqrt(dh)) */
  const struct {
    int64_t heads;
    int causal;
    double scale;
  } at[] = {{1, 0, 0}, {1, 1, 0}, {2, 1, 0}, {2, 0, 0.8}, {3, 1, 1.7},
            {3, 0, 0}};
  for (size_t a = 0; a < sizeof at / sizeof at[0]; a++) {
    int64_t H = at[a].heads, dh = between(&g, 1, 3), D = H * dh;
    op_begin(&o, "attention heads=%lld %s scale=%s n=%lld d=%lld",
             (long long)H, at[a].causal ? "causal" : "full",
             at[a].scale ? "explicit" : "default", (long long)n,
             (long long)D);
    o.heads = H;
    o.causal = at[a].causal;
    if (at[a].scale)
      mpfr_set_d(o.tau, at[a].scale, MPFR_RNDN);
    else {
      mpfr_set_si(o.tau, (long)dh, MPFR_RNDN);
      mpfr_rec_sqrt(o.tau, o.tau, MPFR_RNDN);
    }
    input(&o, &g, "Q", n, D, 1.5, 0);
    input(&o, &g, "K", n, D, 1.5, 0);
    input(&o, &g, "U", n, D, 1, 0);
    output(&o, &g, n, D);
    for (int64_t h = 0; h < H; h++) o.F[h] = mat(&o, n, n);
    o.s[0] = mat(&o, n, n);
    o.s[1] = mat(&o, n, D);
    o.fwd = attn_f, o.bwd = attn_b;
    op_end(&o);
  }

  for (int a = 0; a < 2; a++) {
    ar_act act = a ? AR_ACT_GELU : AR_ACT_RELU;
    op_begin(&o, "%s n=%lld m=%lld", ar_act_name(act), (long long)n,
             (long long)m);
    o.act = act;
    input(&o, &g, "H", n, m, 3, 0);
    output(&o, &g, n, m);
    o.s[0] = mat(&o, n, m);
    o.fwd = act_f, o.bwd = act_b;
    op_end(&o);
  }

  for (int l = 0; l < 3; l++) {
    ar_loss loss = l == 0 ? AR_LOSS_MSE : l == 1 ? AR_LOSS_LINEAR : AR_LOSS_XENT;
    int64_t V = between(&g, 2, 5);
    op_begin(&o, "loss %s n=%lld d=%lld V=%lld", ar_loss_name(loss),
             (long long)n, (long long)d, (long long)V);
    o.loss = loss;
    input(&o, &g, "X", n, d, 1, 0);
    if (loss == AR_LOSS_XENT) {
      input(&o, &g, "Wu", d, V, 2, 0);
      for (int64_t i = 0; i < n; i++)
        o.labels[i] = (int64_t)(trng_next(&g) % (uint64_t)V);
      o.ls.logits = mat(&o, n, V);
      o.ls.e = mat(&o, n, V);
      o.ls.s = mat(&o, n, 1);
      o.ls.terms = mat(&o, 3 * n, 1);
      o.s[0] = mat(&o, n, V);
    } else {
      input(&o, &g, loss == AR_LOSS_MSE ? "target" : "cotangent", n, d, 1, 0);
      if (loss == AR_LOSS_MSE) o.ls.diff = mat(&o, n, d);
    }
    output(&o, &g, 1, 1);
    o.fwd = loss_f, o.bwd = loss_b;
    op_end(&o);
  }

}

int main(int argc, char **argv) {
  uint64_t first = argc > 1 ? strtoull(argv[1], NULL, 0) : 7;
  int rounds = argc > 2 ? atoi(argv[2]) : 4;
  for (int r = 0; r < rounds; r++) {
    seed = first + (uint64_t)r;
    printf("seed %llu\n", (unsigned long long)seed);
    all_ops();
  }
  printf("%d op checks failed\n", t_failures);
  return t_failures ? 1 : 0;
}
