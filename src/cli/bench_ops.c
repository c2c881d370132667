/* Timing each MPFR operation the reference counts, on random operands of the
 * ranges the model produces (scores for exp, positive sums for log...). */
#include <gmp.h>
#include <stdlib.h>

#include "bench.h"
#include "cli.h"

const char *const bench_op_names[BENCH_NOPS] = {
    "mul", "add", "fma", "div", "sqrt", "exp", "erf", "log",
    "dot_terms", "sum_terms", "other"};
const char *const bench_op_funcs[BENCH_NOPS] = {
    "mpfr_mul", "mpfr_add", "mpfr_fma", "mpfr_div", "mpfr_sqrt", "mpfr_exp",
    "mpfr_erfc", "mpfr_log", "mpfr_dot", "mpfr_sum", "mpfr_set"};

#define NVAL 4096

/* v[i] <- lo + (hi-lo) * u, u uniform in [0,1) with prec random bits */
static void fill(mpfr_t *v, int n, gmp_randstate_t rs, double lo, double hi) {
  for (int i = 0; i < n; i++) {
    mpfr_urandomb(v[i], rs);
    mpfr_mul_d(v[i], v[i], hi - lo, MPFR_RNDN);
    mpfr_add_d(v[i], v[i], lo, MPFR_RNDN);
  }
}

/* One pass over the operands; returns the number of operations (terms). */
static long pass(int op, mpfr_t *r, mpfr_t *a, mpfr_t *b, mpfr_t *c,
                 mpfr_ptr *pa, mpfr_ptr *pb) {
  switch (op) {
  case BENCH_MUL:
    for (int i = 0; i < NVAL; i++) mpfr_mul(r[i], a[i], b[i], MPFR_RNDN);
    return NVAL;
  case BENCH_ADD:
    for (int i = 0; i < NVAL; i++) mpfr_add(r[i], a[i], b[i], MPFR_RNDN);
    return NVAL;
  case BENCH_FMA:
    for (int i = 0; i < NVAL; i++) mpfr_fma(r[i], a[i], b[i], c[i], MPFR_RNDN);
    return NVAL;
  case BENCH_DIV:
    for (int i = 0; i < NVAL; i++) mpfr_div(r[i], a[i], c[i], MPFR_RNDN);
    return NVAL;
  case BENCH_SQRT:
    for (int i = 0; i < NVAL; i++) mpfr_sqrt(r[i], c[i], MPFR_RNDN);
    return NVAL;
  case BENCH_EXP:
    for (int i = 0; i < NVAL; i++) mpfr_exp(r[i], a[i], MPFR_RNDN);
    return NVAL;
  case BENCH_ERF:
    for (int i = 0; i < NVAL; i++) mpfr_erfc(r[i], a[i], MPFR_RNDN);
    return NVAL;
  case BENCH_LOG:
    for (int i = 0; i < NVAL; i++) mpfr_log(r[i], c[i], MPFR_RNDN);
    return NVAL;
  case BENCH_DOT_TERM:
    for (int i = 0; i + BENCH_VEC_LEN <= NVAL; i += BENCH_VEC_LEN)
      mpfr_dot(r[i], pa + i, pb + i, BENCH_VEC_LEN, MPFR_RNDN);
    return NVAL;
  case BENCH_SUM_TERM:
    for (int i = 0; i + BENCH_VEC_LEN <= NVAL; i += BENCH_VEC_LEN)
      mpfr_sum(r[i], pa + i, BENCH_VEC_LEN, MPFR_RNDN);
    return NVAL;
  default:
    for (int i = 0; i < NVAL; i++) mpfr_set(r[i], a[i], MPFR_RNDN);
    return NVAL;
  }
}

double bench_op_ns(int op, mpfr_prec_t prec, double min_seconds) {
  mpfr_t *r = malloc(4 * NVAL * sizeof(mpfr_t));
  mpfr_ptr *pa = malloc(2 * NVAL * sizeof(mpfr_ptr));
  if (!r || !pa) {
    free(r);
    free(pa);
    return -1;
  }
  mpfr_t *a = r + NVAL, *b = r + 2 * NVAL, *c = r + 3 * NVAL;
  mpfr_ptr *pb = pa + NVAL;
  for (int i = 0; i < 4 * NVAL; i++) mpfr_init2(r[i], prec);
  gmp_randstate_t rs;
  gmp_randinit_default(rs);
  gmp_randseed_ui(rs, 12345 + (unsigned long)op);
  /* a: signed, as scores/preactivations are (exp's arguments are <= ~8 in
   * magnitude once rows are shifted); b: signed; c: positive (divisors,
   * sqrt/log arguments: softmax sums, variances) */
  double alo = -1, ahi = 1;
  if (op == BENCH_EXP) alo = -8, ahi = 8;
  if (op == BENCH_ERF) alo = -3, ahi = 3;
  fill(a, NVAL, rs, alo, ahi);
  fill(b, NVAL, rs, -1, 1);
  fill(c, NVAL, rs, 0.5, 64);
  for (int i = 0; i < NVAL; i++) {
    pa[i] = a[i];
    pb[i] = b[i];
  }
  long ops = 0;
  pass(op, r, a, b, c, pa, pb); /* warm the caches */
  double t0 = cli_now(), el = 0;
  do {
    ops += pass(op, r, a, b, c, pa, pb);
    el = cli_now() - t0;
  } while (el < min_seconds);
  for (int i = 0; i < 4 * NVAL; i++) mpfr_clear(r[i]);
  gmp_randclear(rs);
  free(r);
  free(pa);
  return 1e9 * el / (double)ops;
}
