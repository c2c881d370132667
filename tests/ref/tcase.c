/* Random cases built from arrays, for the ref tests. */
#include "tcase.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

uint64_t trng_next(trng *r) { return t_rand(&r->s); }

double trng_unit(trng *r) {
  return (double)(trng_next(r) >> 11) * 0x1p-52 - 1.0;
}

static double *arr(tcase *t, trng *r, int64_t count, double scale,
                   double offset) {
  double *a = malloc((size_t)count * sizeof *a);
  if (!a) return NULL;
  for (int64_t k = 0; k < count; k++) a[k] = offset + scale * trng_unit(r);
  t->buf[t->nbuf++] = a;
  return a;
}

int tcase_make(tcase *t, const ar_config *cfg, uint64_t seed,
               const char *source) {
  memset(t, 0, sizeof *t);
  trng r = {seed};
  int64_t n = cfg->n, d = cfg->d, m = cfg->mlp, V = cfg->vocab;
  double ws = 1.0 / sqrt((double)d);
  t->c.cfg = *cfg;
  t->c.source = source;
  t->c.x = arr(t, &r, n * d, 1.0, 0.0);
  t->c.layer = calloc((size_t)cfg->layers, sizeof *t->c.layer);
  if (!t->c.layer) return -1;
  for (int64_t l = 0; l < cfg->layers; l++) {
    ar_layer_weights *w = &t->c.layer[l];
    w->wq = arr(t, &r, d * d, 2 * ws, 0.0);
    w->wk = arr(t, &r, d * d, 2 * ws, 0.0);
    w->wv = arr(t, &r, d * d, ws, 0.0);
    w->wo = arr(t, &r, d * d, ws, 0.0);
    if (cfg->norm != AR_NORM_NONE) {
      w->norm1_w = arr(t, &r, d, 0.5, 1.0);
      if (cfg->norm == AR_NORM_LAYER) w->norm1_b = arr(t, &r, d, 0.5, 0.0);
      if (m > 0) {
        w->norm2_w = arr(t, &r, d, 0.5, 1.0);
        if (cfg->norm == AR_NORM_LAYER) w->norm2_b = arr(t, &r, d, 0.5, 0.0);
      }
    }
    if (m > 0) {
      w->w1 = arr(t, &r, d * m, ws, 0.0);
      w->b1 = arr(t, &r, m, 0.5, 0.0);
      w->w2 = arr(t, &r, m * d, 1.0 / sqrt((double)m), 0.0);
      w->b2 = arr(t, &r, d, 0.5, 0.0);
    }
  }
  if (cfg->loss == AR_LOSS_MSE) t->c.target = arr(t, &r, n * d, 1.0, 0.0);
  if (cfg->loss == AR_LOSS_LINEAR) t->c.cotangent = arr(t, &r, n * d, 1.0, 0.0);
  if (cfg->loss == AR_LOSS_XENT) {
    t->c.unembed = arr(t, &r, d * V, 1.0, 0.0);
    t->labels = malloc((size_t)n * sizeof *t->labels);
    if (!t->labels) return -1;
    for (int64_t i = 0; i < n; i++)
      t->labels[i] = (int64_t)(trng_next(&r) % (uint64_t)V);
    t->c.labels = t->labels;
  }
  for (int k = 0; k < t->nbuf; k++)
    if (!t->buf[k]) return -1;
  return 0;
}

void tcase_free(tcase *t) {
  for (int k = 0; k < t->nbuf; k++) free(t->buf[k]);
  free(t->c.layer);
  free(t->labels);
  memset(t, 0, sizeof *t);
}

ar_config tcase_config(int64_t n, int64_t d, int64_t heads, int64_t layers,
                       int causal, int residual, ar_norm norm, int64_t mlp,
                       ar_act act, ar_loss loss, int64_t vocab, double scale) {
  ar_config c;
  ar_config_defaults(&c);
  c.n = n, c.d = d, c.heads = heads, c.layers = layers, c.causal = causal;
  c.residual = residual, c.norm = norm, c.mlp = mlp, c.act = act;
  c.loss = loss, c.vocab = vocab;
  c.has_scale = scale != 0;
  c.scale = scale;
  return c;
}

const char *tcase_describe(const ar_config *c, char *buf, int size) {
  char scale[32] = "null";
  if (c->has_scale) snprintf(scale, sizeof scale, "%.17g", c->scale);
  snprintf(buf, (size_t)size,
           "n=%lld d=%lld heads=%lld layers=%lld causal=%d residual=%d "
           "norm=%s mlp=%lld act=%s loss=%s vocab=%lld scale=%s",
           (long long)c->n, (long long)c->d, (long long)c->heads,
           (long long)c->layers, c->causal, c->residual, ar_norm_name(c->norm),
           (long long)c->mlp, ar_act_name(c->act), ar_loss_name(c->loss),
           (long long)c->vocab, scale);
  return buf;
}
