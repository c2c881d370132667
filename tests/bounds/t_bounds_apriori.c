/* The a-priori one-layer bounds of src/bounds_apriori.c (BOUNDS.md) against
 * the MPFR truth:
 *  - on random one-layer cases covering heads 1/2, causal, residual,
 *    norm none/layernorm/rmsnorm, a general wo, Taylor g = 0, 2, 4 (large
 *    eps, so the bounds are exercised well above rounding), every element
 *    of every result of the approx path is within its bound;
 *  - the bounds are not vacuous: with eps replaced by eps/1000 (the premise
 *    false) some element exceeds its bound on the g = 0 cases, whose
 *    approximation (uniform attention) is far from exact;
 *  - the magnitudes (bd_magnitude_one_layer) bound the truth itself,
 *    element by element, without residual (|O| <= max|U|, |dU| <= F^T|G|...);
 *  - refusals: layers 2, mlp > 0, loss mse, eps >= 1.
 * Usage: t_bounds_apriori [seed] (random cases print seed and config on
 * failure). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../fast/fast.h"
#include "../../ref/ref.h"
#include "src/bounds.h"

static int failures;
#define CHECK(cond, ...)                                   \
  do {                                                     \
    if (!(cond)) {                                         \
      failures++;                                          \
      fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
      fprintf(stderr, __VA_ARGS__);                        \
      fprintf(stderr, "\n");                               \
    }                                                      \
  } while (0)

static const char *const results[] = {"act.layers.0",
                                      "loss",
                                      "grad.x",
                                      "grad.layers.0.wq",
                                      "grad.layers.0.wk",
                                      "grad.layers.0.wv",
                                      "grad.layers.0.wo",
                                      "grad.cotangent",
                                      "grad.act.layers.0",
                                      "grad.layers.0.norm1.weight",
                                      "grad.layers.0.norm1.bias"};
#define NRES (sizeof results / sizeof results[0])

typedef struct outcome {
  double worst; /* max ratio over every result */
  double act;   /* ratio of act.layers.0 */
  int compared; /* results compared */
} outcome;

/* approx (Taylor g) vs ref on case s; ratios against bounds with eps/shrink */
static int one(const bd_case_spec *s, int g, double shrink, uint64_t seed,
               outcome *res) {
  ar_error err;
  ar_error_clear(&err);
  ar_tensorset cs, truth, apx, bnd, mag;
  ar_tensorset_init(&mag);
  ar_tensorset_init(&cs);
  ar_tensorset_init(&truth);
  ar_tensorset_init(&apx);
  ar_tensorset_init(&bnd);
  ar_case c;
  memset(&c, 0, sizeof c);
  ar_path_options o;
  ar_path_options_defaults(&o);
  double secs;
  int rc = bd_make_case(s, &cs, &err);
  if (!rc) rc = bd_run(&ar_path_ref, &cs, &o, NULL, &truth, &secs, &err);
  o.degree = g;
  if (!rc) rc = bd_run(&ar_path_approx, &cs, &o, NULL, &apx, &secs, &err);
  if (!rc) rc = ar_case_bind(&cs, "t", &c, &err);
  double eps = bd_meta_layer(&apx, "attnref.approx.eps", 0);
  double R = bd_meta_layer(&apx, "attnref.approx.radius", 0);
  if (!rc)
    rc = bd_apriori_one_layer(&c, eps * (1 + 1e-6) / shrink, R * (1 + 1e-6),
                              &bnd, &err);
  if (!rc) rc = bd_magnitude_one_layer(&c, R * (1 + 1e-6), &mag, &err);
  memset(res, 0, sizeof *res);
  if (rc) {
    fprintf(stderr, "seed %llu g %d: %s\n", (unsigned long long)seed, g,
            err.msg);
  } else {
    for (size_t k = 0; k < NRES; k++) {
      double r, bm;
      int in_truth = ar_tensorset_find(&truth, results[k]) != NULL;
      int got = bd_bound_ratio(&truth, &apx, &bnd, &mag, results[k],
                               BD_ROUNDING_FLOOR(s->cfg.n), &r, &bm) == 0;
      CHECK(got == in_truth, "seed %llu: bound for %s %s",
            (unsigned long long)seed, results[k],
            in_truth ? "missing" : "for a result the model lacks");
      if (!got) continue;
      res->compared++;
      const ar_tensor *t = ar_tensorset_find(&truth, results[k]);
      const ar_tensor *m = ar_tensorset_find(&mag, results[k]);
      for (int64_t e = 0; !s->cfg.residual && e < t->numel; e++)
        if (!(fabs(t->data[e]) <= m->data[e] * (1 + 1e-12))) {
          CHECK(0, "seed %llu: |%s[%lld]| = %.6g above its magnitude %.6g",
                (unsigned long long)seed, results[k], (long long)e,
                fabs(t->data[e]), m->data[e]);
          break;
        }
      if (!(r <= res->worst)) res->worst = r;
      if (k == 0) res->act = r;
    }
  }
  ar_case_release(&c);
  ar_tensorset_free(&cs);
  ar_tensorset_free(&truth);
  ar_tensorset_free(&apx);
  ar_tensorset_free(&bnd);
  ar_tensorset_free(&mag);
  return rc;
}

static void refusals(void) {
  bd_case_spec s;
  bd_case_spec_defaults(&s);
  s.cfg.n = 5, s.cfg.d = 4, s.cfg.heads = 1, s.cfg.layers = 1;
  s.cfg.loss = AR_LOSS_LINEAR;
  struct {
    int layers, mlp;
    ar_loss loss;
    double eps;
  } bad[] = {{2, 0, AR_LOSS_LINEAR, 0.1},
             {1, 4, AR_LOSS_LINEAR, 0.1},
             {1, 0, AR_LOSS_MSE, 0.1},
             {1, 0, AR_LOSS_LINEAR, 1.0}};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    s.cfg.layers = bad[i].layers, s.cfg.mlp = bad[i].mlp;
    s.cfg.loss = bad[i].loss;
    ar_error err;
    ar_error_clear(&err);
    ar_tensorset cs, b;
    ar_tensorset_init(&cs);
    ar_tensorset_init(&b);
    ar_case c;
    memset(&c, 0, sizeof c);
    int rc = bd_make_case(&s, &cs, &err);
    if (!rc) rc = ar_case_bind(&cs, "t", &c, &err);
    CHECK(rc == AR_OK, "making refusal case %zu: %s", i, err.msg);
    if (!rc)
      CHECK(
          bd_apriori_one_layer(&c, bad[i].eps, 0.5, &b, &err) == AR_FAIL_INPUT,
          "case %zu (layers %d mlp %d eps %g) was not refused", i,
          bad[i].layers, bad[i].mlp, bad[i].eps);
    ar_case_release(&c);
    ar_tensorset_free(&cs);
    ar_tensorset_free(&b);
  }
}

int main(int argc, char **argv) {
  uint64_t seed0 = argc > 1 ? strtoull(argv[1], NULL, 10) : 20240601;
  static const ar_norm norms[3] = {AR_NORM_NONE, AR_NORM_LAYER, AR_NORM_RMS};
  int violated_when_shrunk = 0;
  for (int t = 0; t < 12; t++) {
    uint64_t seed = seed0 + (uint64_t)t;
    bd_case_spec s;
    bd_case_spec_defaults(&s);
    s.cfg.n = t % 2 ? 33 : 7;
    s.cfg.heads = 1 + t % 2;
    s.cfg.d = 4 * s.cfg.heads;
    s.cfg.layers = 1;
    s.cfg.causal = (t / 2) % 2;
    s.cfg.residual = (t / 4) % 2;
    s.cfg.norm = norms[t % 3];
    s.cfg.loss = AR_LOSS_LINEAR;
    s.seed = seed;
    s.wscale = 1;
    s.radius = t % 3 == 0 ? 0.3 : 1.0; /* g = 0 needs eps(0,R) = R e^R < 1 */
    int g = t % 3 == 0 ? 0 : 2 * (1 + t % 2);
    outcome r;
    char *json = ar_config_to_json(&s.cfg);
    if (one(&s, g, 1.0, seed, &r)) {
      failures++;
    } else {
      CHECK(r.compared >= 8, "seed %llu %s: only %d results compared",
            (unsigned long long)seed, json, r.compared);
      CHECK(r.worst <= 1,
            "seed %llu g %d %s: measured error %.3g times its "
            "proven bound",
            (unsigned long long)seed, g, json, r.worst);
      CHECK(r.act > 0,
            "seed %llu %s: the approximation made no error at "
            "all (g %d): the case does not exercise the bound",
            (unsigned long long)seed, json, g);
    }
    if (g == 0 && one(&s, g, 1000.0, seed, &r) == 0 && r.worst > 1)
      violated_when_shrunk++;
    free(json);
  }
  CHECK(violated_when_shrunk == 4,
        "with eps/1000 only %d of the 4 g=0 cases broke a bound: the bounds "
        "are more than 1000x loose there",
        violated_when_shrunk);
  refusals();
  if (failures) fprintf(stderr, "t_bounds_apriori: %d failures\n", failures);
  return failures ? 1 : 0;
}
