/* Case binding over every kind of config (norm none/layernorm/rmsnorm, with
 * and without MLP, each loss, one and two layers): the input names come in
 * the documented order with the documented shapes (the expected list is
 * written out here from the spec, not derived from the code under test),
 * bind points every field at the right tensor and leaves absent ones NULL,
 * and names that look close to valid are not accepted. */
#include <stdlib.h>
#include <string.h>

#include "src/case.h"
#include "testutil.h"

typedef struct {
  char name[96];
  int ndim;
  int64_t dims[2];
} expect;

static int add(expect *e, int k, const char *name, int ndim, int64_t a,
               int64_t b) {
  snprintf(e[k].name, sizeof e[k].name, "%s", name);
  e[k].ndim = ndim;
  e[k].dims[0] = a;
  e[k].dims[1] = b;
  return k + 1;
}

/* spec/formats.md section 4: x, per layer wq wk wv wo norm1.weight
 * norm1.bias norm2.weight norm2.bias mlp.w1 mlp.b1 mlp.w2 mlp.b2 (as
 * present), then the loss tensors. */
static int spec_inputs(const ar_config *c, expect *e) {
  int k = add(e, 0, "x", 2, c->n, c->d);
  int64_t d = c->d, m = c->mlp;
  int norm = c->norm != AR_NORM_NONE, bias = c->norm == AR_NORM_LAYER;
  for (int64_t l = 0; l < c->layers; l++) {
    char p[32], nm[64];
#define ADD(suffix, nd, a, b)                          \
  do {                                                 \
    snprintf(nm, sizeof nm, "%s.%s", p, suffix);       \
    k = add(e, k, nm, nd, a, b);                       \
  } while (0)
    snprintf(p, sizeof p, "layers.%lld", (long long)l);
    ADD("wq", 2, d, d);
    ADD("wk", 2, d, d);
    ADD("wv", 2, d, d);
    ADD("wo", 2, d, d);
    if (norm) ADD("norm1.weight", 1, d, 0);
    if (bias) ADD("norm1.bias", 1, d, 0);
    if (m > 0) {
      if (norm) ADD("norm2.weight", 1, d, 0);
      if (bias) ADD("norm2.bias", 1, d, 0);
      ADD("mlp.w1", 2, d, m);
      ADD("mlp.b1", 1, m, 0);
      ADD("mlp.w2", 2, m, d);
      ADD("mlp.b2", 1, d, 0);
    }
#undef ADD
  }
  if (c->loss == AR_LOSS_MSE) k = add(e, k, "target", 2, c->n, d);
  if (c->loss == AR_LOSS_LINEAR) k = add(e, k, "cotangent", 2, c->n, d);
  if (c->loss == AR_LOSS_XENT) {
    k = add(e, k, "unembed", 2, d, c->vocab);
    k = add(e, k, "labels", 1, c->n, 0);
  }
  return k;
}

static const char *describe(const ar_config *c) {
  static char buf[128];
  snprintf(buf, sizeof buf, "norm %s mlp %lld loss %s layers %lld",
           ar_norm_name(c->norm), (long long)c->mlp, ar_loss_name(c->loss),
           (long long)c->layers);
  return buf;
}

static const double *data(const ar_tensorset *s, const char *name) {
  const ar_tensor *t = ar_tensorset_find(s, name);
  return t ? t->data : NULL;
}

static void check_bound(const ar_config *cfg, const ar_tensorset *s,
                        const ar_case *c) {
  const char *what = describe(cfg);
  CHECK(c->x == data(s, "x") && c->x, "%s: x", what);
  CHECK(c->target == data(s, "target"), "%s: target", what);
  CHECK(c->cotangent == data(s, "cotangent"), "%s: cotangent", what);
  CHECK(c->unembed == data(s, "unembed"), "%s: unembed", what);
  const ar_tensor *labels = ar_tensorset_find(s, "labels");
  CHECK(c->labels == (labels ? labels->idata : NULL), "%s: labels", what);
  CHECK(c->cfg.n == cfg->n && c->cfg.layers == cfg->layers, "%s: cfg", what);
  for (int64_t l = 0; l < cfg->layers; l++) {
    const ar_layer_weights *w = &c->layer[l];
    const char *suffix[] = {"wq", "wk", "wv", "wo", "norm1.weight",
                            "norm1.bias", "mlp.w1", "mlp.b1", "mlp.w2",
                            "mlp.b2", "norm2.weight", "norm2.bias"};
    const double *got[] = {w->wq, w->wk, w->wv, w->wo, w->norm1_w, w->norm1_b,
                           w->w1, w->b1, w->w2, w->b2, w->norm2_w, w->norm2_b};
    for (int i = 0; i < 12; i++) {
      char name[96];
      snprintf(name, sizeof name, "layers.%lld.%s", (long long)l, suffix[i]);
      CHECK(got[i] == data(s, name), "%s: %s bound to the wrong array", what,
            name);
    }
  }
}

static void one_config(const ar_config *cfg) {
  const char *what = describe(cfg);
  expect want[64];
  int nwant = spec_inputs(cfg, want);
  char **names;
  ar_error err = {0};
  int count = ar_case_input_names(cfg, &names, &err);
  CHECK(count == nwant, "%s: %d names, spec has %d", what, count, nwant);
  ar_tensorset s;
  ar_tensorset_init(&s);
  for (int i = 0; i < count && i < nwant; i++) {
    CHECK(strcmp(names[i], want[i].name) == 0, "%s: name %d is %s, spec %s",
          what, i, names[i], want[i].name);
    int64_t dims[AR_MAX_DIMS];
    int nd = ar_case_input_shape(cfg, want[i].name, dims);
    CHECK(nd == want[i].ndim && dims[0] == want[i].dims[0] &&
              (nd < 2 || dims[1] == want[i].dims[1]),
          "%s: shape of %s", what, want[i].name);
    int is_labels = strcmp(want[i].name, "labels") == 0;
    /* any floating dtype binds; F32 here for variety */
    ar_tensor *t = ar_tensorset_add(&s, want[i].name,
                                    is_labels ? AR_I64 : (i % 2 ? AR_F32 : AR_F64),
                                    want[i].ndim, want[i].dims, &err);
    CHECK(t != NULL, "%s", err.msg);
  }
  ar_names_free(names, count);
  char *json = ar_config_to_json(cfg);
  ar_tensorset_set_meta(&s, AR_CONFIG_KEY, json, &err);
  free(json);
  ar_case c;
  int rc = ar_case_bind(&s, "mem", &c, &err);
  CHECK(rc == 0, "%s: bind: %s", what, err.msg);
  if (rc == 0) {
    check_bound(cfg, &s, &c);
    ar_case_release(&c);
  }
  /* Names close to valid ones are not inputs of this config. */
  const char *bad[] = {"grad.x", "X", "x ", "layers.0.wq.", "layers.00.wq",
                       "layers.-1.wq", "layers.0", "layers..wq",
                       "layers.99999999999999999999999.wq", "layers.2.wq",
                       "layers.0.norm3.weight", "layers.0.mlp.b3", "loss"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    int64_t dims[AR_MAX_DIMS];
    CHECK(ar_case_input_shape(cfg, bad[i], dims) == -1, "%s: %s accepted",
          what, bad[i]);
  }
  int64_t dims[AR_MAX_DIMS];
  if (cfg->norm != AR_NORM_LAYER)
    CHECK(ar_case_input_shape(cfg, "layers.0.norm1.bias", dims) == -1,
          "%s: norm1.bias accepted", what);
  if (cfg->mlp == 0)
    CHECK(ar_case_input_shape(cfg, "layers.0.mlp.w1", dims) == -1,
          "%s: mlp.w1 accepted", what);
  ar_tensorset_free(&s);
}

int main(void) {
  for (int norm = 0; norm < 3; norm++)
    for (int mlp = 0; mlp <= 3; mlp += 3)
      for (int loss = 0; loss < 3; loss++)
        for (int layers = 1; layers <= 2; layers++) {
          ar_config c;
          ar_config_defaults(&c);
          c.n = 3, c.d = 4, c.heads = 2, c.layers = layers, c.mlp = mlp;
          c.norm = (ar_norm)norm;
          c.loss = (ar_loss)loss;
          c.vocab = loss == AR_LOSS_XENT ? 7 : 0;
          one_config(&c);
        }
  /* A config with absurdly many layers is refused, not allocated. */
  ar_config c;
  ar_config_defaults(&c);
  c.n = 1, c.d = 1, c.heads = 1, c.layers = (int64_t)1 << 40;
  char **names = NULL;
  ar_error err = {0};
  int count = ar_case_input_names(&c, &names, &err);
  CHECK(count == -1 && err.code == AR_FAIL_INPUT && names == NULL,
        "2^40 layers: %d %s", count, err.msg);
  return t_done("t-case");
}
