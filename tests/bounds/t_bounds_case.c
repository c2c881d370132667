/* The harness's inputs and small measurements (src/bounds_case.c,
 * bounds_run.c):
 *  - uniform draws stay in [-s, s] with mean ~0 and variance ~s^2/3;
 *  - outlier draws: the count beyond 8 s (impossible for N(0,1) in 10^6
 *    draws) matches 10^3 outliers times P(|z| U[10,100] > 8), none exceeds
 *    100 s times the largest normal draw, and 1000 draws hold one outlier;
 *  - bf16 rounding: representable values are kept, others move to a
 *    neighbour within half a bf16 ulp;
 *  - the radius calibration: the approx path's reported radius of every layer
 *    equals the requested one (layer 0 to its rounding margin; later layers,
 *    fed approximate activations, to 1e-3), identities where asked;
 *  - the log-log slope of an exact power law.
 * Usage: t_bounds_case [seed] */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../fast/fast.h"
#include "src/bounds.h"
#include "src/safetensors.h"

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

static void distributions(uint64_t seed) {
  const int64_t N = 1000000;
  double *v = malloc((size_t)N * sizeof *v);
  ar_rng r;
  ar_rng_seed(&r, seed);
  bd_fill(&r, BD_UNIFORM, 3.0, v, N);
  double m = 0, q = 0, mx = 0;
  for (int64_t i = 0; i < N; i++) m += v[i], q += v[i] * v[i];
  for (int64_t i = 0; i < N; i++) mx = fmax(mx, fabs(v[i]));
  m /= N, q /= N;
  CHECK(mx <= 3.0, "seed %llu: uniform draw %g beyond the scale 3",
        (unsigned long long)seed, mx);
  CHECK(fabs(m) < 0.02 && fabs(q - 3.0) < 0.03,
        "seed %llu: uniform mean %g, mean square %g (expected 0, 3)",
        (unsigned long long)seed, m, q);

  bd_fill(&r, BD_OUTLIER, 2.0, v, N);
  int64_t far = 0;
  mx = 0;
  for (int64_t i = 0; i < N; i++) {
    if (fabs(v[i]) > 16.0) far++;
    mx = fmax(mx, fabs(v[i]));
  }
  /* P(|z| f > 8), f ~ U[10,100]: P(|z| > 8/f) averaged over f, by quadrature */
  double p = 0;
  const int K = 9000;
  for (int k = 0; k < K; k++) {
    double f = 10 + 90 * (k + 0.5) / K;
    p += erfc(8 / f / sqrt(2.0)) / K;
  }
  double expect = N * BD_OUTLIER_RATE * p, sd = sqrt(expect * (1 - p));
  CHECK(fabs((double)far - expect) < 5 * sd,
        "seed %llu: %lld outlier draws beyond 8 sigma, expected %.0f +- %.0f",
        (unsigned long long)seed, (long long)far, expect, sd);
  CHECK(mx < 2.0 * 100 * 6.5, "seed %llu: outlier draw %g is too large",
        (unsigned long long)seed, mx);
  /* 1000 draws hold one outlier (round(1e-3 n), at least one): |z| f > 6
   * (never seen in 1000 N(0,1) draws) for 93% of them; 14 of 20 is 5 sd
   * below the expected 18.6 */
  int seen = 0;
  for (uint64_t k = 0; k < 20; k++) {
    ar_rng_seed(&r, seed + k);
    bd_fill(&r, BD_OUTLIER, 1.0, v, 1000);
    double m1 = 0;
    for (int i = 0; i < 1000; i++) m1 = fmax(m1, fabs(v[i]));
    seen += m1 > 6;
  }
  CHECK(seen >= 14,
        "seed %llu: only %d of 20 sets of 1000 outlier draws "
        "hold an entry beyond 6 sigma",
        (unsigned long long)seed, seen);
  free(v);
}

static void bf16_rounding(uint64_t seed) {
  ar_tensorset s;
  ar_tensorset_init(&s);
  ar_error err;
  ar_error_clear(&err);
  ar_tensor *t = ar_tensorset_add_matrix(&s, "x", 1, 1000, &err);
  ar_rng r;
  ar_rng_seed(&r, seed);
  bd_fill(&r, BD_OUTLIER, 1.0, t->data, 1000);
  t->data[0] = 1.5;        /* exact in bf16 */
  t->data[1] = 1 + 0x1p-8; /* halfway between 1 and 1 + 2^-7: ties to even, 1 */
  double orig[1000];
  memcpy(orig, t->data, sizeof orig);
  bd_round_bf16(&s);
  CHECK(t->data[0] == 1.5, "1.5 was changed to %g", t->data[0]);
  CHECK(t->data[1] == 1.0, "1 + 2^-8 rounded to %.17g, expected 1 (even)",
        t->data[1]);
  for (int i = 2; i < 1000; i++) {
    int e;
    frexp(orig[i], &e); /* |orig| in [2^(e-1), 2^e): bf16 ulp 2^(e-8) */
    double half = ldexp(1.0, e - 9);
    CHECK(fabs(t->data[i] - orig[i]) <= half,
          "seed %llu: %.17g rounded to %.17g, more than half a bf16 ulp",
          (unsigned long long)seed, orig[i], t->data[i]);
    CHECK(ar_bf16_to_double(ar_double_to_bf16(t->data[i])) == t->data[i],
          "%.17g is not a bf16 value", t->data[i]);
  }
  ar_tensorset_free(&s);
}

static void calibration(uint64_t seed) {
  bd_case_spec s;
  bd_case_spec_defaults(&s);
  s.cfg.n = 40, s.cfg.d = 8, s.cfg.heads = 2, s.cfg.layers = 3;
  s.cfg.norm = AR_NORM_LAYER, s.cfg.loss = AR_LOSS_LINEAR;
  s.seed = seed;
  s.radius = 0.7;
  s.identity_wo = 1;
  ar_error err;
  ar_error_clear(&err);
  ar_tensorset cs, out;
  ar_tensorset_init(&cs);
  ar_tensorset_init(&out);
  ar_path_options o;
  ar_path_options_defaults(&o);
  o.degree = 8;
  double secs;
  int rc = bd_make_case(&s, &cs, &err);
  if (!rc) rc = bd_run(&ar_path_approx, &cs, &o, NULL, &out, &secs, &err);
  CHECK(rc == 0, "seed %llu: %s", (unsigned long long)seed, err.msg);
  for (int l = 0; !rc && l < 3; l++) {
    double R = bd_meta_layer(&out, "attnref.approx.radius", l);
    double tol = l ? 1e-3 : 1e-12;
    CHECK(fabs(R - 0.7) <= tol * 0.7,
          "seed %llu: layer %d radius %.9g, "
          "calibrated to 0.7",
          (unsigned long long)seed, l, R);
  }
  for (int l = 0; !rc && l < 3; l++) {
    char name[64];
    snprintf(name, sizeof name, "layers.%d.wo", l);
    const ar_tensor *t = ar_tensorset_find(&cs, name);
    for (int64_t i = 0; t && i < 8; i++)
      for (int64_t j = 0; j < 8; j++)
        CHECK(t->data[i * 8 + j] == (i == j), "%s is not the identity", name);
  }
  /* a radius with identities for wq, wk cannot be met: refused */
  s.identity_qkv = 1;
  ar_tensorset_free(&cs);
  ar_tensorset_init(&cs);
  CHECK(bd_make_case(&s, &cs, &err) == AR_FAIL_INPUT,
        "radius with identity wq/wk was not refused");
  ar_tensorset_free(&cs);
  ar_tensorset_free(&out);
}

static void slope(void) {
  double x[6], y[6];
  for (int i = 0; i < 6; i++)
    x[i] = 128.0 * (1 << i), y[i] = 3 * pow(x[i], -1.5);
  double s = bd_loglog_slope(x, y, 6);
  CHECK(fabs(s + 1.5) < 1e-12, "slope of 3 x^-1.5 is %.15g", s);
  y[2] = 0; /* skipped, the others still define the line */
  s = bd_loglog_slope(x, y, 6);
  CHECK(fabs(s + 1.5) < 1e-12, "slope without a zero point is %.15g", s);
  CHECK(isnan(bd_loglog_slope(x, y, 1)), "one point gave a slope");
}

int main(int argc, char **argv) {
  uint64_t seed = argc > 1 ? strtoull(argv[1], NULL, 10) : 4242;
  distributions(seed);
  bf16_rounding(seed);
  calibration(seed);
  slope();
  if (failures) fprintf(stderr, "t_bounds_case: %d failures\n", failures);
  return failures ? 1 : 0;
}
