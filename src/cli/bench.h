/* Per-operation MPFR costs for `attnref bench ref`'s cost model. */
#ifndef ATTNREF_CLI_BENCH_H
#define ATTNREF_CLI_BENCH_H

#include <mpfr.h>

/* The operation kinds of ar_ref_counts, in its field order. */
enum {
  BENCH_MUL, BENCH_ADD, BENCH_FMA, BENCH_DIV, BENCH_SQRT, BENCH_EXP,
  BENCH_ERF, BENCH_LOG, BENCH_DOT_TERM, BENCH_SUM_TERM, BENCH_OTHER, BENCH_NOPS
};

extern const char *const bench_op_names[BENCH_NOPS];
/* The MPFR function timed for each kind (what the reference's counter counts). */
extern const char *const bench_op_funcs[BENCH_NOPS];

/* Length of the vectors mpfr_dot / mpfr_sum are timed on; their cost is per term. */
#define BENCH_VEC_LEN 32

/* Mean nanoseconds of one operation of kind op at precision prec (one term
 * for dot/sum), over a few thousand random full-precision operands, repeated
 * until at least min_seconds have passed. */
double bench_op_ns(int op, mpfr_prec_t prec, double min_seconds);

#endif
