/* Test support for whole paths (pathutil.h). */
#include "pathutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ref/ref.h"
#include "src/config.h"
#include "src/gen.h"

static void die(const char *what, const ar_error *err) {
  fprintf(stderr, "test set-up failed: %s: %s\n", what, err->msg);
  exit(3);
}

void fcase_make(fcase *k, const char *json, uint64_t seed, double bound) {
  ar_error err;
  ar_error_clear(&err);
  ar_config cfg;
  memset(k, 0, sizeof *k);
  snprintf(k->json, sizeof k->json, "%s", json);
  k->seed = seed;
  ar_tensorset_init(&k->ts);
  if (ar_config_parse(json, "test config", &cfg, &err) ||
      ar_gen_case(&cfg, seed, bound, 0, &k->ts, &err) ||
      ar_case_bind(&k->ts, "generated", &k->c, &err))
    die(json, &err);
}

void fcase_free(fcase *k) {
  ar_case_release(&k->c);
  ar_tensorset_free(&k->ts);
}

void run_path(const ar_path *p, const fcase *k, int threads,
              ar_tensorset *out) {
  ar_error err;
  ar_error_clear(&err);
  ar_path_options o;
  ar_path_options_defaults(&o);
  o.threads = threads;
  ar_tensorset_init(out);
  if (ar_path_run(p, &k->c, &o, out, &err)) {
    fprintf(stderr, "path %s on %s (seed %llu):\n", p->name, k->json,
            (unsigned long long)k->seed);
    die(p->name, &err);
  }
}

int run_opts(const ar_path *p, const fcase *k, int degree, const char *poly,
             ar_tensorset *out, ar_error *err) {
  ar_path_options o;
  ar_path_options_defaults(&o);
  o.degree = degree, o.poly = poly;
  ar_error_clear(err);
  ar_tensorset_init(out);
  return ar_path_run(p, &k->c, &o, out, err);
}

int run_ok(const ar_path *p, const fcase *k, int degree, const char *poly,
           ar_tensorset *out) {
  ar_error err;
  int rc = run_opts(p, k, degree, poly, out, &err);
  CHECK(rc == 0, "path %s on %s (seed %llu, g=%d %s): rc %d: %s", p->name,
        k->json, (unsigned long long)k->seed, degree, poly, rc, err.msg);
  return rc;
}

int grade(const ar_tensorset *truth, const ar_tensorset *cand,
          const char *profile, const fcase *k, const char *what) {
  ar_error err;
  ar_error_clear(&err);
  ar_check_result r;
  const ar_check_profile *pr = ar_check_profile_find(profile);
  if (!pr || ar_check_compare(truth, cand, pr, &r, &err)) die(what, &err);
  int ok = ar_check_all_pass(&r);
  if (!ok) {
    fprintf(stderr, "%s: case %s seed %llu fails profile %s:\n", what,
            k->json, (unsigned long long)k->seed, profile);
    ar_check_print(stderr, &r);
  }
  ar_check_result_free(&r);
  return ok;
}

const exact_spec exact_feature_cases[] = {
    /* defaults: mse, residual, no norm, no MLP */
    {"{\"n\":5,\"d\":4,\"heads\":1,\"layers\":1}", 1},
    /* everything at once, three layers */
    {"{\"n\":13,\"d\":12,\"heads\":2,\"layers\":3,\"causal\":true,"
     "\"norm\":\"layernorm\",\"mlp\":12,\"activation\":\"gelu\","
     "\"loss\":\"xent\",\"vocab\":7}", 1},
    {"{\"n\":9,\"d\":6,\"heads\":3,\"layers\":3,\"norm\":\"rmsnorm\","
     "\"mlp\":5,\"activation\":\"relu\",\"loss\":\"linear\"}", 1},
    /* residual off */
    {"{\"n\":7,\"d\":4,\"heads\":2,\"layers\":1,\"residual\":false,"
     "\"causal\":true,\"norm\":\"layernorm\",\"mlp\":6,"
     "\"activation\":\"gelu\",\"loss\":\"linear\"}", 1},
    /* three layers without residual: rank collapse makes the upper layers'
     * dWq, dWk small by cancellation; float's amplified roundoff there is
     * beyond fp32 (spec/tolerances.md section 2), so fp64 only */
    {"{\"n\":8,\"d\":8,\"heads\":2,\"layers\":3,\"residual\":false,"
     "\"loss\":\"linear\"}", 0},
    /* the paper's special case, with a given scale */
    {"{\"n\":11,\"d\":4,\"heads\":1,\"layers\":1,\"residual\":false,"
     "\"scale\":0.3}", 1},
    /* n = 1: dQ, dK and so dWq, dWk are exactly zero */
    {"{\"n\":1,\"d\":4,\"heads\":2,\"layers\":2,\"causal\":true,"
     "\"norm\":\"layernorm\",\"mlp\":3,\"loss\":\"xent\",\"vocab\":3}", 1},
    {"{\"n\":1,\"d\":4,\"heads\":1,\"layers\":1}", 1},
};
const int exact_feature_count =
    (int)(sizeof exact_feature_cases / sizeof exact_feature_cases[0]);

void exact_vs_ref(const exact_spec *s, const fcase *k, const ar_path *p64,
                  const ar_path *p32, ar_tensorset *truth, ar_tensorset *c64,
                  ar_tensorset *c32) {
  run_path(&ar_path_ref, k, 0, truth);
  run_path(p64, k, 0, c64);
  run_path(p32, k, 0, c32);
  CHECK(grade(truth, c64, "fp64", k, p64->name), "%s on %s", p64->name,
        s->json);
  if (s->fp32)
    CHECK(grade(truth, c32, "fp32", k, p32->name), "%s on %s", p32->name,
          s->json);
  /* the 32-bit path writes floats, as F32 */
  for (size_t t = 0; t < c32->count; t++) {
    const ar_tensor *x = &c32->t[t];
    int floats = x->dtype == AR_F32;
    for (int64_t e = 0; e < x->numel && floats; e++)
      floats = (double)(float)x->data[e] == x->data[e];
    CHECK(floats, "%s %s: not F32 values", p32->name, x->name);
  }
}

double normwise(const double *a, const double *b, int64_t count) {
  double num = 0, den = 0;
  for (int64_t i = 0; i < count; i++) {
    num += (a[i] - b[i]) * (a[i] - b[i]);
    den += b[i] * b[i];
  }
  return den > 0 ? sqrt(num / den) : sqrt(num);
}

double worst_rel(const ar_tensorset *x, const ar_tensorset *ref,
                 const char **which) {
  double worst = 0;
  for (size_t t = 0; t < ref->count; t++) {
    const ar_tensor *e = &ref->t[t];
    if (!e->data) continue;
    const ar_tensor *a = ar_tensorset_find(x, e->name);
    if (!a || a->numel != e->numel) {
      *which = e->name;
      return INFINITY;
    }
    double d = 0, m = 0;
    for (int64_t i = 0; i < e->numel; i++) {
      double di = fabs(a->data[i] - e->data[i]);
      if (!(di <= d)) d = di;
      if (fabs(e->data[i]) > m) m = fabs(e->data[i]);
    }
    double rel = m > 0 ? d / m : d;
    if (!(rel <= worst)) worst = rel, *which = e->name;
  }
  return worst;
}

int parse_array(const char *s, double *v, int max) {
  int n = 0;
  if (!s || *s != '[') return -1;
  s++;
  while (*s && *s != ']' && n < max) {
    if (strncmp(s, "null", 4) == 0) {
      v[n++] = INFINITY;
      s += 4;
    } else {
      char *end;
      v[n++] = strtod(s, &end);
      if (end == s) return -1;
      s = end;
    }
    if (*s == ',') s++;
  }
  return n;
}

double wo_colsum_max(const double *wo, int64_t d) {
  double wmax = 0;
  for (int64_t c = 0; c < d; c++) {
    double s = 0;
    for (int64_t kk = 0; kk < d; kk++) s += fabs(wo[kk * d + c]);
    if (s > wmax) wmax = s;
  }
  return wmax;
}
