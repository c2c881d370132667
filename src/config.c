/* The model configuration: strict JSON parsing (unknown keys, wrong types and
 * duplicate keys are errors, so a typo can never silently change the model),
 * size validation, and the canonical JSON text written into result files. */
#include "config.h"
#include "printable.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

/* Largest size accepted for any one dimension: far beyond any real model, and
 * small enough that a few products of sizes stay well inside int64. */
#define AR_CONFIG_DIM_MAX ((int64_t)1 << 40)

static const char *const norm_names[] = {"none", "layernorm", "rmsnorm"};
static const char *const act_names[] = {"relu", "gelu"};
static const char *const loss_names[] = {"mse", "linear", "xent"};

const char *ar_norm_name(ar_norm n) { return norm_names[n]; }
const char *ar_act_name(ar_act a) { return act_names[a]; }
const char *ar_loss_name(ar_loss l) { return loss_names[l]; }

void ar_config_defaults(ar_config *c) {
  memset(c, 0, sizeof *c);
  c->causal = 0;
  c->residual = 1;
  c->norm = AR_NORM_NONE;
  c->norm_eps = 1e-5;
  c->mlp = 0;
  c->vocab = 0;
  c->act = AR_ACT_RELU;
  c->loss = AR_LOSS_MSE;
  c->has_scale = 0;
  c->scale = 0.0;
}

/* *out <- item as an integer in [lo, AR_CONFIG_DIM_MAX]; JSON numbers are
 * doubles here, exact for every integer up to 2^53, so the range check is
 * exact too. */
static int get_int(const cJSON *item, const char *where, int64_t lo,
                   int64_t *out, ar_error *err) {
  const char *key = item->string;
  if (!cJSON_IsNumber(item))
    return ar_fail(err, AR_FAIL_INPUT, "%s: config key \"%s\": not a number",
                   where, key);
  double v = item->valuedouble;
  if (!isfinite(v) || v != floor(v))
    return ar_fail(err, AR_FAIL_INPUT,
                   "%s: config key \"%s\": %.17g is not an integer", where, key,
                   v);
  if (v < (double)lo || v > (double)AR_CONFIG_DIM_MAX)
    return ar_fail(err, AR_FAIL_INPUT,
                   "%s: config key \"%s\": %.17g out of range [%lld, 2^40]",
                   where, key, v, (long long)lo);
  *out = (int64_t)v;
  return AR_OK;
}

static int get_bool(const cJSON *item, const char *where, int *out,
                    ar_error *err) {
  if (!cJSON_IsBool(item))
    return ar_fail(err, AR_FAIL_INPUT,
                   "%s: config key \"%s\": expected true or false", where,
                   item->string);
  *out = cJSON_IsTrue(item) ? 1 : 0;
  return AR_OK;
}

/* *out <- index of item's string value in names[0..count). */
static int get_enum(const cJSON *item, const char *where,
                    const char *const *names, int count, int *out,
                    ar_error *err) {
  if (cJSON_IsString(item))
    for (int i = 0; i < count; i++)
      if (strcmp(item->valuestring, names[i]) == 0) {
        *out = i;
        return AR_OK;
      }
  char allowed[128] = "";
  for (int i = 0; i < count; i++) {
    strcat(allowed, i ? "|" : "");
    strcat(allowed, names[i]);
  }
  return ar_fail(err, AR_FAIL_INPUT, "%s: config key \"%s\": expected %s",
                 where, item->string, allowed);
}

static int get_finite(const cJSON *item, const char *where, double *out,
                      ar_error *err) {
  if (!cJSON_IsNumber(item) || !isfinite(item->valuedouble))
    return ar_fail(err, AR_FAIL_INPUT,
                   "%s: config key \"%s\": expected a finite number", where,
                   item->string);
  *out = item->valuedouble;
  return AR_OK;
}

/* Sets the field named by item; an unknown key is an error. */
static int set_key(const cJSON *item, const char *where, ar_config *c,
                   int *seen_required, ar_error *err) {
  const char *k = item->string;
  int e, v;
  if (strcmp(k, "n") == 0) {
    *seen_required |= 1;
    return get_int(item, where, 1, &c->n, err);
  }
  if (strcmp(k, "d") == 0) {
    *seen_required |= 2;
    return get_int(item, where, 1, &c->d, err);
  }
  if (strcmp(k, "heads") == 0) {
    *seen_required |= 4;
    return get_int(item, where, 1, &c->heads, err);
  }
  if (strcmp(k, "layers") == 0) {
    *seen_required |= 8;
    return get_int(item, where, 1, &c->layers, err);
  }
  if (strcmp(k, "mlp") == 0) return get_int(item, where, 0, &c->mlp, err);
  /* vocab 0 is what ar_config_to_json writes for losses that have none. */
  if (strcmp(k, "vocab") == 0) return get_int(item, where, 0, &c->vocab, err);
  if (strcmp(k, "causal") == 0) return get_bool(item, where, &c->causal, err);
  if (strcmp(k, "residual") == 0)
    return get_bool(item, where, &c->residual, err);
  if (strcmp(k, "norm") == 0) {
    if ((e = get_enum(item, where, norm_names, 3, &v, err))) return e;
    c->norm = (ar_norm)v;
    return AR_OK;
  }
  if (strcmp(k, "activation") == 0) {
    if ((e = get_enum(item, where, act_names, 2, &v, err))) return e;
    c->act = (ar_act)v;
    return AR_OK;
  }
  if (strcmp(k, "loss") == 0) {
    if ((e = get_enum(item, where, loss_names, 3, &v, err))) return e;
    c->loss = (ar_loss)v;
    return AR_OK;
  }
  if (strcmp(k, "norm_eps") == 0) {
    if ((e = get_finite(item, where, &c->norm_eps, err))) return e;
    if (!(c->norm_eps > 0))
      return ar_fail(err, AR_FAIL_INPUT,
                     "%s: config key \"norm_eps\": %.17g is not > 0", where,
                     c->norm_eps);
    return AR_OK;
  }
  if (strcmp(k, "scale") == 0) {
    if (cJSON_IsNull(item)) {
      c->has_scale = 0;
      c->scale = 0.0;
      return AR_OK;
    }
    c->has_scale = 1;
    return get_finite(item, where, &c->scale, err);
  }
  char shown[64];
  return ar_fail(err, AR_FAIL_INPUT, "%s: config key \"%s\": unknown key", where,
                 ar_printable(k, shown, sizeof shown));
}

int ar_config_parse(const char *json, const char *where, ar_config *c,
                    ar_error *err) {
  ar_config_defaults(c);
  cJSON *root = cJSON_ParseWithOpts(json, NULL, 1);
  if (!root)
    return ar_fail(err, AR_FAIL_INPUT, "%s: config is not valid JSON", where);
  int rc = AR_OK, seen = 0;
  if (!cJSON_IsObject(root))
    rc = ar_fail(err, AR_FAIL_INPUT, "%s: config is not a JSON object", where);
  for (const cJSON *it = rc ? NULL : root->child; it && !rc; it = it->next) {
    for (const cJSON *prev = root->child; prev != it; prev = prev->next)
      if (strcmp(prev->string, it->string) == 0)
        rc = ar_fail(err, AR_FAIL_INPUT, "%s: config key \"%s\": appears twice",
                     where, it->string);
    if (!rc) rc = set_key(it, where, c, &seen, err);
  }
  cJSON_Delete(root);
  if (rc) return rc;
  static const char *const required[] = {"n", "d", "heads", "layers"};
  for (int i = 0; i < 4; i++)
    if (!(seen & (1 << i)))
      return ar_fail(err, AR_FAIL_INPUT, "%s: config key \"%s\": missing (required)",
                     where, required[i]);
  return ar_config_validate(c, where, err);
}

/* *out <- a*b*c*8 (bytes of a double array of that shape), checked. */
static int bytes_ok(int64_t a, int64_t b, int64_t c, int64_t *out) {
  int64_t t;
  return ar_mul_ok(a, b, &t) && ar_mul_ok(t, c, &t) && ar_mul_ok(t, 8, out);
}

int ar_config_validate(const ar_config *c, const char *where, ar_error *err) {
  const struct {
    const char *name;
    int64_t v, lo;
  } dims[] = {{"n", c->n, 1},     {"d", c->d, 1},     {"heads", c->heads, 1},
              {"layers", c->layers, 1}, {"mlp", c->mlp, 0},
              {"vocab", c->vocab, 0}};
  for (size_t i = 0; i < sizeof dims / sizeof dims[0]; i++)
    if (dims[i].v < dims[i].lo || dims[i].v > AR_CONFIG_DIM_MAX)
      return ar_fail(err, AR_FAIL_INPUT,
                     "%s: config key \"%s\": %lld out of range [%lld, 2^40]", where,
                     dims[i].name, (long long)dims[i].v, (long long)dims[i].lo);
  if (c->d % c->heads != 0)
    return ar_fail(err, AR_FAIL_INPUT,
                   "%s: config: d = %lld is not divisible by heads = %lld",
                   where, (long long)c->d, (long long)c->heads);
  if (c->loss == AR_LOSS_XENT && c->vocab < 1)
    return ar_fail(err, AR_FAIL_INPUT,
                   "%s: config key \"vocab\": loss \"xent\" needs vocab >= 1", where);
  if ((unsigned)c->norm > AR_NORM_RMS || (unsigned)c->act > AR_ACT_GELU ||
      (unsigned)c->loss > AR_LOSS_XENT)
    return ar_fail(err, AR_FAIL_INPUT, "%s: config: bad enum value", where);
  if (!(c->norm_eps > 0) || !isfinite(c->norm_eps))
    return ar_fail(err, AR_FAIL_INPUT, "%s: config: norm_eps must be > 0",
                   where);
  if (c->has_scale && !isfinite(c->scale))
    return ar_fail(err, AR_FAIL_INPUT, "%s: config: scale must be finite",
                   where);
  /* Every array any path holds, in bytes of doubles: activations n*d, weights
   * d*d per layer, the reference's n*n scores per head and layer, MLP and
   * unembedding matrices. */
  const struct {
    const char *what;
    int64_t a, b, c;
  } prods[] = {{"n*d*layers", c->n, c->d, c->layers},
               {"d*d*layers", c->d, c->d, c->layers},
               {"n*n*heads", c->n, c->n, c->heads},
               {"d*mlp*layers", c->d, c->mlp, c->layers},
               {"n*mlp", c->n, c->mlp, 1},
               {"d*vocab", c->d, c->vocab, 1},
               {"n*vocab", c->n, c->vocab, 1}};
  int64_t bytes;
  for (size_t i = 0; i < sizeof prods / sizeof prods[0]; i++)
    if (!bytes_ok(prods[i].a, prods[i].b, prods[i].c, &bytes))
      return ar_fail(err, AR_FAIL_INPUT,
                     "%s: config: %s doubles overflow a 64-bit byte count",
                     where, prods[i].what);
  return AR_OK;
}

/* buf <- the shortest of %.15g..%.17g that reads back as exactly v. */
static void shortest_double(double v, char *buf, size_t n) {
  for (int p = 15; p <= 17; p++) {
    snprintf(buf, n, "%.*g", p, v);
    if (strtod(buf, NULL) == v) return;
  }
}

char *ar_config_to_json(const ar_config *c) {
  char eps[40], scale[40];
  shortest_double(c->norm_eps, eps, sizeof eps);
  if (c->has_scale)
    shortest_double(c->scale, scale, sizeof scale);
  else
    strcpy(scale, "null");
  char *out = malloc(512);
  if (!out) return NULL;
  snprintf(out, 512,
           "{\"n\":%lld,\"d\":%lld,\"heads\":%lld,\"layers\":%lld,"
           "\"causal\":%s,\"residual\":%s,\"norm\":\"%s\",\"norm_eps\":%s,"
           "\"mlp\":%lld,\"activation\":\"%s\",\"loss\":\"%s\","
           "\"vocab\":%lld,\"scale\":%s}",
           (long long)c->n, (long long)c->d, (long long)c->heads,
           (long long)c->layers, c->causal ? "true" : "false",
           c->residual ? "true" : "false", ar_norm_name(c->norm), eps,
           (long long)c->mlp, ar_act_name(c->act), ar_loss_name(c->loss),
           (long long)c->vocab, scale);
  return out;
}
