/* The random case generator behind `attnref gen` (and the tests). */
#include "gen.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "case.h"

/* z <- splitmix64 step: the recommended way to seed xoshiro from one word */
static uint64_t splitmix64(uint64_t *x) {
  uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

void ar_rng_seed(ar_rng *r, uint64_t seed) {
  for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

/* xoshiro256** (Blackman & Vigna) */
uint64_t ar_rng_next(ar_rng *r) {
  uint64_t *s = r->s;
  uint64_t result = rotl(s[1] * 5, 7) * 9;
  uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return result;
}

double ar_rng_uniform(ar_rng *r) {
  return (double)(ar_rng_next(r) >> 11) * 0x1.0p-53;
}

int64_t ar_rng_below(ar_rng *r, int64_t n) {
  unsigned __int128 u = ar_rng_next(r) >> 11;
  return (int64_t)((u * (unsigned __int128)n) >> 53);
}

int64_t ar_gen_case_bytes(const ar_config *c) {
  char **names = NULL;
  ar_error err;
  ar_error_clear(&err);
  int count = ar_case_input_names(c, &names, &err);
  if (count < 0 || err.code) return -1;
  int64_t total = 0;
  for (int i = 0; i < count && total >= 0; i++) {
    int64_t dims[AR_MAX_DIMS], numel = 1;
    int nd = ar_case_input_shape(c, names[i], dims);
    if (nd < 0) total = -1;
    for (int k = 0; k < nd && total >= 0; k++)
      if (!ar_mul_ok(numel, dims[k], &numel)) total = -1;
    if (total >= 0 && (!ar_mul_ok(numel, 8, &numel) ||
                       !ar_add_ok(total, numel, &total)))
      total = -1;
  }
  ar_names_free(names, count);
  return total;
}

/* "%.17g": reads back as exactly v */
static void fmt_double(double v, char *buf, size_t n) {
  snprintf(buf, n, "%.17g", v);
}

int ar_gen_case(const ar_config *c, uint64_t seed, double bound,
                int64_t max_bytes, ar_tensorset *out, ar_error *err) {
  ar_tensorset_free(out);
  ar_tensorset_init(out);
  if (!(bound > 0) || !isfinite(bound))
    return ar_fail(err, AR_FAIL_INPUT, "bound %g must be finite and > 0",
                   bound);
  if (ar_config_validate(c, "config", err)) return err->code;
  int64_t bytes = ar_gen_case_bytes(c);
  if (bytes < 0)
    return ar_fail(err, AR_FAIL_INPUT,
                   "config: the case's size overflows a 64-bit byte count");
  if (max_bytes > 0 && bytes > max_bytes)
    return ar_fail(err, AR_FAIL_INPUT,
                   "config: the case needs %lld bytes, over --max-memory %lld",
                   (long long)bytes, (long long)max_bytes);
  char **names = NULL;
  int count = ar_case_input_names(c, &names, err);
  if (count < 0 || err->code) return err->code ? err->code : AR_FAIL_INTERNAL;
  ar_rng rng;
  ar_rng_seed(&rng, seed);
  int rc = AR_OK;
  for (int i = 0; i < count && rc == AR_OK; i++) {
    int64_t dims[AR_MAX_DIMS];
    int nd = ar_case_input_shape(c, names[i], dims);
    int is_labels = strcmp(names[i], "labels") == 0;
    ar_tensor *t =
        nd < 0 ? NULL
               : ar_tensorset_add(out, names[i], is_labels ? AR_I64 : AR_F64,
                                  nd, dims, err);
    if (!t) {
      rc = err->code ? err->code
                     : ar_fail(err, AR_FAIL_INTERNAL, "gen: no shape for %s",
                               names[i]);
      break;
    }
    if (is_labels)
      for (int64_t k = 0; k < t->numel; k++)
        t->idata[k] = ar_rng_below(&rng, c->vocab);
    else
      for (int64_t k = 0; k < t->numel; k++)
        t->data[k] = bound * (2 * ar_rng_uniform(&rng) - 1);
  }
  ar_names_free(names, count);
  char *json = rc ? NULL : ar_config_to_json(c);
  char sbuf[32], bbuf[40];
  snprintf(sbuf, sizeof sbuf, "%llu", (unsigned long long)seed);
  fmt_double(bound, bbuf, sizeof bbuf);
  if (rc == AR_OK && !json)
    rc = ar_fail(err, AR_FAIL_INTERNAL, "gen: out of memory");
  if (rc == AR_OK) rc = ar_tensorset_set_meta(out, AR_CONFIG_KEY, json, err);
  if (rc == AR_OK) rc = ar_tensorset_set_meta(out, AR_META_SEED, sbuf, err);
  if (rc == AR_OK) rc = ar_tensorset_set_meta(out, AR_META_BOUND, bbuf, err);
  free(json);
  if (rc) ar_tensorset_free(out);
  return rc;
}
