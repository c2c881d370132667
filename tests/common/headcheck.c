/* Test support for single attention heads (headcheck.h). */
#include "headcheck.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "src/gen.h"

static long double *ld_alloc(int64_t count) {
  long double *p = calloc((size_t)(count > 0 ? count : 1), sizeof *p);
  if (!p) exit(3);
  return p;
}

void naive_head_run(int64_t n, int64_t dh, int causal, long double tau,
                    const long double *q, const long double *k,
                    const long double *u, const long double *g,
                    naive_head *nh) {
  long double *F = ld_alloc(n * n), *dS = ld_alloc(n * n),
              *adS = ld_alloc(n * n);
  nh->o = ld_alloc(n * dh), nh->lse = ld_alloc(n), nh->dq = ld_alloc(n * dh);
  nh->dk = ld_alloc(n * dh), nh->du = ld_alloc(n * dh);
  nh->ao = ld_alloc(n * dh), nh->adq = ld_alloc(n * dh);
  nh->adk = ld_alloc(n * dh), nh->adu = ld_alloc(n * dh);
  nh->smax = 0;
  /* F = masked softmax of S, lse */
  for (int64_t i = 0; i < n; i++) {
    long double mx = -INFINITY, sum = 0;
    int64_t last = causal ? i : n - 1;
    for (int64_t j = 0; j <= last; j++) {
      long double s = 0, sa = 0;
      for (int64_t c = 0; c < dh; c++) {
        s += q[i * dh + c] * k[j * dh + c];
        sa += fabsl(q[i * dh + c] * k[j * dh + c]);
      }
      F[i * n + j] = tau * s;
      if (fabsl(tau) * sa > nh->smax) nh->smax = fabsl(tau) * sa;
      if (F[i * n + j] > mx) mx = F[i * n + j];
    }
    for (int64_t j = 0; j <= last; j++) {
      F[i * n + j] = expl(F[i * n + j] - mx);
      sum += F[i * n + j];
    }
    for (int64_t j = 0; j <= last; j++) F[i * n + j] /= sum;
    nh->lse[i] = mx + logl(sum);
  }
  /* O = F U, A_O = F |U| */
  for (int64_t i = 0; i < n; i++)
    for (int64_t c = 0; c < dh; c++) {
      long double s = 0, sa = 0;
      for (int64_t j = 0; j < n; j++) {
        s += F[i * n + j] * u[j * dh + c];
        sa += F[i * n + j] * fabsl(u[j * dh + c]);
      }
      nh->o[i * dh + c] = s;
      nh->ao[i * dh + c] = sa;
    }
  /* dS = F o (G U^T - r), and its absolute counterpart */
  for (int64_t i = 0; i < n; i++) {
    long double r = 0, ra = 0;
    for (int64_t c = 0; c < dh; c++) {
      r += nh->o[i * dh + c] * g[i * dh + c];
      ra += nh->ao[i * dh + c] * fabsl(g[i * dh + c]);
    }
    for (int64_t j = 0; j < n; j++) {
      long double gu = 0, gua = 0;
      for (int64_t c = 0; c < dh; c++) {
        gu += g[i * dh + c] * u[j * dh + c];
        gua += fabsl(g[i * dh + c] * u[j * dh + c]);
      }
      dS[i * n + j] = F[i * n + j] * (gu - r);
      adS[i * n + j] = F[i * n + j] * (gua + ra);
    }
  }
  /* dQ = tau dS K, dK = tau dS^T Q, dU = F^T G */
  for (int64_t a = 0; a < n; a++)
    for (int64_t c = 0; c < dh; c++) {
      long double sq = 0, sk = 0, su = 0, aq = 0, ak = 0, au = 0;
      for (int64_t b = 0; b < n; b++) {
        sq += dS[a * n + b] * k[b * dh + c];
        sk += dS[b * n + a] * q[b * dh + c];
        su += F[b * n + a] * g[b * dh + c];
        aq += adS[a * n + b] * fabsl(k[b * dh + c]);
        ak += adS[b * n + a] * fabsl(q[b * dh + c]);
        au += F[b * n + a] * fabsl(g[b * dh + c]);
      }
      nh->dq[a * dh + c] = tau * sq, nh->adq[a * dh + c] = fabsl(tau) * aq;
      nh->dk[a * dh + c] = tau * sk, nh->adk[a * dh + c] = fabsl(tau) * ak;
      nh->du[a * dh + c] = su, nh->adu[a * dh + c] = au;
    }
  free(F);
  free(dS);
  free(adS);
}

void naive_head_free(naive_head *nh) {
  free(nh->o), free(nh->lse), free(nh->dq), free(nh->dk), free(nh->du);
  free(nh->ao), free(nh->adq), free(nh->adk), free(nh->adu);
}

int head_untouched(const double *a, int64_t n, int64_t ld, int64_t off,
                   int64_t dh) {
  for (int64_t i = 0; i < n; i++)
    for (int64_t c = 0; c < ld; c++)
      if ((c < off || c >= off + dh) && a[i * ld + c] != HEAD_SENTINEL)
        return 0;
  return 1;
}

/* |c_i - t_i| <= bound * a_i + floor for every i (a: the absolute-value sums of
 * the naive head, or NULL for a_i = 1); prints the worst element. */
static int within(const double *c, const long double *t, const long double *a,
                  int64_t count, double bound, double floor, const char *what,
                  const head_spec *s, uint64_t seed, int bits,
                  const char *label) {
  double worst = 0;
  int64_t wi = -1;
  for (int64_t i = 0; i < count; i++) {
    double e = (double)fabsl((long double)c[i] - t[i]);
    double ratio = e / (bound * (a ? (double)a[i] : 1.0) + floor + 1e-300);
    if (!(ratio <= worst)) worst = ratio, wi = i;
  }
  if (worst > 1)
    fprintf(stderr,
            "%sexact%d %s: n=%lld dh=%lld causal=%d qscale=%g seed=%llu: "
            "error %.3g times its bound at %lld (c=%.17g t=%.17Lg)\n",
            label, bits, what, (long long)s->n, (long long)s->dh, s->causal,
            s->qscale, (unsigned long long)seed, worst, (long long)wi, c[wi],
            t[wi]);
  return worst <= 1;
}

void exact_head_check(const head_spec *s, uint64_t seed, int bits,
                      const fa_head_impl *h64, const fa_head_impl_f32 *h32,
                      const char *label, const char *(*last_error)(void)) {
  const int64_t n = s->n, dh = s->dh, off = 1, ld = dh + 3, cnt = n * ld;
  ar_rng rng;
  ar_rng_seed(&rng, seed);
  double *buf[8]; /* q k u g o dq dk du, n x ld */
  for (int a = 0; a < 8; a++) {
    buf[a] = malloc((size_t)cnt * sizeof(double));
    if (!buf[a]) exit(3);
    for (int64_t i = 0; i < cnt; i++)
      buf[a][i] = a < 4 ? (2 * ar_rng_uniform(&rng) - 1) * (a == 0 ? s->qscale : 1)
                        : HEAD_SENTINEL;
  }
  double *q = buf[0], *k = buf[1], *u = buf[2], *g = buf[3];
  double *o = buf[4], *dq = buf[5], *dk = buf[6], *du = buf[7];
  if (bits == 32) /* the float head's inputs, exactly */
    for (int a = 0; a < 4; a++)
      for (int64_t i = 0; i < cnt; i++) buf[a][i] = (float)buf[a][i];
  double tau = bits == 64 ? 1 / sqrt((double)dh) : (double)(1 / sqrtf((float)dh));
  fa_head h = {n, dh, ld, s->causal, tau};
  fa_head_params p;
  memset(&p, 0, sizeof p);
  double *saved = malloc((size_t)n * sizeof *saved);
  if (!saved) exit(3);

  if (bits == 64) {
    CHECK(h64->forward(&h, &p, q + off, k + off, u + off, o + off, saved) == 0,
          "%sexact64 forward failed: %s", label,
          last_error ? last_error() : "");
    CHECK(h64->backward(&h, &p, q + off, k + off, u + off, o + off, g + off,
                        saved, dq + off, dk + off, du + off) == 0,
          "%sexact64 backward failed: %s", label,
          last_error ? last_error() : "");
  } else { /* through float copies of the same n x ld layout */
    float *f[8], *fs = malloc((size_t)n * sizeof *fs);
    for (int a = 0; a < 8; a++) {
      f[a] = malloc((size_t)cnt * sizeof(float));
      if (!f[a] || !fs) exit(3);
      for (int64_t i = 0; i < cnt; i++) f[a][i] = (float)buf[a][i];
    }
    CHECK(h32->forward(&h, &p, f[0] + off, f[1] + off, f[2] + off, f[4] + off,
                       fs) == 0,
          "%sexact32 forward failed: %s", label,
          last_error ? last_error() : "");
    CHECK(h32->backward(&h, &p, f[0] + off, f[1] + off, f[2] + off,
                        f[4] + off, f[3] + off, fs, f[5] + off, f[6] + off,
                        f[7] + off) == 0,
          "%sexact32 backward failed: %s", label,
          last_error ? last_error() : "");
    /* HEAD_SENTINEL is a float: it comes back as itself */
    for (int a = 4; a < 8; a++)
      for (int64_t i = 0; i < cnt; i++) buf[a][i] = f[a][i];
    for (int64_t i = 0; i < n; i++) saved[i] = fs[i];
    for (int a = 0; a < 8; a++) free(f[a]);
    free(fs);
  }

  /* the naive head on the head's columns */
  long double *L[4];
  for (int a = 0; a < 4; a++) {
    L[a] = malloc((size_t)(n * dh) * sizeof(long double));
    if (!L[a]) exit(3);
    for (int64_t i = 0; i < n; i++)
      for (int64_t c = 0; c < dh; c++) L[a][i * dh + c] = buf[a][i * ld + off + c];
  }
  naive_head nh;
  naive_head_run(n, dh, s->causal, tau, L[0], L[1], L[2], L[3], &nh);

  /* Componentwise bound: |computed - exact| <= kappa u A, A the sums of
   * absolute values. kappa covers the scores' rounding (dh |S| roundoffs,
   * relative, in every exp), the running rescaling and the sums of up to
   * n terms, with a factor 4 to spare; a wrong formula, mask or lost tile
   * is an error of order A itself. */
  double unit = bits == 64 ? 0x1p-53 : 0x1p-24;
  double kappa = 4 * ((double)dh * ((double)nh.smax + 1) + (double)n + 16);
  /* exp flushes results below pmin to 0 (fast/vexp.h): at most pmin per
   * entry of P, times the largest factors it meets, over n terms */
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
                 names[a - 4], s, seed, bits, label), "%s", names[a - 4]);
    CHECK(head_untouched(buf[a], n, ld, off, dh),
          "%sexact%d %s wrote outside its columns (n=%lld dh=%lld seed=%llu)",
          label, bits, names[a - 4], (long long)n, (long long)dh,
          (unsigned long long)seed);
  }
  /* lse = m + log l: |S| roundoffs in m, n in l */
  CHECK(within(saved, nh.lse, NULL, n, kappa * unit * ((double)nh.smax + 1), 0,
               "saved lse", s, seed, bits, label), "saved log-sum-exp");
  free(dense);
  free(saved);
  naive_head_free(&nh);
  for (int a = 0; a < 4; a++) free(L[a]);
  for (int a = 0; a < 8; a++) free(buf[a]);
}
