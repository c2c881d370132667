/* ar_path_ref.memory_needed: at least what the two runs of the certification
 * (p and p2) really allocate, not wildly more (at most 3x), and -1 when the
 * estimate itself overflows int64. */
#include <stdio.h>
#include <stdlib.h>

#include "ref/certify.h"
#include "ref/ref.h"
#include "tcase.h"
#include "testutil.h"

static void check(const ar_config *c, long prec, int dd) {
  char desc[512];
  tcase_describe(c, desc, sizeof desc);
  tcase t;
  if (tcase_make(&t, c, 99, "t-memory-needed")) return;
  ar_path_options o;
  ar_path_options_defaults(&o);
  o.prec = prec;
  o.double_double = dd;
  int64_t need = ar_path_ref.memory_needed(c, &o);
  ar_error err;
  ar_error_clear(&err);
  ref_run *a = ref_run_new(&t.c, prec, &err);
  ref_run *b = ref_run_new(&t.c, ref_check_prec(prec), &err);
  if (!a || !b) {
    t_failures++;
    fprintf(stderr, "FAIL: %s\n", err.msg);
  } else {
    int64_t used = a->arena.bytes + b->arena.bytes;
    int ok = need >= used && need <= 3 * used;
    printf("%s %s prec %ld: estimate %lld bytes, runs allocate %lld\n",
           ok ? "ok  " : "FAIL", desc, prec, (long long)need,
           (long long)used);
    if (!ok) t_failures++;
  }
  ref_run_free(a);
  ref_run_free(b);
  tcase_free(&t);
}

int main(void) {
  ar_config c;
  ar_config_defaults(&c);
  c.n = 9, c.d = 6, c.heads = 3, c.layers = 2, c.mlp = 7;
  c.norm = AR_NORM_LAYER, c.loss = AR_LOSS_XENT, c.vocab = 11;
  check(&c, 128, 0);
  check(&c, 1000, 1);
  c.n = 30, c.d = 4, c.heads = 1, c.layers = 1, c.mlp = 0;
  c.norm = AR_NORM_NONE, c.loss = AR_LOSS_MSE;
  check(&c, 64, 0);
  /* n x n attention matrices of 2^40 x 2^40 overflow the byte count */
  c.n = (int64_t)1 << 40, c.d = 8, c.heads = 2;
  ar_path_options o;
  ar_path_options_defaults(&o);
  int64_t need = ar_path_ref.memory_needed(&c, &o);
  printf("%s n=2^40: estimate %lld (expected -1)\n", need == -1 ? "ok  " : "FAIL",
         (long long)need);
  if (need != -1) t_failures++;
  return t_failures ? 1 : 0;
}
