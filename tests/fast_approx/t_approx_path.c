/* The whole approx path against the exact64 path, on small generated cases:
 *  - every output (loss, act.layers.*, grad.*) approaches exact64 as the
 *    degree rises (Taylor g = 2, 4, 6, 8; Chebyshev 2, 4, 6);
 *  - with eps(g,R) < 1e-16 (g = 24, small entries) it equals exact64 and the
 *    MPFR reference ("ref") to 1e-10;
 *  - the metadata bound: one layer, no norm, no MLP, residual off, so
 *    act.layers.0 = O Wo with an exact input, and
 *    |act~ - act|_ic <= bound_attn_out[0] * max_c sum_k |Wo_kc|;
 *  - metadata (rank, degree, per-layer arrays) and refusals of bad options.
 * Usage: t_approx_path [seed] */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pathutil.h"

static uint64_t seed;

/* out <- the registered path `path` on k; nonzero (printed) on failure */
static int run(const char *path, const fcase *k, int degree, const char *poly,
               ar_tensorset *out) {
  const ar_path *p = ar_path_find(path);
  if (!p) {
    fprintf(stderr, "FAIL: path %s not registered\n", path);
    t_failures++;
    ar_tensorset_init(out);
    return -1;
  }
  ar_error err;
  int rc = run_opts(p, k, degree, poly, out, &err);
  if (rc) fprintf(stderr, "path %s on %s: rc %d: %s\n", path, k->json, rc, err.msg);
  return rc;
}

static void converges_to_exact64(void) {
  const char *cfgs[] = {
      "{\"n\":24,\"d\":8,\"heads\":2,\"layers\":2,\"causal\":true,"
      "\"norm\":\"layernorm\",\"mlp\":12,\"activation\":\"gelu\","
      "\"loss\":\"xent\",\"vocab\":7}",
      "{\"n\":30,\"d\":4,\"heads\":1,\"layers\":1,\"residual\":false,"
      "\"loss\":\"linear\"}",
      "{\"n\":20,\"d\":6,\"heads\":3,\"layers\":3,\"norm\":\"rmsnorm\","
      "\"mlp\":5,\"loss\":\"mse\"}",
  };
  for (size_t ci = 0; ci < sizeof cfgs / sizeof *cfgs; ci++) {
    fcase k;
    fcase_make(&k, cfgs[ci], seed, 0.5);
    ar_tensorset ex;
    if (run("exact64", &k, 0, "taylor", &ex)) {
      t_failures++;
      fcase_free(&k);
      continue;
    }
    for (int cheb = 0; cheb < 2; cheb++) {
      double prev = INFINITY;
      for (int g = 2; g <= (cheb ? 6 : 8); g += 2) {
        ar_tensorset ap;
        int rc = run("approx", &k, g, cheb ? "chebyshev" : "taylor", &ap);
        const char *which = "?";
        double e = rc ? INFINITY : worst_rel(&ap, &ex, &which);
        printf("%s g=%d %s: worst rel err vs exact64 %.3e (%s)\n",
               cheb ? "chebyshev" : "taylor", g, cfgs[ci], e, which);
        CHECK(e < prev / 4,
              "seed=%llu %s %s g=%d: worst rel err %.3g (%s) not below a "
              "quarter of g-2's %.3g",
              (unsigned long long)seed, cfgs[ci], cheb ? "chebyshev" : "taylor",
              g, e, which, prev);
        prev = e;
        ar_tensorset_free(&ap);
      }
    }
    /* eps < 1e-16: the same as exact64, and as the MPFR truth (which does not
     * depend on exact64 being right), up to rounding */
    ar_tensorset ap, truth;
    int rc = run("approx", &k, 24, "taylor", &ap);
    rc |= run("ref", &k, 0, "taylor", &truth);
    const char *which = "?", *which_t = "?";
    double e = rc ? INFINITY : worst_rel(&ap, &ex, &which);
    double et = rc ? INFINITY : worst_rel(&ap, &truth, &which_t);
    const char *eps = ar_tensorset_get_meta(&ap, "attnref.approx.eps");
    printf("taylor g=24 eps per layer %s: worst rel err vs exact64 %.3e (%s), "
           "vs ref %.3e (%s)\n",
           eps ? eps : "?", e, which, et, which_t);
    CHECK(e <= 1e-10, "seed=%llu %s g=24: rel err vs exact64 %.3g (%s) > 1e-10",
          (unsigned long long)seed, cfgs[ci], e, which);
    CHECK(et <= 1e-10, "seed=%llu %s g=24: rel err vs ref %.3g (%s) > 1e-10",
          (unsigned long long)seed, cfgs[ci], et, which_t);
    ar_tensorset_free(&ap);
    ar_tensorset_free(&truth);
    ar_tensorset_free(&ex);
    fcase_free(&k);
  }
}

static void metadata_bound_holds(void) {
  const char *cfg[] = {
      "{\"n\":40,\"d\":8,\"heads\":2,\"layers\":1,\"residual\":false,"
      "\"causal\":true,\"loss\":\"linear\"}",
      "{\"n\":40,\"d\":6,\"heads\":1,\"layers\":1,\"residual\":false,"
      "\"loss\":\"mse\"}"};
  for (int ci = 0; ci < 2; ci++)
    for (int g = 2; g <= 8; g += 2) {
      fcase k;
      fcase_make(&k, cfg[ci], seed, 0.7);
      ar_tensorset ex, ap;
      if (run("exact64", &k, 0, "taylor", &ex) ||
          run("approx", &k, g, "taylor", &ap)) {
        t_failures++;
        fcase_free(&k);
        return;
      }
      int64_t d = k.c.cfg.d, dh = d / k.c.cfg.heads;
      double bound[4], radius[4], eps[4];
      CHECK(parse_array(ar_tensorset_get_meta(&ap, "attnref.approx.bound_attn_out"),
                        bound, 4) == 1 &&
                parse_array(ar_tensorset_get_meta(&ap, "attnref.approx.radius"),
                            radius, 4) == 1 &&
                parse_array(ar_tensorset_get_meta(&ap, "attnref.approx.eps"),
                            eps, 4) == 1,
            "per-layer metadata arrays missing or not of length 1");
      /* rank = C(dh+g, g) */
      double C = 1;
      for (int t = 1; t <= g; t++) C = C * (dh + t) / t;
      const char *rank = ar_tensorset_get_meta(&ap, "attnref.approx.rank");
      CHECK(rank && atof(rank) == C, "rank %s, want %.0f", rank ? rank : "-", C);
      CHECK(eps[0] > 0 && radius[0] > 0, "eps %g radius %g", eps[0], radius[0]);
      /* |act~ - act| <= bound * max_c sum_k |Wo_kc| */
      double wmax = wo_colsum_max(k.c.layer[0].wo, d);
      const ar_tensor *a = ar_tensorset_find(&ap, "act.layers.0"),
                      *e = ar_tensorset_find(&ex, "act.layers.0");
      double err = 0;
      for (int64_t i = 0; a && e && i < e->numel; i++)
        err = fmax(err, fabs(a->data[i] - e->data[i]));
      double lim = bound[0] * wmax * (1 + 1e-12) + 1e-14;
      printf("bound check %s g=%d: R=%.3f eps=%.2e |act~-act| %.3e <= %.3e\n",
             cfg[ci], g, radius[0], eps[0], err, lim);
      CHECK(a && e && err <= lim,
            "seed=%llu %s g=%d: |act~ - act| = %.3g above the bound %.3g",
            (unsigned long long)seed, cfg[ci], g, err, lim);
      ar_tensorset_free(&ex), ar_tensorset_free(&ap);
      fcase_free(&k);
    }
}

static void bad_options_refused(void) {
  fcase k;
  fcase_make(&k, "{\"n\":8,\"d\":4,\"heads\":1,\"layers\":1}", seed, 1);
  const ar_path *p = ar_path_find("approx");
  if (!p) return;
  struct {
    int degree;
    const char *poly;
  } bad[] = {{49, "chebyshev"}, {4, "legendre"}, {-1, "taylor"}};
  for (int i = 0; i < 3; i++) {
    ar_path_options o;
    ar_path_options_defaults(&o);
    o.degree = bad[i].degree, o.poly = bad[i].poly;
    ar_tensorset out;
    ar_tensorset_init(&out);
    ar_error err = {0};
    int rc = ar_path_run(p, &k.c, &o, &out, &err);
    CHECK(rc == AR_FAIL_INPUT && strstr(err.msg, "approx"),
          "degree %d poly %s: rc %d (%s), want an input error", bad[i].degree,
          bad[i].poly, rc, err.msg);
    ar_tensorset_free(&out);
  }
  fcase_free(&k);
  /* d_h = 64: g = 4 needs r = C(68,4) = 814385 features and backward states
   * of r x (64^2 + 128) doubles (tens of GB); g = 8 has r > 2^31. Both are
   * refused up front (memory_needed against the default --max-memory), not
   * attempted. */
  fcase_make(&k, "{\"n\":8,\"d\":64,\"heads\":1,\"layers\":1}", seed, 1);
  for (int g = 4; g <= 8; g += 4) {
    ar_path_options o;
    ar_path_options_defaults(&o);
    o.degree = g;
    int64_t need = p->memory_needed(&k.c.cfg, &o);
    ar_tensorset out;
    ar_tensorset_init(&out);
    ar_error err = {0};
    int rc = ar_path_run(p, &k.c, &o, &out, &err);
    printf("d_h=64 g=%d: memory_needed %lld, rc %d: %s\n", g, (long long)need,
           rc, err.msg);
    CHECK((need < 0 || need > o.max_memory) && rc == AR_FAIL_INPUT,
          "d_h=64 g=%d: memory_needed %lld, rc %d", g, (long long)need, rc);
    ar_tensorset_free(&out);
  }
  fcase_free(&k);
}

int main(int argc, char **argv) {
  seed = argc > 1 ? strtoull(argv[1], NULL, 0) : 4242;
  converges_to_exact64();
  metadata_bound_holds();
  bad_options_refused();
  if (t_failures) fprintf(stderr, "%d failure(s), seed %llu\n", t_failures,
                        (unsigned long long)seed);
  return t_failures ? 1 : 0;
}
