/* Test support for the fast suite (fastutil.h). */
#include "fastutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "src/config.h"
#include "src/gen.h"

int failures = 0;

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

double normwise(const double *a, const double *b, int64_t count) {
  double num = 0, den = 0;
  for (int64_t i = 0; i < count; i++) {
    num += (a[i] - b[i]) * (a[i] - b[i]);
    den += b[i] * b[i];
  }
  return den > 0 ? sqrt(num / den) : sqrt(num);
}

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
