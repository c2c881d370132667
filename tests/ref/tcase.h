/* Test support for the ref suite: random cases built directly from arrays
 * (no file reader), a seeded generator, and small helpers. */
#ifndef ATTNREF_TESTS_REF_TCASE_H
#define ATTNREF_TESTS_REF_TCASE_H

#include <stdint.h>

#include "src/case.h"

/* splitmix64: a seeded stream of uniform doubles in [-1, 1) with all 53
 * bits random (so inputs are not trivially short). */
typedef struct trng {
  uint64_t s;
} trng;
uint64_t trng_next(trng *r);
double trng_unit(trng *r); /* [-1, 1) */

/* A case and the arrays it points into. */
typedef struct tcase {
  ar_case c;
  double *buf[64];
  int nbuf;
  int64_t *labels;
} tcase;

/* Random inputs for cfg from seed: x and weights ~ U(-1,1) (projections
 * scaled by 1/sqrt(d), norm weights around 1). */
int tcase_make(tcase *t, const ar_config *cfg, uint64_t seed,
               const char *source);
void tcase_free(tcase *t);

/* A config from its fields (scale 0: the default 1/sqrt(d_h)). */
ar_config tcase_config(int64_t n, int64_t d, int64_t heads, int64_t layers,
                       int causal, int residual, ar_norm norm, int64_t mlp,
                       ar_act act, ar_loss loss, int64_t vocab, double scale);

/* One line describing cfg (for failure messages). */
const char *tcase_describe(const ar_config *cfg, char *buf, int size);

#endif
