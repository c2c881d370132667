/* The model configuration of spec/formats.md: a JSON object kept in a case
 * file's __metadata__ under "attnref.config". */
#ifndef ATTNREF_CONFIG_H
#define ATTNREF_CONFIG_H

#include <stdint.h>

#include "error.h"

typedef enum { AR_NORM_NONE, AR_NORM_LAYER, AR_NORM_RMS } ar_norm;
typedef enum { AR_ACT_RELU, AR_ACT_GELU } ar_act;
typedef enum { AR_LOSS_MSE, AR_LOSS_LINEAR, AR_LOSS_XENT } ar_loss;

typedef struct ar_config {
  int64_t n, d, heads, layers; /* required */
  int64_t mlp;                 /* MLP width m; 0 = no MLP */
  int64_t vocab;               /* V, required (and only used) for xent */
  int causal, residual;
  ar_norm norm;
  double norm_eps; /* used exactly as this double */
  ar_act act;
  ar_loss loss;
  int has_scale; /* 0: tau is exactly 1/sqrt(d_h), computed at working precision */
  double scale;  /* tau when has_scale */
} ar_config;

#define AR_CONFIG_KEY "attnref.config"

/* Fills defaults (spec/formats.md): causal false, residual true, norm none,
 * norm_eps 1e-5, mlp 0, activation relu, loss mse, scale null. */
void ar_config_defaults(ar_config *c);

/* Parses and validates a config JSON text; `where` names its source in
 * messages (a file name or "--config"). Unknown keys are an error. */
int ar_config_parse(const char *json, const char *where, ar_config *c,
                    ar_error *err);

/* Checks sizes: positive, d % heads == 0, vocab for xent, products of sizes
 * fit in int64 with room to spare. */
int ar_config_validate(const ar_config *c, const char *where, ar_error *err);

/* Canonical JSON text of c (every key written); malloc'd, NULL on OOM. */
char *ar_config_to_json(const ar_config *c);

static inline int64_t ar_config_head_dim(const ar_config *c) {
  return c->d / c->heads;
}

const char *ar_norm_name(ar_norm n);
const char *ar_act_name(ar_act a);
const char *ar_loss_name(ar_loss l);

#endif
