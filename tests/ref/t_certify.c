/* The certification loop of ar_path_ref (spec/truth.md), on configs covering
 * every feature:
 *   - every output double equals RN of an independent recomputation of the
 *     model at 1024 bits (loss, act.layers.*, grad.*, grad.act.layers.*),
 *     and the outputs are exactly that set;
 *   - with double_double, every <name>@lo is present and hi + lo matches the
 *     1024-bit value to 2^-104 relative;
 *   - metadata: path "ref", prec, check_prec = prec + max(64, prec/2),
 *     certified_bits in [53, prec], and the config, which parses back equal;
 *   - started at 24 bits, the loop raises the precision and yields the same
 *     doubles;
 *   - bad precisions, non-finite inputs, out-of-range labels and results
 *     beyond the double range are input errors naming what is wrong. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ref/model.h"
#include "ref/ref.h"
#include "tcase.h"
#include "testutil.h"

static char desc[512];
static uint64_t seed;

#define FAIL(...)                                                         \
  do {                                                                    \
    t_failures++;                                                           \
    fprintf(stderr, "FAIL: " __VA_ARGS__);                                \
    fprintf(stderr, "\n  seed %llu, %s\n", (unsigned long long)seed, desc); \
  } while (0)

static int run_path(const ar_case *c, long prec, int dd, ar_tensorset *out,
                    ar_error *err) {
  ar_path_options o;
  ar_path_options_defaults(&o);
  o.prec = prec;
  o.double_double = dd;
  ar_tensorset_init(out);
  ar_error_clear(err);
  return ar_path_run(&ar_path_ref, c, &o, out, err);
}

/* The reference values: name -> 1024-bit matrix of run r. */
typedef struct truth {
  char name[96];
  const mpmat *m;
} truth;

static int truths(ref_run *r, truth *t) {
  int k = 0;
  snprintf(t[k].name, sizeof t[k].name, "loss");
  t[k++].m = r->loss;
  for (int64_t l = 0; l < r->cfg->layers; l++) {
    snprintf(t[k].name, sizeof t[k].name, "act.layers.%lld", (long long)l);
    t[k++].m = r->layer[l].out;
    snprintf(t[k].name, sizeof t[k].name, "grad.act.layers.%lld",
             (long long)l);
    t[k++].m = r->gact[l];
  }
  for (int i = 0; i < r->nin; i++) {
    snprintf(t[k].name, sizeof t[k].name, "grad.%s", r->in[i].name);
    t[k++].m = r->in[i].grad;
  }
  return k;
}

static long meta_long(const ar_tensorset *s, const char *key) {
  const char *v = ar_tensorset_get_meta(s, key);
  if (!v) {
    FAIL("metadata %s missing", key);
    return -1;
  }
  return strtol(v, NULL, 10);
}

/* out's doubles are RN(truth) for every truth; the set has nothing else
 * (but @lo parts when dd) */
static void same_as_truth(const ar_tensorset *out, const truth *t, int nt,
                          int dd, const char *what) {
  size_t expect = (size_t)nt * (dd ? 2 : 1);
  if (out->count != expect)
    FAIL("%s: %zu output tensors, expected %zu", what, out->count, expect);
  for (int k = 0; k < nt; k++) {
    const mpmat *m = t[k].m;
    int64_t cnt = m->rows * m->cols;
    ar_tensor *o = ar_tensorset_find(out, t[k].name);
    if (!o || o->numel != cnt || !o->data) {
      FAIL("%s: output %s missing or of the wrong size", what, t[k].name);
      continue;
    }
    for (int64_t e = 0; e < cnt; e++) {
      double want = mpfr_get_d(&m->v[e], MPFR_RNDN);
      if (o->data[e] != want) {
        FAIL("%s: %s[%lld] = %.17g, RN(1024-bit value) = %.17g", what,
             t[k].name, (long long)e, o->data[e], want);
        break;
      }
    }
    if (!dd) continue;
    char lo_name[128];
    snprintf(lo_name, sizeof lo_name, "%s@lo", t[k].name);
    ar_tensor *lo = ar_tensorset_find(out, lo_name);
    if (!lo || lo->numel != cnt || !lo->data) {
      FAIL("%s: output %s missing or of the wrong size", what, lo_name);
      continue;
    }
    /* |hi + lo - x| <= 2^-104 |x| + 2^-1074 */
    mpfr_t s, tol;
    mpfr_inits2(2200, s, tol, (mpfr_ptr)0);
    for (int64_t e = 0; e < cnt; e++) {
      mpfr_set_d(s, o->data[e], MPFR_RNDN);
      mpfr_add_d(s, s, lo->data[e], MPFR_RNDN); /* exact at 2200 bits */
      mpfr_sub(s, s, &m->v[e], MPFR_RNDN);
      mpfr_abs(s, s, MPFR_RNDN);
      mpfr_abs(tol, &m->v[e], MPFR_RNDN);
      mpfr_mul_2si(tol, tol, -104, MPFR_RNDN);
      mpfr_add_d(tol, tol, 0x1p-1074, MPFR_RNDN);
      if (mpfr_cmp(s, tol) > 0) {
        FAIL("%s: %s[%lld]: hi + lo = %.17g + %.17g is %.3g from the "
             "1024-bit value",
             what, t[k].name, (long long)e, o->data[e], lo->data[e],
             mpfr_get_d(s, MPFR_RNDN));
        break;
      }
    }
    mpfr_clears(s, tol, (mpfr_ptr)0);
  }
}

static void check_meta(const ar_tensorset *out, const ar_config *c,
                       long start, const char *what) {
  const char *path = ar_tensorset_get_meta(out, AR_META_PATH);
  if (!path || strcmp(path, "ref") != 0)
    FAIL("%s: metadata %s is %s", what, AR_META_PATH, path ? path : "absent");
  long p = meta_long(out, AR_META_PREC);
  long p2 = meta_long(out, AR_META_CHECK_PREC);
  long bits = meta_long(out, AR_META_CERTIFIED_BITS);
  if (p < start) FAIL("%s: prec %ld below the start %ld", what, p, start);
  if (p2 != p + (p / 2 > 64 ? p / 2 : 64))
    FAIL("%s: check_prec %ld for prec %ld", what, p2, p);
  if (bits < 53 || bits > p)
    FAIL("%s: certified_bits %ld not in [53, %ld]", what, bits, p);
  const char *json = ar_tensorset_get_meta(out, AR_CONFIG_KEY);
  ar_config back;
  ar_error err;
  ar_error_clear(&err);
  if (!json || ar_config_parse(json, "result", &back, &err)) {
    FAIL("%s: config metadata %s", what, json ? err.msg : "absent");
    return;
  }
  if (back.n != c->n || back.d != c->d || back.heads != c->heads ||
      back.layers != c->layers || back.mlp != c->mlp ||
      back.causal != c->causal || back.residual != c->residual ||
      back.norm != c->norm || back.act != c->act || back.loss != c->loss ||
      back.has_scale != c->has_scale ||
      (c->has_scale && back.scale != c->scale) ||
      back.norm_eps != c->norm_eps ||
      (c->loss == AR_LOSS_XENT && back.vocab != c->vocab))
    FAIL("%s: config metadata %s differs from the case's config", what, json);
}

static void certify_config(const ar_config *c) {
  tcase_describe(c, desc, sizeof desc);
  tcase t;
  if (tcase_make(&t, c, seed, "t-certify")) {
    FAIL("out of memory");
    return;
  }
  ar_error err;
  ar_error_clear(&err);
  ref_run *r = ref_run_new(&t.c, 1024, &err);
  if (!r || ref_run_forward(r, &err) || ref_run_backward(r, &err)) {
    FAIL("1024-bit run: %s", err.msg);
    ref_run_free(r);
    tcase_free(&t);
    return;
  }
  int before = t_failures;
  truth *tr = calloc((size_t)(2 + 2 * c->layers + r->nin), sizeof *tr);
  int nt = truths(r, tr);
  ar_tensorset out, dd, low;
  if (run_path(&t.c, 128, 0, &out, &err))
    FAIL("default run: %s", err.msg);
  else {
    same_as_truth(&out, tr, nt, 0, "prec 128");
    check_meta(&out, c, 128, "prec 128");
  }
  if (run_path(&t.c, 128, 1, &dd, &err))
    FAIL("double-double run: %s", err.msg);
  else {
    same_as_truth(&dd, tr, nt, 1, "double-double");
    check_meta(&dd, c, 128, "double-double");
  }
  if (run_path(&t.c, 24, 0, &low, &err))
    FAIL("24-bit start: %s", err.msg);
  else {
    same_as_truth(&low, tr, nt, 0, "24-bit start");
    check_meta(&low, c, 24, "24-bit start");
    if (meta_long(&low, AR_META_PREC) <= 24)
      FAIL("24-bit start: the precision was not raised (prec %ld)",
           meta_long(&low, AR_META_PREC));
  }
  printf("%s %s: 128-bit certified_bits %s, 24-bit start ended at %s bits\n",
         t_failures == before ? "ok  " : "FAIL", desc,
         ar_tensorset_get_meta(&out, AR_META_CERTIFIED_BITS),
         ar_tensorset_get_meta(&low, AR_META_PREC));
  ar_tensorset_free(&out);
  ar_tensorset_free(&dd);
  ar_tensorset_free(&low);
  free(tr);
  ref_run_free(r);
  tcase_free(&t);
}

/* err must be AR_FAIL_INPUT with a message containing `word` */
static void expect_input_error(const ar_case *c, long prec, const char *word,
                               const char *what) {
  ar_tensorset out;
  ar_error err;
  int rc = run_path(c, prec, 0, &out, &err);
  if (rc != AR_FAIL_INPUT || !strstr(err.msg, word))
    FAIL("%s: got code %d \"%s\", expected an input error naming %s", what,
         rc, err.msg, word);
  ar_tensorset_free(&out);
}

static void bad_inputs(void) {
  ar_config c = tcase_config(3, 4, 2, 1, 1, 1, AR_NORM_NONE, 0, AR_ACT_RELU,
                    AR_LOSS_XENT, 3, 0);
  tcase_describe(&c, desc, sizeof desc);
  tcase t;
  if (tcase_make(&t, &c, seed, "bad.safetensors")) return;
  expect_input_error(&t.c, 1, "precision", "prec 1");
  expect_input_error(&t.c, 9000, "precision", "prec 9000");
  double *x = (double *)t.c.x;
  double keep = x[5];
  x[5] = NAN;
  expect_input_error(&t.c, 128, "tensor x", "NaN in x");
  x[5] = INFINITY;
  expect_input_error(&t.c, 128, "tensor x", "inf in x");
  x[5] = keep;
  t.labels[1] = 3;
  expect_input_error(&t.c, 128, "tensor labels", "label == vocab");
  t.labels[1] = -1;
  expect_input_error(&t.c, 128, "tensor labels", "negative label");
  tcase_free(&t);
  /* 0.5 ||X_L - target||^2 beyond DBL_MAX */
  c = tcase_config(3, 4, 2, 1, 0, 1, AR_NORM_NONE, 0, AR_ACT_RELU, AR_LOSS_MSE, 0, 0);
  tcase_describe(&c, desc, sizeof desc);
  if (tcase_make(&t, &c, seed, "huge.safetensors")) return;
  ((double *)t.c.x)[2] = 1e300;
  expect_input_error(&t.c, 128, "tensor loss", "loss beyond DBL_MAX");
  tcase_free(&t);
}

int main(int argc, char **argv) {
  seed = argc > 1 ? strtoull(argv[1], NULL, 0) : 424242;
  const ar_config configs[] = {
      tcase_config(6, 4, 2, 2, 1, 1, AR_NORM_LAYER, 5, AR_ACT_GELU, AR_LOSS_XENT, 4, 0),
      tcase_config(5, 6, 3, 3, 0, 0, AR_NORM_RMS, 4, AR_ACT_RELU, AR_LOSS_MSE, 0, 0.45),
      tcase_config(7, 4, 1, 1, 1, 1, AR_NORM_NONE, 0, AR_ACT_RELU, AR_LOSS_LINEAR, 0, 0),
  };
  for (size_t i = 0; i < sizeof configs / sizeof configs[0]; i++, seed++)
    certify_config(&configs[i]);
  bad_inputs();
  printf("%d failures\n", t_failures);
  return t_failures ? 1 : 0;
}
