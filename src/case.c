/* A case file's tensors bound to its config: which tensors a config needs,
 * their shapes, and the checks that a file holds exactly those (a misspelt
 * name is an error, never silently ignored). */
#include "case.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "printable.h"

/* Per-layer tensors in the canonical order of spec/formats.md section 4 (the
 * order of the forward pass: Norm2 feeds the MLP); `need` says when a config
 * has one. */
enum { NEED_NORM = 1, NEED_LAYERNORM = 2, NEED_MLP = 4 };
enum { SHAPE_DD, SHAPE_D, SHAPE_DM, SHAPE_M, SHAPE_MD };
static const struct {
  const char *suffix;
  int need, shape;
} layer_items[] = {
    {"wq", 0, SHAPE_DD},
    {"wk", 0, SHAPE_DD},
    {"wv", 0, SHAPE_DD},
    {"wo", 0, SHAPE_DD},
    {"norm1.weight", NEED_NORM, SHAPE_D},
    {"norm1.bias", NEED_NORM | NEED_LAYERNORM, SHAPE_D},
    {"norm2.weight", NEED_MLP | NEED_NORM, SHAPE_D},
    {"norm2.bias", NEED_MLP | NEED_NORM | NEED_LAYERNORM, SHAPE_D},
    {"mlp.w1", NEED_MLP, SHAPE_DM},
    {"mlp.b1", NEED_MLP, SHAPE_M},
    {"mlp.w2", NEED_MLP, SHAPE_MD},
    {"mlp.b2", NEED_MLP, SHAPE_D},
};
#define N_LAYER_ITEMS ((int)(sizeof layer_items / sizeof layer_items[0]))

static int has_item(const ar_config *c, int i) {
  int need = layer_items[i].need;
  return (!(need & NEED_NORM) || c->norm != AR_NORM_NONE) &&
         (!(need & NEED_LAYERNORM) || c->norm == AR_NORM_LAYER) &&
         (!(need & NEED_MLP) || c->mlp > 0);
}

static int layer_item_count(const ar_config *c) {
  int k = 0;
  for (int i = 0; i < N_LAYER_ITEMS; i++) k += has_item(c, i);
  return k;
}

static int loss_names(const ar_config *c, const char **names) {
  switch (c->loss) {
    case AR_LOSS_MSE: names[0] = "target"; return 1;
    case AR_LOSS_LINEAR: names[0] = "cotangent"; return 1;
    case AR_LOSS_XENT: names[0] = "unembed"; names[1] = "labels"; return 2;
  }
  return 0;
}

/* More input tensors than any real model has; a config asking for more
 * (layers up to 2^40 pass validation) would only exhaust memory on names. */
#define MAX_INPUTS (1 << 24)

/* Number of input tensors; -1 if over MAX_INPUTS. */
static int64_t input_count(const ar_config *c) {
  const char *loss[2];
  int64_t per_layer = layer_item_count(c), n;
  if (!ar_mul_ok(c->layers, per_layer, &n) ||
      !ar_add_ok(n, 1 + loss_names(c, loss), &n) || n > MAX_INPUTS)
    return -1;
  return n;
}

/* buf <- the i-th input name (0 <= i < input_count). */
static void input_name(const ar_config *c, int64_t i, char *buf, size_t n) {
  const char *loss[2];
  int64_t per_layer = layer_item_count(c);
  if (i == 0) {
    snprintf(buf, n, "x");
    return;
  }
  i -= 1;
  if (i >= c->layers * per_layer) {
    loss_names(c, loss);
    snprintf(buf, n, "%s", loss[i - c->layers * per_layer]);
    return;
  }
  int64_t l = i / per_layer, k = i % per_layer;
  for (int j = 0; j < N_LAYER_ITEMS; j++)
    if (has_item(c, j) && k-- == 0) {
      snprintf(buf, n, "layers.%lld.%s", (long long)l, layer_items[j].suffix);
      return;
    }
}

int ar_case_input_names(const ar_config *c, char ***names, ar_error *err) {
  *names = NULL;
  int64_t count = input_count(c);
  if (count < 0)
    return ar_fail(err, AR_FAIL_INPUT,
                   "config: %lld layers need more than %d input tensors",
                   (long long)c->layers, MAX_INPUTS), -1;
  char **v = calloc((size_t)count, sizeof *v);
  if (!v) return ar_fail(err, AR_FAIL_INTERNAL, "out of memory"), -1;
  for (int64_t i = 0; i < count; i++) {
    char buf[80];
    input_name(c, i, buf, sizeof buf);
    if (!(v[i] = strdup(buf))) {
      ar_names_free(v, (int)i);
      return ar_fail(err, AR_FAIL_INTERNAL, "out of memory"), -1;
    }
  }
  *names = v;
  return (int)count;
}

void ar_names_free(char **names, int count) {
  for (int i = 0; names && i < count; i++) free(names[i]);
  free(names);
}

/* *l <- the layer index written at p in decimal without leading zeros;
 * returns the text after it, NULL if none. */
static const char *parse_layer(const char *p, int64_t layers, int64_t *l) {
  if (*p < '0' || *p > '9' || (p[0] == '0' && p[1] >= '0' && p[1] <= '9'))
    return NULL;
  int64_t v = 0;
  for (; *p >= '0' && *p <= '9'; p++) {
    v = v * 10 + (*p - '0');
    if (v >= layers) return NULL;
  }
  *l = v;
  return p;
}

int ar_case_input_shape(const ar_config *c, const char *name, int64_t *dims) {
  const char *loss[2];
  int nloss = loss_names(c, loss);
  if (strcmp(name, "x") == 0) {
    dims[0] = c->n, dims[1] = c->d;
    return 2;
  }
  for (int i = 0; i < nloss; i++)
    if (strcmp(name, loss[i]) == 0) {
      if (strcmp(name, "labels") == 0) {
        dims[0] = c->n;
        return 1;
      }
      dims[0] = strcmp(name, "unembed") == 0 ? c->d : c->n;
      dims[1] = strcmp(name, "unembed") == 0 ? c->vocab : c->d;
      return 2;
    }
  int64_t l;
  if (strncmp(name, "layers.", 7) != 0) return -1;
  const char *rest = parse_layer(name + 7, c->layers, &l);
  if (!rest || *rest != '.') return -1;
  for (int i = 0; i < N_LAYER_ITEMS; i++)
    if (has_item(c, i) && strcmp(rest + 1, layer_items[i].suffix) == 0) {
      switch (layer_items[i].shape) {
        case SHAPE_DD: dims[0] = c->d, dims[1] = c->d; return 2;
        case SHAPE_D: dims[0] = c->d; return 1;
        case SHAPE_DM: dims[0] = c->d, dims[1] = c->mlp; return 2;
        case SHAPE_M: dims[0] = c->mlp; return 1;
        case SHAPE_MD: dims[0] = c->mlp, dims[1] = c->d; return 2;
      }
    }
  return -1;
}

/* One tensor against its expected name, shape and dtype (and label range). */
static int check_tensor(const ar_config *cfg, const ar_tensor *t,
                        const char *source, ar_error *err) {
  char shown[160], have[128], want[128];
  const char *name = ar_printable(t->name, shown, sizeof shown);
  ar_tensor expect = {.ndim = 0};
  expect.ndim = ar_case_input_shape(cfg, t->name, expect.shape);
  if (expect.ndim < 0)
    return ar_fail(err, AR_FAIL_INPUT, "%s: unexpected tensor %s", source,
                   name);
  int same = expect.ndim == t->ndim;
  for (int i = 0; same && i < t->ndim; i++) same = expect.shape[i] == t->shape[i];
  if (!same)
    return ar_fail(err, AR_FAIL_INPUT, "%s: tensor %s: shape %s, expected %s",
                   source, name, ar_shape_str(t, have, sizeof have),
                   ar_shape_str(&expect, want, sizeof want));
  int is_labels = strcmp(t->name, "labels") == 0;
  if (is_labels && t->dtype != AR_I64)
    return ar_fail(err, AR_FAIL_INPUT, "%s: tensor %s: dtype %s, expected I64",
                   source, name, ar_dtype_name(t->dtype));
  if (!is_labels && !ar_dtype_is_float(t->dtype))
    return ar_fail(err, AR_FAIL_INPUT,
                   "%s: tensor %s: dtype %s, expected F64, F32, F16 or BF16",
                   source, name, ar_dtype_name(t->dtype));
  for (int64_t i = 0; is_labels && i < t->numel; i++)
    if (t->idata[i] < 0 || t->idata[i] >= cfg->vocab)
      return ar_fail(err, AR_FAIL_INPUT,
                     "%s: tensor %s: element %lld = %lld is out of range "
                     "[0, %lld)",
                     source, name, (long long)i, (long long)t->idata[i],
                     (long long)cfg->vocab);
  return AR_OK;
}

static int by_name(const void *a, const void *b) {
  return strcmp((*(const ar_tensor *const *)a)->name,
                (*(const ar_tensor *const *)b)->name);
}

/* The tensor called name in the sorted index, or NULL. */
static const ar_tensor *lookup(const ar_tensor *const *index, size_t n,
                               const char *name) {
  ar_tensor key = {.name = (char *)name};
  const ar_tensor *kp = &key;
  const ar_tensor *const *hit = bsearch(&kp, index, n, sizeof *index, by_name);
  return hit ? *hit : NULL;
}

static const double *data_of(const ar_tensor *const *index, size_t n,
                             const char *name) {
  const ar_tensor *t = lookup(index, n, name);
  return t ? t->data : NULL;
}

/* c->layer[l] and the loss pointers <- the (checked, present) tensors. */
static int fill(ar_case *c, const ar_tensor *const *index, size_t n,
                ar_error *err) {
  c->layer = calloc((size_t)c->cfg.layers, sizeof *c->layer);
  if (!c->layer) return ar_fail(err, AR_FAIL_INTERNAL, "out of memory");
  c->x = data_of(index, n, "x");
  for (int64_t l = 0; l < c->cfg.layers; l++) {
    ar_layer_weights *w = &c->layer[l];
    const double **slot[N_LAYER_ITEMS] = {
        &w->wq, &w->wk, &w->wv, &w->wo, &w->norm1_w, &w->norm1_b,
        &w->norm2_w, &w->norm2_b, &w->w1, &w->b1, &w->w2, &w->b2};
    for (int i = 0; i < N_LAYER_ITEMS; i++) {
      char name[80];
      snprintf(name, sizeof name, "layers.%lld.%s", (long long)l,
               layer_items[i].suffix);
      *slot[i] = has_item(&c->cfg, i) ? data_of(index, n, name) : NULL;
    }
  }
  c->target = data_of(index, n, "target");
  c->cotangent = data_of(index, n, "cotangent");
  c->unembed = data_of(index, n, "unembed");
  const ar_tensor *labels = lookup(index, n, "labels");
  c->labels = labels ? labels->idata : NULL;
  return AR_OK;
}

int ar_case_bind(const ar_tensorset *s, const char *source, ar_case *c,
                 ar_error *err) {
  memset(c, 0, sizeof *c);
  c->source = source;
  c->tensors = s;
  const char *json = ar_tensorset_get_meta(s, AR_CONFIG_KEY);
  if (!json)
    return ar_fail(err, AR_FAIL_INPUT,
                   "%s: no \"%s\" in the header's __metadata__ (not a case "
                   "file?)",
                   source, AR_CONFIG_KEY);
  int rc = ar_config_parse(json, source, &c->cfg, err);
  for (size_t i = 0; !rc && i < s->count; i++)
    rc = check_tensor(&c->cfg, &s->t[i], source, err);
  if (rc) return rc;
  /* Every tensor present is a distinct expected one, so a count short of the
   * expected means some are missing: name the first (at most count+1 tries). */
  const ar_tensor **index = malloc((s->count ? s->count : 1) * sizeof *index);
  if (!index) return ar_fail(err, AR_FAIL_INTERNAL, "out of memory");
  for (size_t i = 0; i < s->count; i++) index[i] = &s->t[i];
  qsort(index, s->count, sizeof *index, by_name);
  int64_t expected = input_count(&c->cfg);
  if (expected < 0)
    rc = ar_fail(err, AR_FAIL_INPUT,
                 "%s: config: %lld layers need more than %d input tensors",
                 source, (long long)c->cfg.layers, MAX_INPUTS);
  else if ((int64_t)s->count != expected)
    for (int64_t i = 0; !rc && i < expected; i++) {
      char name[80];
      input_name(&c->cfg, i, name, sizeof name);
      if (!lookup(index, s->count, name))
        rc = ar_fail(err, AR_FAIL_INPUT, "%s: missing tensor %s", source, name);
      else if (i + 1 == expected)
        rc = ar_fail(err, AR_FAIL_INTERNAL, "%s: tensor count mismatch", source);
    }
  if (!rc) rc = fill(c, index, s->count, err);
  free(index);
  if (rc) ar_case_release(c);
  return rc;
}

void ar_case_release(ar_case *c) {
  free(c->layer);
  memset(c, 0, sizeof *c);
}
