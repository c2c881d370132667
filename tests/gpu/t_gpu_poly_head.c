/* The GPU polynomial-method heads (gpu/attn_poly.h) against fast/'s CPU
 * approx head (fa_head_approx, itself tested against naive O(n^2) heads by
 * t-approx-head), on the same random Q, K, U, G: forward O and the saved
 * denominators D~, backward dQ dK dU, with a head embedded in wider rows
 * (ld > dh; the other columns must stay untouched).
 *   gpu-approx64 (double): equal to the CPU head up to rounding, max error
 *     <= 1e-12 times the output's largest entry (measured: 2e-15);
 *   gpu-approx (float products, double sums across blocks): <= 2e-5 of it
 *     (measured in the emulation: 6e-7, float roundoff 6e-8 times the
 *     rank-r sums' growth; a lost block or wrong scan is an error of order 1);
 * over n = 1 .. 300 (partial blocks), d_h 1 .. 7, degree 0 .. 6, Taylor
 * and Chebyshev, causal or not, and blockings that cut the rows into
 * chunks of a few blocks (the batched block states, the exclusive
 * prefix / suffix scans across chunks). Exits 77 without a device.
 * Usage: t_gpu_poly_head [seed]. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fast/attn_approx.h"
#include "gpu/attn_poly.h"
#include "gpu/gpu_rt.h"
#include "gpuutil.h"
#include "headcheck.h"
#include "src/gen.h"

typedef struct spec {
  int64_t n, dh;
  int causal, g, cheb;
  int64_t block, chunk; /* GPU blocking (0: default) */
} spec;

/* max |a - b| / max(max |b|, 0.01) over the head's columns: outputs that
 * are 0 in exact arithmetic (dQ = dK = 0 when n = 1) are measured against
 * 0.01, far below the size of any other output of inputs in [-1, 1] */
static double rel_err(const double *a, const double *b, int64_t n, int64_t dh,
                      int64_t ld, int64_t off) {
  double num = 0, den = 0;
  for (int64_t i = 0; i < n; i++)
    for (int64_t c = off; c < off + dh; c++) {
      double e = fabs(a[i * ld + c] - b[i * ld + c]);
      if (!(e <= num)) num = e;
      if (fabs(b[i * ld + c]) > den) den = fabs(b[i * ld + c]);
    }
  return num / (den > 0.01 ? den : 0.01);
}

static void run_spec(const spec *s, uint64_t seed) {
  const int64_t n = s->n, dh = s->dh, off = 2, ld = dh + 3, cnt = n * ld;
  ar_rng rng;
  ar_rng_seed(&rng, seed);
  /* q k u g; then CPU o dq dk du; then GPU o dq dk du */
  double *buf[12];
  for (int a = 0; a < 12; a++) {
    buf[a] = malloc((size_t)cnt * sizeof(double));
    if (!buf[a]) exit(3);
    for (int64_t i = 0; i < cnt; i++)
      buf[a][i] = a < 4 ? 2 * ar_rng_uniform(&rng) - 1 : HEAD_SENTINEL;
  }
  double tau = 1 / sqrt((double)dh);
  fa_head h = {n, dh, ld, s->causal, tau};
  fa_head_params p = {s->g, s->cheb, 0};
  double *Dc = malloc((size_t)n * sizeof(double)),
         *Dg = malloc((size_t)n * sizeof(double));
  if (!Dc || !Dg) exit(3);
  double *q = buf[0] + off, *k = buf[1] + off, *u = buf[2] + off,
         *g = buf[3] + off;
  CHECK(fa_head_approx.forward(&h, &p, q, k, u, buf[4] + off, Dc) == 0,
        "cpu forward");
  CHECK(fa_head_approx.backward(&h, &p, q, k, u, buf[4] + off, g, Dc,
                                buf[5] + off, buf[6] + off, buf[7] + off) == 0,
        "cpu backward");
  const char *names[4] = {"O", "dQ", "dK", "dU"};
  for (int bits = 64; bits >= 32; bits -= 32) {
    const fa_head_impl *hd = bits == 64 ? &gpu_head_poly64 : &gpu_head_poly32;
    double bound = bits == 64 ? 1e-12 : 2e-5;
    for (int a = 8; a < 12; a++)
      for (int64_t i = 0; i < cnt; i++) buf[a][i] = HEAD_SENTINEL;
    gpu_poly_set_blocking(s->block, s->chunk);
    /* the GPU backward is fed the CPU's O: both differentiate the same
     * forward, so their gradients compare directly */
    int fr = hd->forward(&h, &p, q, k, u, buf[8] + off, Dg);
    int br = hd->backward(&h, &p, q, k, u, buf[4] + off, g, Dc, buf[9] + off,
                          buf[10] + off, buf[11] + off);
    gpu_poly_set_blocking(0, 0);
    CHECK(fr == 0 && br == 0, "gpu-approx%s failed: %s",
          bits == 64 ? "64" : "", gpu_last_error());
    if (fr || br) continue;
    for (int a = 0; a < 4; a++) {
      double e = rel_err(buf[8 + a], buf[4 + a], n, dh, ld, off);
      CHECK(e <= bound,
            "gpu-approx%d %s: error %.3g > %.1g of max (n=%lld dh=%lld "
            "causal=%d g=%d %s block=%lld chunk=%lld seed=%llu)",
            bits, names[a], e, bound, (long long)n, (long long)dh, s->causal,
            s->g, s->cheb ? "chebyshev" : "taylor", (long long)s->block,
            (long long)s->chunk, (unsigned long long)seed);
      CHECK(head_untouched(buf[8 + a], n, ld, off, dh),
            "gpu-approx%d %s wrote outside its columns (n=%lld dh=%lld)", bits,
            names[a], (long long)n, (long long)dh);
    }
    double de = 0, dm = 0;
    for (int64_t i = 0; i < n; i++) {
      if (fabs(Dg[i] - Dc[i]) > de) de = fabs(Dg[i] - Dc[i]);
      if (fabs(Dc[i]) > dm) dm = fabs(Dc[i]);
    }
    CHECK(de <= bound * dm, "gpu-approx%d D~: error %.3g of max (n=%lld "
          "causal=%d g=%d seed=%llu)", bits, de / dm, (long long)n, s->causal,
          s->g, (unsigned long long)seed);
  }
  free(Dc);
  free(Dg);
  for (int a = 0; a < 12; a++) free(buf[a]);
}

int main(int argc, char **argv) {
  uint64_t seed = argc > 1 ? strtoull(argv[1], NULL, 10) : 20261125;
  gpu_test_require_device("t_gpu_poly_head");
  const spec specs[] = {
      /* n, dh, causal, g, cheb, block, chunk */
      {1, 1, 0, 2, 0, 0, 0},     {1, 3, 1, 4, 0, 0, 0},
      {5, 2, 0, 0, 0, 0, 0},     {5, 2, 1, 1, 0, 0, 0},
      {37, 4, 0, 4, 0, 0, 0},    {37, 4, 1, 4, 0, 0, 0},
      {37, 4, 1, 4, 0, 8, 2},    {37, 4, 0, 4, 0, 8, 2},
      {128, 3, 1, 6, 0, 0, 0},   {129, 3, 1, 6, 0, 0, 0},
      {129, 3, 1, 2, 1, 16, 3},  {129, 3, 0, 2, 1, 16, 3},
      {300, 7, 1, 2, 0, 32, 4},  {300, 7, 0, 2, 0, 32, 4},
      {300, 2, 1, 4, 1, 0, 0},   {300, 2, 1, 4, 1, 64, 1},
      {200, 5, 1, 3, 0, 50, 3},  {200, 5, 0, 3, 0, 50, 3},
  };
  const int count = (int)(sizeof specs / sizeof specs[0]);
  for (int i = 0; i < count; i++) run_spec(&specs[i], seed + (uint64_t)i);
  printf("t_gpu_poly_head (%s): %d specs, %d failures\n", gpu_device_name(),
         count, t_failures);
  return t_failures ? 1 : 0;
}
