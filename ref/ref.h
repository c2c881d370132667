/* The exact reference path ("ref"): the whole model of spec/model.md in MPFR,
 * forward and hand-derived backward, with every output certified by
 * recomputation at a higher precision (spec/truth.md). */
#ifndef ATTNREF_REF_H
#define ATTNREF_REF_H

#include <stdint.h>

#include "../src/path.h"

extern const ar_path ar_path_ref;

/* How many MPFR operations the reference has performed since the last reset
 * (all precisions), by kind; dot_terms / sum_terms count the terms passed to
 * mpfr_dot / mpfr_sum. Used by `attnref bench ref`. */
typedef struct ar_ref_counts {
  uint64_t mul, add, fma, div, sqrt, exp, erf, log, dot_terms, sum_terms,
      other;
} ar_ref_counts;

void ar_ref_counts_reset(void);
void ar_ref_counts_get(ar_ref_counts *out);

/* Metadata keys the ref path sets on its output. */
#define AR_META_PATH "attnref.path"                     /* "ref" */
#define AR_META_PREC "attnref.prec"                     /* final working bits */
#define AR_META_CERTIFIED_BITS "attnref.certified_bits" /* min agreement bits */
#define AR_META_CHECK_PREC "attnref.check_prec"         /* recomputation bits */

#endif
