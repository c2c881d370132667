/* The GPU exact head (gpu/attn_flash.h), double and float, against the
 * naive long-double head of tests/fast (explicit n x n masked softmax) with
 * the same componentwise bounds as t-fast-head: forward O and the saved
 * log-sum-exp, backward dQ dK dU; n around the GPU tiles (64 rows, 32 in
 * double past d_h = 64: 1, tile - 1, tile, tile + 1, several tiles), causal
 * or not, head dimensions 1 to 200 (every register width NB = 1..16 and
 * d_h not a multiple of 16), scores up to ~1000 (the running max), and a
 * head embedded in wider rows (ld > dh) whose other columns must be left
 * untouched. Exits 77 (skip) when there is no CUDA device.
 * Usage: t_gpu_head [seed] [quick] ("quick": fewer shapes, for the CPU
 * emulation of the kernels). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fastutil.h"
#include "gpu/attn_flash.h"
#include "gpu/gpu_rt.h"
#include "gpuutil.h"
#include "src/gen.h"

#define SENTINEL 12345.0

typedef struct spec {
  int64_t n, dh;
  int causal;
  double qscale; /* queries ~ U(-qscale, qscale): the size of the scores */
} spec;

/* |c_i - t_i| <= bound * a_i + floor for every i; prints the worst */
static int within(const double *c, const long double *t, const long double *a,
                  int64_t count, double bound, double floor, const char *what,
                  const spec *s, uint64_t seed, int bits) {
  double worst = 0;
  int64_t wi = -1;
  for (int64_t i = 0; i < count; i++) {
    double e = (double)fabsl((long double)c[i] - t[i]);
    double ratio = e / (bound * (a ? (double)a[i] : 1.0) + floor + 1e-300);
    if (!(ratio <= worst)) worst = ratio, wi = i;
  }
  if (worst > 1)
    fprintf(stderr,
            "gpu-exact%d %s: n=%lld dh=%lld causal=%d qscale=%g seed=%llu: "
            "error %.3g times its bound at %lld (c=%.17g t=%.17Lg)\n",
            bits, what, (long long)s->n, (long long)s->dh, s->causal,
            s->qscale, (unsigned long long)seed, worst, (long long)wi, c[wi],
            t[wi]);
  return worst <= 1;
}

static int untouched(const double *a, int64_t n, int64_t ld, int64_t off,
                     int64_t dh) {
  for (int64_t i = 0; i < n; i++)
    for (int64_t c = 0; c < ld; c++)
      if ((c < off || c >= off + dh) && a[i * ld + c] != SENTINEL) return 0;
  return 1;
}

static void run_spec(const spec *s, uint64_t seed, int bits) {
  const int64_t n = s->n, dh = s->dh, off = 1, ld = dh + 3, cnt = n * ld;
  ar_rng rng;
  ar_rng_seed(&rng, seed);
  double *buf[8]; /* q k u g o dq dk du, n x ld */
  for (int a = 0; a < 8; a++) {
    buf[a] = malloc((size_t)cnt * sizeof(double));
    if (!buf[a]) exit(3);
    for (int64_t i = 0; i < cnt; i++)
      buf[a][i] = a < 4 ? (2 * ar_rng_uniform(&rng) - 1) * (a == 0 ? s->qscale : 1)
                        : SENTINEL;
  }
  double *q = buf[0], *k = buf[1], *u = buf[2], *g = buf[3];
  double *o = buf[4], *dq = buf[5], *dk = buf[6], *du = buf[7];
  if (bits == 32)
    for (int a = 0; a < 4; a++)
      for (int64_t i = 0; i < cnt; i++) buf[a][i] = (float)buf[a][i];
  double tau = bits == 64 ? 1 / sqrt((double)dh) : (double)(1 / sqrtf((float)dh));
  fa_head h = {n, dh, ld, s->causal, tau};
  fa_head_params p;
  memset(&p, 0, sizeof p);
  double *saved = malloc((size_t)n * sizeof *saved);
  if (!saved) exit(3);

  if (bits == 64) {
    CHECK(gpu_head_exact64.forward(&h, &p, q + off, k + off, u + off, o + off,
                                   saved) == 0, "forward failed: %s",
          gpu_last_error());
    CHECK(gpu_head_exact64.backward(&h, &p, q + off, k + off, u + off,
                                    o + off, g + off, saved, dq + off,
                                    dk + off, du + off) == 0,
          "backward failed: %s", gpu_last_error());
  } else {
    float *f[8], *fs = malloc((size_t)n * sizeof *fs);
    for (int a = 0; a < 8; a++) {
      f[a] = malloc((size_t)cnt * sizeof(float));
      if (!f[a] || !fs) exit(3);
      for (int64_t i = 0; i < cnt; i++) f[a][i] = (float)buf[a][i];
    }
    CHECK(gpu_head_exact32.forward(&h, &p, f[0] + off, f[1] + off,
                                   f[2] + off, f[4] + off, fs) == 0,
          "forward failed: %s", gpu_last_error());
    CHECK(gpu_head_exact32.backward(&h, &p, f[0] + off, f[1] + off,
                                    f[2] + off, f[4] + off, f[3] + off, fs,
                                    f[5] + off, f[6] + off, f[7] + off) == 0,
          "backward failed: %s", gpu_last_error());
    for (int a = 4; a < 8; a++)
      for (int64_t i = 0; i < cnt; i++)
        buf[a][i] = f[a][i] == (float)SENTINEL ? SENTINEL : f[a][i];
    for (int64_t i = 0; i < n; i++) saved[i] = fs[i];
    for (int a = 0; a < 8; a++) free(f[a]);
    free(fs);
  }

  long double *L[4];
  for (int a = 0; a < 4; a++) {
    L[a] = malloc((size_t)(n * dh) * sizeof(long double));
    if (!L[a]) exit(3);
    for (int64_t i = 0; i < n; i++)
      for (int64_t c = 0; c < dh; c++) L[a][i * dh + c] = buf[a][i * ld + off + c];
  }
  naive_head nh;
  naive_head_run(n, dh, s->causal, tau, L[0], L[1], L[2], L[3], &nh);

  /* the bound of t-fast-head: kappa u A (A the sums of absolute values);
   * a wrong formula, mask or lost tile is an error of order A itself */
  double unit = bits == 64 ? 0x1p-53 : 0x1p-24;
  double kappa = 4 * ((double)dh * ((double)nh.smax + 1) + (double)n + 16);
  double pmin = bits == 64 ? exp(-708.0) : exp(-87.0);
  double floor = (double)n * pmin * 2 * (double)dh * (1 + s->qscale);
  const char *names[4] = {"O", "dQ", "dK", "dU"};
  long double *truth[4] = {nh.o, nh.dq, nh.dk, nh.du};
  long double *abs_[4] = {nh.ao, nh.adq, nh.adk, nh.adu};
  double *dense = malloc((size_t)(n * dh) * sizeof *dense);
  if (!dense) exit(3);
  for (int a = 4; a < 8; a++) {
    for (int64_t i = 0; i < n; i++)
      for (int64_t c = 0; c < dh; c++)
        dense[i * dh + c] = buf[a][i * ld + off + c];
    CHECK(within(dense, truth[a - 4], abs_[a - 4], n * dh, kappa * unit, floor,
                 names[a - 4], s, seed, bits), "%s", names[a - 4]);
    CHECK(untouched(buf[a], n, ld, off, dh),
          "gpu-exact%d %s wrote outside its columns (n=%lld dh=%lld seed=%llu)",
          bits, names[a - 4], (long long)n, (long long)dh,
          (unsigned long long)seed);
  }
  CHECK(within(saved, nh.lse, NULL, n, kappa * unit * ((double)nh.smax + 1), 0,
               "saved lse", s, seed, bits), "saved log-sum-exp");
  free(dense);
  free(saved);
  naive_head_free(&nh);
  for (int a = 0; a < 4; a++) free(L[a]);
  for (int a = 0; a < 8; a++) free(buf[a]);
}

int main(int argc, char **argv) {
  uint64_t seed = argc > 1 ? strtoull(argv[1], NULL, 10) : 20261124;
  int quick = argc > 2 && strcmp(argv[2], "quick") == 0;
  gpu_test_require_device("t_gpu_head");
  /* tiles: 64 rows (32 in double past d_h = 64) */
  const int64_t ns[] = {1, 2, 31, 32, 33, 63, 64, 65, 130};
  const int64_t dhs[] = {1, 4, 16, 17, 40, 64, 100, 200};
  const int64_t qn[] = {1, 33, 65}, qdh[] = {1, 17, 40};
  const int64_t *N = quick ? qn : ns, *D = quick ? qdh : dhs;
  size_t nn = quick ? 3 : sizeof ns / sizeof ns[0];
  size_t nd = quick ? 3 : sizeof dhs / sizeof dhs[0];
  int runs = 0;
  for (size_t a = 0; a < nn; a++)
    for (size_t b = 0; b < nd; b++)
      for (int causal = 0; causal < 2; causal++)
        for (int bits = 64; bits >= 32; bits -= 32) {
          spec s = {N[a], D[b], causal, 1.0};
          run_spec(&s, seed + (uint64_t)runs++, bits);
        }
  /* register widths 8 and 16 at one n even when quick */
  for (int bits = 64; bits >= 32 && quick; bits -= 32) {
    spec s = {40, bits == 64 ? 100 : 200, 1, 1.0};
    run_spec(&s, seed + (uint64_t)runs++, bits);
  }
  /* scores up to ~1000: the running max keeps exp finite */
  for (int causal = 0; causal < 2; causal++)
    for (int bits = 64; bits >= 32; bits -= 32) {
      spec s = {quick ? 70 : 300, 8, causal, 300.0};
      run_spec(&s, seed + (uint64_t)runs++, bits);
    }
  printf("t_gpu_head (%s): %d head runs, %d failures\n", gpu_device_name(),
         runs, failures);
  return failures ? 1 : 0;
}
