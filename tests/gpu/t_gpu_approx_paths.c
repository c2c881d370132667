/* gpu-approx (float heads) and gpu-approx64 (double heads), the whole
 * double model on the device (model_gpu.h), as whole paths:
 *  - against fast/'s CPU approx path with the same degree and polynomial
 *    (g = 2, 4, Taylor and Chebyshev) on small cases with heads, causal,
 *    every norm, MLP (relu, gelu) or none, and each loss: gpu-approx64 within 1e-11 and gpu-approx
 *    within 1e-4 of it (max error over a tensor / its largest entry, worst
 *    tensor); the metadata (rank, degree, per-layer arrays) equal;
 *  - with eps(g,R) < 1e-16 (g = 24, entries in [-0.5, 0.5]) both equal the
 *    MPFR truth: gpu-approx64 to 1e-10, gpu-approx to 1e-4;
 *  - the a-priori bound of the metadata: one layer, no norm, no MLP,
 *    residual off, so act.layers.0 = O Wo with an exact input and
 *    |act~ - act|_ic <= bound_attn_out[0] max_c sum_k |Wo_kc| against the
 *    truth (gpu-approx: plus float roundoff, 1e-5 of max |act|);
 *  - n = 2048, causal and not, against the CPU approx path, with the rows
 *    cut into chunks of 3 blocks of 128 (prefix and suffix states carried
 *    across chunks) and with the default blocking;
 *  - bad options (degree, polynomial) and a rank too large for memory are
 *    input errors before anything runs.
 * Exits 77 without a device. Usage: t_gpu_approx_paths [seed] [large-n]. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fast/fast.h"
#include "pathutil.h"
#include "gpu/attn_poly.h"
#include "gpu/gpu.h"
#include "gpuutil.h"
#include "ref/ref.h"
#include "src/path.h"

/* "[a,b,...]" or a single number into v; null -> INFINITY; count or -1 */
static int parse_meta(const char *s, double *v, int max) {
  if (s && *s != '[') {
    v[0] = strtod(s, NULL);
    return 1;
  }
  return parse_array(s, v, max);
}

/* metadata key equal to the CPU's: numbers within rel (the layers after
 * the first see inputs that differ by the path's own rounding) */
static void same_meta(const ar_tensorset *a, const ar_tensorset *b,
                      const char *key, double rel, const char *what) {
  const char *x = ar_tensorset_get_meta(a, key), *y = ar_tensorset_get_meta(b, key);
  double u[16], w[16];
  int nu = parse_meta(x, u, 16), nw = parse_meta(y, w, 16);
  int same = x && y && (strcmp(x, y) == 0 || (nu > 0 && nu == nw));
  for (int i = 0; same && strcmp(x, y) != 0 && i < nu; i++)
    same = u[i] == w[i] || fabs(u[i] - w[i]) <= rel * fabs(w[i]);
  CHECK(same, "%s: %s is %s, CPU approx has %s", what, key, x ? x : "(none)",
        y ? y : "(none)");
}

static const char *small[] = {
    "{\"n\":24,\"d\":8,\"heads\":2,\"layers\":2,\"causal\":true,"
    "\"norm\":\"layernorm\",\"mlp\":12,\"activation\":\"gelu\","
    "\"loss\":\"xent\",\"vocab\":7}",
    "{\"n\":30,\"d\":4,\"heads\":1,\"layers\":1,\"residual\":false,"
    "\"loss\":\"linear\"}",
    "{\"n\":20,\"d\":6,\"heads\":3,\"layers\":3,\"norm\":\"rmsnorm\","
    "\"mlp\":5,\"loss\":\"mse\"}",
    /* norm none with a relu MLP, xent, causal */
    "{\"n\":16,\"d\":4,\"heads\":2,\"layers\":2,\"causal\":true,"
    "\"mlp\":6,\"activation\":\"relu\",\"loss\":\"xent\",\"vocab\":5}",
};

static void versus_cpu_and_truth(uint64_t seed) {
  for (size_t ci = 0; ci < sizeof small / sizeof *small; ci++) {
    fcase k;
    fcase_make(&k, small[ci], seed + ci, 0.5);
    for (int cheb = 0; cheb < 2; cheb++)
      for (int g = 2; g <= 4; g += 2) {
        const char *poly = cheb ? "chebyshev" : "taylor";
        ar_tensorset cpu, a64, a32;
        int rc = run_ok(&ar_path_approx, &k, g, poly, &cpu);
        rc |= run_ok(&ar_path_gpu_approx64, &k, g, poly, &a64);
        rc |= run_ok(&ar_path_gpu_approx, &k, g, poly, &a32);
        if (!rc) {
          const char *w64 = "?", *w32 = "?";
          double e64 = worst_rel(&a64, &cpu, &w64), e32 = worst_rel(&a32, &cpu, &w32);
          printf("%s g=%d %s: vs CPU approx: gpu-approx64 %.2e (%s), "
                 "gpu-approx %.2e (%s)\n",
                 poly, g, small[ci], e64, w64, e32, w32);
          CHECK(e64 <= 1e-11, "seed %llu %s g=%d %s: gpu-approx64 %.3g (%s)",
                (unsigned long long)k.seed, small[ci], g, poly, e64, w64);
          CHECK(e32 <= 1e-4, "seed %llu %s g=%d %s: gpu-approx %.3g (%s)",
                (unsigned long long)k.seed, small[ci], g, poly, e32, w32);
          const char *keys[] = {"attnref.approx.rank", "attnref.approx.degree",
                                "attnref.approx.poly", "attnref.approx.eps",
                                "attnref.approx.radius",
                                "attnref.approx.bound_attn_out"};
          for (int m = 0; m < 6; m++) {
            same_meta(&a64, &cpu, keys[m], 1e-9, "gpu-approx64");
            same_meta(&a32, &cpu, keys[m], 1e-4, "gpu-approx");
          }
        }
        ar_tensorset_free(&cpu);
        ar_tensorset_free(&a64);
        ar_tensorset_free(&a32);
      }
    /* eps < 1e-16: the truth itself */
    ar_tensorset truth, a64, a32;
    run_path(&ar_path_ref, &k, 0, &truth);
    int rc = run_ok(&ar_path_gpu_approx64, &k, 24, "taylor", &a64);
    rc |= run_ok(&ar_path_gpu_approx, &k, 24, "taylor", &a32);
    if (!rc) {
      const char *w64 = "?", *w32 = "?";
      double e64 = worst_rel(&a64, &truth, &w64), e32 = worst_rel(&a32, &truth, &w32);
      printf("taylor g=24 %s: vs ref: gpu-approx64 %.2e (%s), gpu-approx "
             "%.2e (%s)\n", small[ci], e64, w64, e32, w32);
      CHECK(e64 <= 1e-10, "seed %llu %s g=24: gpu-approx64 vs ref %.3g (%s)",
            (unsigned long long)k.seed, small[ci], e64, w64);
      CHECK(e32 <= 1e-4, "seed %llu %s g=24: gpu-approx vs ref %.3g (%s)",
            (unsigned long long)k.seed, small[ci], e32, w32);
    }
    ar_tensorset_free(&truth);
    ar_tensorset_free(&a64);
    ar_tensorset_free(&a32);
    fcase_free(&k);
  }
}

/* the single layer's bound_attn_out from "[v]" (null: no bound) */
static double first_of(const char *s) {
  double v[1];
  return parse_meta(s, v, 1) == 1 ? v[0] : NAN;
}

static void metadata_bound_holds(uint64_t seed) {
  const char *cfg[] = {
      "{\"n\":40,\"d\":8,\"heads\":2,\"layers\":1,\"residual\":false,"
      "\"causal\":true,\"loss\":\"linear\"}",
      "{\"n\":40,\"d\":6,\"heads\":1,\"layers\":1,\"residual\":false,"
      "\"loss\":\"mse\"}"};
  for (int ci = 0; ci < 2; ci++) {
    fcase k;
    fcase_make(&k, cfg[ci], seed + (uint64_t)ci, 0.7);
    ar_tensorset truth;
    run_path(&ar_path_ref, &k, 0, &truth);
    const int64_t d = k.c.cfg.d;
    double wmax = wo_colsum_max(k.c.layer[0].wo, d);
    const ar_tensor *e = ar_tensorset_find(&truth, "act.layers.0");
    double amax = 0;
    for (int64_t i = 0; e && i < e->numel; i++) amax = fmax(amax, fabs(e->data[i]));
    for (int g = 2; g <= 8; g += 2)
      for (int wide = 0; wide < 2; wide++) {
        const ar_path *p = wide ? &ar_path_gpu_approx64 : &ar_path_gpu_approx;
        ar_tensorset ap;
        if (run_ok(p, &k, g, "taylor", &ap)) continue;
        double bound = first_of(ar_tensorset_get_meta(&ap, "attnref.approx.bound_attn_out"));
        const ar_tensor *a = ar_tensorset_find(&ap, "act.layers.0");
        double err = 0;
        for (int64_t i = 0; a && e && i < e->numel; i++)
          err = fmax(err, fabs(a->data[i] - e->data[i]));
        double lim = bound * wmax * (1 + 1e-12) + (wide ? 1e-14 : 1e-5 * amax);
        printf("bound %s %s g=%d: |act~-act| %.3e <= %.3e\n", p->name, cfg[ci],
               g, err, lim);
        CHECK(a && e && err <= lim,
              "seed=%llu %s %s g=%d: |act~ - act| = %.3g above the bound %.3g",
              (unsigned long long)k.seed, p->name, cfg[ci], g, err, lim);
        ar_tensorset_free(&ap);
      }
    ar_tensorset_free(&truth);
    fcase_free(&k);
  }
}

static void large_n(uint64_t seed, int64_t n) {
  for (int causal = 0; causal < 2; causal++) {
    char json[256];
    snprintf(json, sizeof json,
             "{\"n\":%lld,\"d\":8,\"heads\":2,\"layers\":2,\"causal\":%s,"
             "\"norm\":\"layernorm\",\"mlp\":16,\"activation\":\"gelu\"}",
             (long long)n, causal ? "true" : "false");
    fcase k;
    fcase_make(&k, json, seed + 200 + (uint64_t)causal, 0.5);
    ar_tensorset cpu;
    if (run_ok(&ar_path_approx, &k, 4, "taylor", &cpu)) {
      fcase_free(&k);
      continue;
    }
    for (int chunked = 0; chunked < 2; chunked++) {
      gpu_poly_set_blocking(chunked ? 128 : 0, chunked ? 3 : 0);
      ar_tensorset a64, a32;
      int rc = run_ok(&ar_path_gpu_approx64, &k, 4, "taylor", &a64);
      rc |= run_ok(&ar_path_gpu_approx, &k, 4, "taylor", &a32);
      gpu_poly_set_blocking(0, 0);
      if (!rc) {
        const char *w64 = "?", *w32 = "?";
        double e64 = worst_rel(&a64, &cpu, &w64), e32 = worst_rel(&a32, &cpu, &w32);
        printf("%s %s: vs CPU approx: gpu-approx64 %.2e (%s), gpu-approx "
               "%.2e (%s)\n", json, chunked ? "3-block chunks" : "default",
               e64, w64, e32, w32);
        CHECK(e64 <= 1e-11, "seed %llu %s: gpu-approx64 %.3g (%s)",
              (unsigned long long)k.seed, json, e64, w64);
        CHECK(e32 <= 1e-4, "seed %llu %s: gpu-approx %.3g (%s)",
              (unsigned long long)k.seed, json, e32, w32);
      }
      ar_tensorset_free(&a64);
      ar_tensorset_free(&a32);
    }
    ar_tensorset_free(&cpu);
    fcase_free(&k);
  }
}

static void bad_options_refused(uint64_t seed) {
  fcase k;
  fcase_make(&k, "{\"n\":8,\"d\":4,\"heads\":1,\"layers\":1}", seed, 1);
  struct {
    int degree;
    const char *poly;
  } bad[] = {{49, "chebyshev"}, {4, "legendre"}, {-1, "taylor"}};
  for (int i = 0; i < 3; i++) {
    ar_tensorset out;
    ar_error err;
    int rc = run_opts(&ar_path_gpu_approx, &k, bad[i].degree, bad[i].poly,
                      &out, &err);
    CHECK(rc == AR_FAIL_INPUT && strstr(err.msg, "gpu-approx"),
          "degree %d poly %s: rc %d (%s), want an input error", bad[i].degree,
          bad[i].poly, rc, err.msg);
    ar_tensorset_free(&out);
  }
  fcase_free(&k);
  /* d_h = 64, g = 4: r = C(68,4) = 814385, states of r x 4224 values */
  fcase_make(&k, "{\"n\":8,\"d\":64,\"heads\":1,\"layers\":1}", seed, 1);
  ar_tensorset out;
  ar_error err;
  int rc = run_opts(&ar_path_gpu_approx, &k, 4, "taylor", &out, &err);
  CHECK(rc == AR_FAIL_INPUT && strstr(err.msg, "max-memory"),
        "d_h=64 g=4: rc %d (%s), want the memory refusal", rc, err.msg);
  ar_tensorset_free(&out);
  fcase_free(&k);
}

int main(int argc, char **argv) {
  uint64_t seed = argc > 1 ? strtoull(argv[1], NULL, 10) : 4243;
  int64_t large = argc > 2 ? strtoll(argv[2], NULL, 10) : 2048;
  gpu_test_require_device("t_gpu_approx_paths");
#ifdef ATTNREF_HAVE_CUDA
  CHECK(ar_path_find("gpu-approx") == &ar_path_gpu_approx &&
            ar_path_find("gpu-approx64") == &ar_path_gpu_approx64,
        "gpu-approx / gpu-approx64 not registered");
#endif
  versus_cpu_and_truth(seed);
  metadata_bound_holds(seed);
  large_n(seed, large);
  bad_options_refused(seed);
  printf("t_gpu_approx_paths: %d failures (seed %llu)\n", t_failures,
         (unsigned long long)seed);
  return t_failures ? 1 : 0;
}
