/* The approximate head against naive O(n^2) heads (naive_head.c):
 *  - forward error vs the exact head within the a-priori bound
 *    |O~ - O|_ic <= 2eps/(1-eps) max_j |U_jc|;
 *  - forward and gradient errors vs the exact head fall as g rises
 *    (g = 2, 4, 6, 8; Taylor and Chebyshev; causal and not);
 *  - the block / prefix-sum evaluation equals the naive kernel with P in place
 *    of exp (masked when causal) to 1e-12, over several blocks;
 *  - with eps(g,R) < 1e-16 (g = 30) it equals the exact head to 1e-10;
 *  - backward without forward's saved denominators, and heads inside a wider
 *    matrix (ld > dh), give the same results;
 *  - one row, one coordinate, all-zero queries (R = 0) match the exact head.
 * Usage: t_approx_head [seed] */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fast/attn_approx.h"
#include "fast/model.h"
#include "fast/features.h"
#include "naive_head.h"
#include "testutil.h"

static uint64_t seed;

/* One head's inputs and outputs, n x dh each with row stride ld. */
typedef struct data {
  fa_head h;
  double *q, *k, *u, *g, *o, *D, *dq, *dk, *du;
} data;

static void data_init(data *x, int64_t n, int64_t dh, int causal, double amp,
                      uint64_t s) {
  rng r = {s};
  x->h = (fa_head){.n = n, .dh = dh, .ld = dh, .causal = causal,
                   .tau = 1 / sqrt((double)dh)};
  double **m[] = {&x->q, &x->k, &x->u, &x->g, &x->o, &x->dq, &x->dk, &x->du};
  for (int i = 0; i < 8; i++) *m[i] = calloc((size_t)(n * dh), sizeof(double));
  x->D = calloc((size_t)n, sizeof(double));
  rng_fill(&r, x->q, n * dh, amp);
  rng_fill(&r, x->k, n * dh, amp);
  rng_fill(&r, x->u, n * dh, 1);
  rng_fill(&r, x->g, n * dh, 1);
}

static void data_free(data *x) {
  free(x->q), free(x->k), free(x->u), free(x->g), free(x->o), free(x->D);
  free(x->dq), free(x->dk), free(x->du);
}

/* approximate forward + backward into x's outputs */
static int run_approx(data *x, const fa_head_params *p) {
  int rc = fa_head_approx.forward(&x->h, p, x->q, x->k, x->u, x->o, x->D);
  if (!rc)
    rc = fa_head_approx.backward(&x->h, p, x->q, x->k, x->u, x->o, x->g, x->D,
                                 x->dq, x->dk, x->du);
  return rc;
}

/* ref <- naive forward/backward with kernel poly (NULL: exp) */
typedef struct outs {
  double *o, *dq, *dk, *du;
} outs;
static outs naive(const data *x, const fa_poly *poly) {
  size_t sz = (size_t)(x->h.n * x->h.ld) * sizeof(double);
  outs r = {malloc(sz), malloc(sz), malloc(sz), malloc(sz)};
  naive_forward(&x->h, poly, x->q, x->k, x->u, r.o);
  naive_backward(&x->h, poly, x->q, x->k, x->u, x->g, r.dq, r.dk, r.du);
  return r;
}
static void outs_free(outs *r) { free(r->o), free(r->dq), free(r->dk), free(r->du); }

static const char *kind_name(int cheb) { return cheb ? "chebyshev" : "taylor"; }

static void forward_within_apriori_bound_and_error_falls_with_degree(void) {
  for (int cheb = 0; cheb < 2; cheb++)
    for (int causal = 0; causal < 2; causal++) {
      data x;
      int64_t n = 64, dh = 4;
      data_init(&x, n, dh, causal, 1.0, seed);
      outs ex = naive(&x, NULL);
      double R = fa_approx_radius(&x.h, x.q, x.k);
      double prev[4] = {INFINITY, INFINITY, INFINITY, INFINITY};
      for (int g = 2; g <= 8; g += 2) {
        fa_head_params p = {.degree = g, .chebyshev = cheb, .radius = 0};
        int rc = run_approx(&x, &p);
        CHECK(rc == 0, "rc %d", rc);
        fa_poly poly;
        fa_approx_poly(&p, R, &poly);
        double eps = poly.eps, fb = 2 * eps / (1 - eps);
        /* a-priori forward bound, per entry, plus rounding (1e-13 max|U|) */
        double worst_ratio = 0;
        for (int64_t c = 0; c < dh && eps < 1; c++) {
          double umax = max_abs_col(x.u, n, dh, c);
          for (int64_t i = 0; i < n; i++) {
            double e = fabs(x.o[i * dh + c] - ex.o[i * dh + c]);
            double b = fb * umax + 1e-13 * umax;
            if (e / b > worst_ratio) worst_ratio = e / b;
            CHECK(e <= b,
                  "seed=%llu %s causal=%d g=%d R=%g eps=%.3g: |O~-O|[%lld,%lld] "
                  "= %.3g > bound %.3g",
                  (unsigned long long)seed, kind_name(cheb), causal, g, R, eps,
                  (long long)i, (long long)c, e, b);
          }
        }
        double err[4] = {rel_err(x.o, ex.o, n, dh, dh),
                         rel_err(x.dq, ex.dq, n, dh, dh),
                         rel_err(x.dk, ex.dk, n, dh, dh),
                         rel_err(x.du, ex.du, n, dh, dh)};
        printf("%-9s causal=%d g=%d R=%.3f eps=%.2e  rel err O %.2e dQ %.2e "
               "dK %.2e dU %.2e  (forward err/bound <= %.2e)\n",
               kind_name(cheb), causal, g, R, eps, err[0], err[1], err[2],
               err[3], worst_ratio);
        static const char *nm[4] = {"O", "dQ", "dK", "dU"};
        for (int t = 0; t < 4; t++) {
          CHECK(err[t] < prev[t] / 2,
                "seed=%llu %s causal=%d: %s error %.3g at g=%d not below half "
                "of %.3g at g=%d",
                (unsigned long long)seed, kind_name(cheb), causal, nm[t],
                err[t], g, prev[t], g - 2);
          prev[t] = err[t];
        }
        fa_poly_free(&poly);
      }
      outs_free(&ex);
      data_free(&x);
    }
}

/* the fast evaluation vs the naive kernel P(tau q.k), both causal and not,
 * n spanning several blocks with a ragged last one */
static void blocks_match_naive_polynomial_kernel(void) {
  struct {
    int64_t n, dh;
    int g, cheb;
  } cfg[] = {{777, 4, 4, 0}, {777, 4, 5, 1}, {600, 8, 2, 0}, {300, 2, 7, 0},
             {257, 1, 6, 1}};
  for (size_t ci = 0; ci < sizeof cfg / sizeof *cfg; ci++)
    for (int causal = 0; causal < 2; causal++) {
      data x;
      data_init(&x, cfg[ci].n, cfg[ci].dh, causal, 1.0, seed + ci);
      fa_head_params p = {.degree = cfg[ci].g, .chebyshev = cfg[ci].cheb};
      int rc = run_approx(&x, &p);
      fa_poly poly;
      fa_approx_poly(&p, fa_approx_radius(&x.h, x.q, x.k), &poly);
      outs nv = naive(&x, &poly);
      int64_t n = x.h.n, dh = x.h.dh;
      double err[4] = {rel_err(x.o, nv.o, n, dh, dh),
                       rel_err(x.dq, nv.dq, n, dh, dh),
                       rel_err(x.dk, nv.dk, n, dh, dh),
                       rel_err(x.du, nv.du, n, dh, dh)};
      double worst = fmax(fmax(err[0], err[1]), fmax(err[2], err[3]));
      printf("vs naive P-kernel: n=%lld dh=%lld g=%d %s causal=%d block=%lld: "
             "max rel err %.2e\n",
             (long long)n, (long long)dh, cfg[ci].g, kind_name(cfg[ci].cheb),
             causal,
             (long long)fa_approx_block_rows(
                 fa_features_rank(dh, cfg[ci].g), dh),
             worst);
      CHECK(rc == 0 && worst <= 1e-12,
            "seed=%llu n=%lld dh=%lld g=%d %s causal=%d: errors O %.3g dQ %.3g "
            "dK %.3g dU %.3g > 1e-12",
            (unsigned long long)(seed + ci), (long long)n, (long long)dh,
            cfg[ci].g, kind_name(cfg[ci].cheb), causal, err[0], err[1], err[2],
            err[3]);
      fa_poly_free(&poly);
      outs_free(&nv);
      data_free(&x);
    }
}

/* g = 30 on R < 1: eps(30, R) < 1e-16, so approx == exact to rounding */
static void huge_degree_matches_exact(void) {
  for (int causal = 0; causal < 2; causal++) {
    data x;
    data_init(&x, 200, 4, causal, 0.7, seed);
    double R = fa_approx_radius(&x.h, x.q, x.k);
    double eps = fa_taylor_eps(30, R);
    CHECK(eps < 1e-16, "seed=%llu: eps(30, %g) = %.3g not < 1e-16",
          (unsigned long long)seed, R, eps);
    fa_head_params p = {.degree = 30};
    int rc = run_approx(&x, &p);
    outs ex = naive(&x, NULL);
    double err[4] = {rel_err(x.o, ex.o, 200, 4, 4), rel_err(x.dq, ex.dq, 200, 4, 4),
                     rel_err(x.dk, ex.dk, 200, 4, 4), rel_err(x.du, ex.du, 200, 4, 4)};
    printf("g=30 R=%.3f eps=%.2e causal=%d: rel err O %.2e dQ %.2e dK %.2e dU "
           "%.2e\n",
           R, eps, causal, err[0], err[1], err[2], err[3]);
    for (int t = 0; t < 4; t++)
      CHECK(rc == 0 && err[t] <= 1e-10,
            "seed=%llu causal=%d g=30: output %d rel err %.3g > 1e-10",
            (unsigned long long)seed, causal, t, err[t]);
    outs_free(&ex);
    data_free(&x);
  }
}

/* backward recomputes D~ when saved is NULL; a head inside an n x 3dh matrix
 * (ld = 3dh, columns dh..2dh-1) gives the packed results */
static void saved_null_and_strided_agree(void) {
  for (int causal = 0; causal < 2; causal++) {
    int64_t n = 300, dh = 4, ld = 3 * dh;
    data x;
    data_init(&x, n, dh, causal, 1.0, seed + 7);
    fa_head_params p = {.degree = 4};
    run_approx(&x, &p);
    size_t sz = (size_t)(n * dh) * sizeof(double);
    double *dq = malloc(sz), *dk = malloc(sz), *du = malloc(sz);
    int rc = fa_head_approx.backward(&x.h, &p, x.q, x.k, x.u, x.o, x.g, NULL,
                                     dq, dk, du);
    double e = fmax(rel_err(dq, x.dq, n, dh, dh),
                    fmax(rel_err(dk, x.dk, n, dh, dh), rel_err(du, x.du, n, dh, dh)));
    CHECK(rc == 0 && e <= 1e-15, "causal=%d saved=NULL differs by %.3g", causal, e);
    /* strided */
    size_t wsz = (size_t)(n * ld) * sizeof(double);
    double *W[9];
    const double *src[4] = {x.q, x.k, x.u, x.g};
    for (int t = 0; t < 9; t++) W[t] = calloc(1, wsz);
    for (int t = 0; t < 4; t++)
      for (int64_t i = 0; i < n; i++)
        memcpy(W[t] + i * ld + dh, src[t] + i * dh, (size_t)dh * sizeof(double));
    fa_head hs = x.h;
    hs.ld = ld;
    double *D = malloc((size_t)n * sizeof *D);
    rc = fa_head_approx.forward(&hs, &p, W[0] + dh, W[1] + dh, W[2] + dh,
                                W[4] + dh, D);
    rc |= fa_head_approx.backward(&hs, &p, W[0] + dh, W[1] + dh, W[2] + dh,
                                  W[4] + dh, W[3] + dh, D, W[5] + dh,
                                  W[6] + dh, W[7] + dh);
    double es = 0;
    const double *want[4] = {x.o, x.dq, x.dk, x.du};
    for (int t = 0; t < 4; t++)
      for (int64_t i = 0; i < n; i++)
        for (int64_t c = 0; c < ld; c++) {
          double v = W[4 + t][i * ld + c];
          if (c >= dh && c < 2 * dh)
            es = fmax(es, fabs(v - want[t][i * dh + c - dh]));
          else
            CHECK(v == 0, "causal=%d strided head wrote outside its columns",
                  causal);
        }
    CHECK(rc == 0 && es <= 1e-15, "causal=%d strided differs by %.3g", causal, es);
    for (int t = 0; t < 9; t++) free(W[t]);
    free(D), free(dq), free(dk), free(du);
    data_free(&x);
  }
}

/* edge cases against the exact head: one row; all-zero queries (R = 0, so
 * P = 1 exactly and the head is a uniform average); one coordinate */
static void edge_cases_match_exact(void) {
  struct {
    int64_t n, dh;
    int zero_q;
  } cfg[] = {{1, 4, 0}, {2, 1, 0}, {50, 3, 1}, {33, 1, 1}};
  for (int ci = 0; ci < 4; ci++)
    for (int causal = 0; causal < 2; causal++) {
      data x;
      data_init(&x, cfg[ci].n, cfg[ci].dh, causal, 0.3, seed + 100 + ci);
      if (cfg[ci].zero_q) memset(x.q, 0, (size_t)(x.h.n * x.h.dh) * sizeof(double));
      fa_head_params p = {.degree = 20};
      int rc = run_approx(&x, &p);
      outs ex = naive(&x, NULL);
      int64_t n = x.h.n, dh = x.h.dh;
      double e = fmax(fmax(rel_err(x.o, ex.o, n, dh, dh), rel_err(x.dq, ex.dq, n, dh, dh)),
                      fmax(rel_err(x.dk, ex.dk, n, dh, dh), rel_err(x.du, ex.du, n, dh, dh)));
      CHECK(rc == 0 && e <= 1e-13,
            "seed=%llu edge n=%lld dh=%lld zero_q=%d causal=%d: rel err %.3g",
            (unsigned long long)(seed + 100 + ci), (long long)n, (long long)dh,
            cfg[ci].zero_q, causal, e);
      outs_free(&ex);
      data_free(&x);
    }
}

int main(int argc, char **argv) {
  /* as in the model: OpenMP threads for the head, BLAS single-threaded
   * (no oversubscription when the scan calls dgemm from its threads) */
  fa_set_threads(0);
  seed = argc > 1 ? strtoull(argv[1], NULL, 0) : 12345;
  forward_within_apriori_bound_and_error_falls_with_degree();
  blocks_match_naive_polynomial_kernel();
  huge_degree_matches_exact();
  saved_null_and_strided_agree();
  edge_cases_match_exact();
  if (t_failures) fprintf(stderr, "%d failure(s), seed %llu\n", t_failures,
                        (unsigned long long)seed);
  return t_failures ? 1 : 0;
}
