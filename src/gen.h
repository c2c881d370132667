/* Random cases: every input entry uniform in [-B, B], labels uniform in
 * [0, V), reproducible by seed (xoshiro256** seeded through splitmix64). */
#ifndef ATTNREF_GEN_H
#define ATTNREF_GEN_H

#include <stdint.h>

#include "config.h"
#include "error.h"
#include "tensor.h"

#define AR_META_SEED "attnref.seed"
#define AR_META_BOUND "attnref.bound"

typedef struct ar_rng {
  uint64_t s[4];
} ar_rng;

/* s <- four successive splitmix64 outputs from seed. */
void ar_rng_seed(ar_rng *r, uint64_t seed);
/* next xoshiro256** output */
uint64_t ar_rng_next(ar_rng *r);
/* u <- (next >> 11) * 2^-53, in [0, 1) */
double ar_rng_uniform(ar_rng *r);
/* floor(u53 * n / 2^53) for the next 53-bit u53: in [0, n), exact (n <= 2^53). */
int64_t ar_rng_below(ar_rng *r, int64_t n);

/* Bytes the generated case holds in memory (every input as 8-byte values);
 * -1 when that count overflows int64 or a name is unknown. */
int64_t ar_gen_case_bytes(const ar_config *c);

/* out <- the case of config c: the inputs in ar_case_input_names order, each
 * row-major, entries B*(2u-1) from one stream; labels uniform in [0, V).
 * Metadata: attnref.config (canonical JSON), attnref.seed, attnref.bound.
 * Refuses (AR_FAIL_INPUT) a bound that is not finite and > 0, and a case of
 * more than max_bytes (0 = no limit), before allocating. out must be
 * initialised; it is cleared first. */
int ar_gen_case(const ar_config *c, uint64_t seed, double bound,
                int64_t max_bytes, ar_tensorset *out, ar_error *err);

#endif
