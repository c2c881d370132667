/* The check library in memory: ULPs per format against the formats' own
 * spacing, the tolerance rule at its boundary, metrics, verdict reasons. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "check.h"
#include "gen.h"
#include "safetensors.h"

static ar_tensor *vec(ar_tensorset *s, const char *name, ar_dtype dt, int n,
                      const double *v) {
  ar_error err;
  ar_error_clear(&err);
  int64_t dim = n;
  ar_tensor *t = ar_tensorset_add(s, name, dt, 1, &dim, &err);
  if (!t) {
    fprintf(stderr, "%s\n", err.msg);
    exit(3);
  }
  for (int i = 0; i < n; i++) t->data[i] = v[i];
  return t;
}

/* r <- the comparison of one truth tensor with one candidate tensor */
static void compare1(const double *t, const double *c, int n, ar_dtype cdt,
                     const char *profile, ar_check_result *r) {
  ar_tensorset ts, cs;
  ar_tensorset_init(&ts);
  ar_tensorset_init(&cs);
  vec(&ts, "v", AR_F64, n, t);
  vec(&cs, "v", cdt, n, c);
  ar_error err;
  ar_error_clear(&err);
  int rc = ar_check_compare(&ts, &cs, ar_check_profile_find(profile), r, &err);
  CHECK(rc == AR_OK && r->count == 1, "compare: %s", err.msg);
  ar_tensorset_free(&ts);
  ar_tensorset_free(&cs);
}

/* ulp of every format at once-representable values equals the distance to
 * the next value of that format (nextafter / the next bit pattern) */
static void test_ulp_matches_format_spacing(uint64_t seed) {
  ar_rng rng;
  ar_rng_seed(&rng, seed);
  for (int k = 0; k < 20000; k++) {
    /* magnitudes across the whole range, subnormals included */
    double m = ldexp(ar_rng_uniform(&rng) + 0.5,
                     (int)ar_rng_below(&rng, 300) - 160);
    float f = (float)m;
    if (isfinite(f) && f != 0) {
      double want = (double)nextafterf(f, INFINITY) - (double)f;
      CHECK(ar_ulp(f, AR_F32) == want, "F32 ulp(%a) = %a, spacing %a (seed %llu)",
            (double)f, ar_ulp(f, AR_F32), want, (unsigned long long)seed);
      CHECK(ar_ulp(-f, AR_F32) == want, "F32 ulp(-%a)", (double)f);
    }
    double want64 = nextafter(m, INFINITY) - m;
    CHECK(ar_ulp(m, AR_F64) == want64, "F64 ulp(%a) = %a, spacing %a", m,
          ar_ulp(m, AR_F64), want64);
    uint16_t h = ar_double_to_f16(m), b = ar_double_to_bf16(m);
    if ((h & 0x7fff) != 0 && (h & 0x7fff) < 0x7bff) {
      double hv = ar_f16_to_double(h);
      double want = ar_f16_to_double((uint16_t)(h + 1)) - hv;
      CHECK(ar_ulp(hv, AR_F16) == want, "F16 ulp(%a) = %a, spacing %a", hv,
            ar_ulp(hv, AR_F16), want);
    }
    if ((b & 0x7fff) != 0 && (b & 0x7fff) < 0x7f7f) {
      double bv = ar_bf16_to_double(b);
      double want = ar_bf16_to_double((uint16_t)(b + 1)) - bv;
      CHECK(ar_ulp(bv, AR_BF16) == want, "BF16 ulp(%a) = %a, spacing %a", bv,
            ar_ulp(bv, AR_BF16), want);
    }
  }
  /* zero: the subnormal spacing of each format */
  CHECK(ar_ulp(0, AR_F64) == ldexp(1, -1074), "F64 ulp(0)");
  CHECK(ar_ulp(0, AR_F32) == ldexp(1, -149), "F32 ulp(0)");
  CHECK(ar_ulp(0, AR_F16) == ldexp(1, -24), "F16 ulp(0)");
  CHECK(ar_ulp(0, AR_BF16) == ldexp(1, -133), "BF16 ulp(0)");
}

/* t = 1, c = 1 + 2^-23 stored as F32: one F32 ulp (2^29 F64 ulps) */
static void test_f32_candidate_counts_f32_ulps(void) {
  double t[1] = {1}, c[1] = {1 + ldexp(1, -23)};
  ar_check_result r;
  compare1(t, c, 1, AR_F32, "fp32", &r);
  CHECK(r.tensors[0].max_ulp == 1.0, "max_ulp %g, expected 1",
        r.tensors[0].max_ulp);
  CHECK(r.tensors[0].dtype == AR_F32, "dtype");
  ar_check_result_free(&r);
  compare1(t, c, 1, AR_F64, "fp32", &r);
  CHECK(r.tensors[0].max_ulp == ldexp(1, 29), "F64 candidate: %g ulps",
        r.tensors[0].max_ulp);
  ar_check_result_free(&r);
  double h[1] = {1 + ldexp(1, -10)};
  compare1(t, h, 1, AR_F16, "fp16", &r);
  CHECK(r.tensors[0].max_ulp == 1.0, "F16: %g ulps", r.tensors[0].max_ulp);
  ar_check_result_free(&r);
}

/* |c - t| <= atol*max|t| + rtol*|t|: atol scales with the largest entry */
static void test_tolerance_is_relative_to_max(void) {
  const ar_check_profile *p = ar_check_profile_find("fp64");
  double t[2] = {1000, 0};
  double inside[2] = {1000, 0.5 * p->atol * 1000};
  double outside[2] = {1000, 2 * p->atol * 1000};
  ar_check_result r;
  compare1(t, inside, 2, AR_F64, "fp64", &r);
  CHECK(r.npass == 1, "inside atol*max fails: %s", r.tensors[0].reason);
  CHECK(fabs(r.tensors[0].worst_ratio - 0.5) < 1e-12, "ratio %g",
        r.tensors[0].worst_ratio);
  ar_check_result_free(&r);
  compare1(t, outside, 2, AR_F64, "fp64", &r);
  CHECK(r.npass == 0 && r.tensors[0].violations == 1, "outside passes");
  CHECK(r.tensors[0].worst_index == 1, "worst index %lld",
        (long long)r.tensors[0].worst_index);
  CHECK(strcmp(r.tensors[0].worst, "[1]") == 0, "worst %s", r.tensors[0].worst);
  ar_check_result_free(&r);
  /* units do not matter: the same relative pattern scaled by 1e-200 */
  double ts[2] = {1000e-200, 0}, cs[2] = {1000e-200, 0.5 * p->atol * 1000e-200};
  compare1(ts, cs, 2, AR_F64, "fp64", &r);
  CHECK(r.npass == 1, "scaled pattern fails");
  ar_check_result_free(&r);
  /* all-zero truth: only exact zeros pass */
  double z[2] = {0, 0}, zc[2] = {0, 1e-300};
  compare1(z, z, 2, AR_F64, "fp64", &r);
  CHECK(r.npass == 1 && r.tensors[0].normwise == 0, "zeros vs zeros");
  ar_check_result_free(&r);
  compare1(z, zc, 2, AR_F64, "fp64", &r);
  CHECK(r.npass == 0, "zeros vs 1e-300 passes");
  ar_check_result_free(&r);
}

/* one element 1e-10 relative off at the largest entry: fp64 fails, fp32 passes */
static void test_perturbation_by_profile(uint64_t seed) {
  ar_rng rng;
  ar_rng_seed(&rng, seed);
  enum { N = 257 };
  double t[N], c[N];
  int k = (int)ar_rng_below(&rng, N);
  for (int i = 0; i < N; i++) t[i] = c[i] = 2 * ar_rng_uniform(&rng) - 1;
  t[k] = c[k] = 1.5; /* the largest magnitude */
  c[k] = t[k] * (1 + 1e-10);
  ar_check_result r;
  compare1(t, c, N, AR_F64, "fp64", &r);
  CHECK(r.npass == 0 && r.tensors[0].worst_index == k,
        "fp64: npass %zu worst %lld, expected fail at %d (seed %llu)", r.npass,
        (long long)r.tensors[0].worst_index, k, (unsigned long long)seed);
  CHECK(fabs(r.tensors[0].max_rel / 1e-10 - 1) < 1e-5, "max_rel %g",
        r.tensors[0].max_rel);
  ar_check_result_free(&r);
  compare1(t, c, N, AR_F64, "fp32", &r);
  CHECK(r.npass == 1, "fp32 fails: %s (seed %llu)", r.tensors[0].reason,
        (unsigned long long)seed);
  ar_check_result_free(&r);
}

static void test_metrics_and_reasons(void) {
  /* normwise ||(0, 0.5)|| / ||(3, 4)|| = 0.1 */
  double t[2] = {3, 4}, c[2] = {3, 4.5};
  ar_check_result r;
  compare1(t, c, 2, AR_F64, "bf16", &r);
  CHECK(fabs(r.tensors[0].normwise - 0.1) < 1e-15, "normwise %.17g",
        r.tensors[0].normwise);
  CHECK(r.tensors[0].max_abs == 0.5 && r.tensors[0].max_rel == 0.125,
        "max_abs %g max_rel %g", r.tensors[0].max_abs, r.tensors[0].max_rel);
  ar_check_result_free(&r);
  double n[2] = {3, NAN}, inf[2] = {INFINITY, 4};
  compare1(t, n, 2, AR_F64, "bf16", &r);
  CHECK(r.npass == 0 && r.tensors[0].nonfinite == 1 &&
            strstr(r.tensors[0].reason, "non-finite"),
        "NaN: %s", r.tensors[0].reason);
  ar_check_result_free(&r);
  compare1(t, inf, 2, AR_F64, "bf16", &r);
  CHECK(r.npass == 0 && r.tensors[0].worst_index == 0, "Inf passes");
  ar_check_result_free(&r);

  /* missing / shape / extra / @lo, and multi-dimensional worst index */
  ar_tensorset ts, cs;
  ar_tensorset_init(&ts);
  ar_tensorset_init(&cs);
  ar_error err;
  ar_error_clear(&err);
  ar_tensor *m = ar_tensorset_add_matrix(&ts, "m", 2, 3, &err);
  ar_tensor *mc = ar_tensorset_add_matrix(&cs, "m", 2, 3, &err);
  for (int i = 0; i < 6; i++) m->data[i] = mc->data[i] = i + 1;
  mc->data[4] = 7;
  ar_tensorset_add_matrix(&ts, "w", 2, 3, &err);
  ar_tensorset_add_matrix(&cs, "w", 3, 2, &err);
  ar_tensorset_add_scalar(&ts, "loss", 1.0, &err);
  ar_tensorset_add_scalar(&ts, "loss@lo", 1e-20, &err);
  ar_tensorset_add_scalar(&cs, "extra.one", 1.0, &err);
  ar_tensorset_add_scalar(&cs, "loss@lo", 5.0, &err);
  CHECK(err.code == 0, "%s", err.msg);
  int rc = ar_check_compare(&ts, &cs, ar_check_profile_find("fp64"), &r, &err);
  CHECK(rc == 0 && r.count == 3 && r.npass == 0, "count %zu npass %zu",
        r.count, r.npass);
  for (size_t i = 0; i < r.count; i++) {
    const ar_check_tensor *x = &r.tensors[i];
    if (!strcmp(x->name, "loss"))
      CHECK(!x->present && !strcmp(x->reason, "missing"), "loss: %s",
            x->reason);
    else if (!strcmp(x->name, "w"))
      CHECK(!strcmp(x->reason, "shape 3x2, expected 2x3"), "w: %s", x->reason);
    else
      CHECK(!strcmp(x->worst, "[1,1]") && x->worst_index == 4, "m worst %s",
            x->worst);
  }
  CHECK(r.nextra == 1 && !strcmp(r.extra[0], "extra.one"), "extra");
  ar_check_result_free(&r);
  ar_tensorset_free(&ts);
  ar_tensorset_free(&cs);
}

int main(void) {
  uint64_t seed = t_seed("t_check_lib");
  test_ulp_matches_format_spacing(seed);
  test_f32_candidate_counts_f32_ulps();
  test_tolerance_is_relative_to_max();
  test_perturbation_by_profile(seed);
  test_metrics_and_reasons();
  return t_done("t_check_lib");
}
