/* The vectorizable exp of the attention tiles (fast/vexp.h) against libm's
 * expl (long double): at most 2 ulps over the whole range it serves (double
 * [-708, 709], float [-87, 88]), exactly 0 below it and for -inf, exact at
 * 0. Usage: t_fast_vexp [seed]. */
#include <math.h>
#include <stdlib.h>

#include "fast/vexp.h"
#include "pathutil.h"
#include "src/gen.h"

/* |computed - exact| in ulps of the double (or float) nearest exact */
static double ulps64(double c, long double t) {
  int e;
  frexpl(t, &e);
  return (double)(fabsl((long double)c - t) / ldexpl(1, e - 53));
}

static double ulps32(float c, long double t) {
  int e;
  frexpl(t, &e);
  return (double)(fabsl((long double)c - t) / ldexpl(1, e - 24));
}

int main(int argc, char **argv) {
  uint64_t seed = argc > 1 ? strtoull(argv[1], NULL, 10) : 5;
  ar_rng r;
  ar_rng_seed(&r, seed);
  double w64 = 0, w32 = 0, at64 = 0, at32 = 0;
  for (long i = 0; i < 2000000; i++) {
    /* half a sweep of the range, half random points near 0 (the tiles'
     * arguments are mostly in [-30, 0]) */
    double u = ar_rng_uniform(&r);
    double x = i % 2 ? -708 + u * 1417 : -30 * u;
    double e = ulps64(fa_exp64(x), expl((long double)x));
    if (e > w64) w64 = e, at64 = x;
    float xf = (float)(i % 2 ? -87 + u * 175 : -30 * u);
    double ef = ulps32(fa_exp32(xf), expl((long double)xf));
    if (ef > w32) w32 = ef, at32 = xf;
  }
  CHECK(w64 <= 2, "fa_exp64: %.3g ulps at x = %.17g (seed %llu)", w64, at64,
        (unsigned long long)seed);
  CHECK(w32 <= 2, "fa_exp32: %.3g ulps at x = %.9g (seed %llu)", w32, at32,
        (unsigned long long)seed);
  CHECK(fa_exp64(0) == 1 && fa_exp32(0) == 1, "exp(0) != 1");
  CHECK(fa_exp64(-708.5) == 0 && fa_exp64(-INFINITY) == 0, "double flush");
  CHECK(fa_exp32(-87.5f) == 0 && fa_exp32(-INFINITY) == 0, "float flush");
  printf("t_fast_vexp: max error %.3g ulps (double, at %.6g), %.3g ulps "
         "(float, at %.6g); %d failures\n", w64, at64, w32, at32, t_failures);
  return t_failures ? 1 : 0;
}
