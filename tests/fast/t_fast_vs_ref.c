/* exact64 and exact32 against the MPFR truth (ref path): exact64 must pass
 * the fp64 profile and exact32 the fp32 profile, on small generated cases
 * that together use every feature (heads, causal, residual off, both norms,
 * MLP relu and gelu, each loss, L = 3, a given scale) and the tile
 * boundaries (n = 1, n < tile, n = tile, n = tile + 1, several tiles).
 *
 * One case is graded by fp64 only: three layers without residual collapse
 * the tokens toward one vector (rank collapse), so the upper layers' dWq and
 * dWk are small by cancellation; exact64's error there is hundreds of
 * double roundoffs of their own size, within fp64, and the same
 * amplification of float's roundoff is beyond fp32's bound
 * (spec/tolerances.md section 2: a test of conditioning, not correctness).
 * Usage: t_fast_vs_ref [seed]. */
#include <stdlib.h>
#include <string.h>

#include "fast/fast.h"
#include "fastutil.h"
#include "ref/ref.h"

typedef struct tcase_spec {
  const char *json;
  int fp32; /* exact32 graded by fp32 too */
} tcase_spec;

static const tcase_spec cases[] = {
    /* defaults: mse, residual, no norm, no MLP */
    {"{\"n\":5,\"d\":4,\"heads\":1,\"layers\":1}", 1},
    /* everything at once, three layers */
    {"{\"n\":13,\"d\":12,\"heads\":2,\"layers\":3,\"causal\":true,"
     "\"norm\":\"layernorm\",\"mlp\":12,\"activation\":\"gelu\","
     "\"loss\":\"xent\",\"vocab\":7}", 1},
    {"{\"n\":9,\"d\":6,\"heads\":3,\"layers\":3,\"norm\":\"rmsnorm\","
     "\"mlp\":5,\"activation\":\"relu\",\"loss\":\"linear\"}", 1},
    /* residual off */
    {"{\"n\":7,\"d\":4,\"heads\":2,\"layers\":1,\"residual\":false,"
     "\"causal\":true,\"norm\":\"layernorm\",\"mlp\":6,"
     "\"activation\":\"gelu\",\"loss\":\"linear\"}", 1},
    {"{\"n\":8,\"d\":8,\"heads\":2,\"layers\":3,\"residual\":false,"
     "\"loss\":\"linear\"}", 0},
    /* the paper's special case, with a given scale */
    {"{\"n\":11,\"d\":4,\"heads\":1,\"layers\":1,\"residual\":false,"
     "\"scale\":0.3}", 1},
    /* n = 1: dQ, dK and so dWq, dWk are exactly zero */
    {"{\"n\":1,\"d\":4,\"heads\":2,\"layers\":2,\"causal\":true,"
     "\"norm\":\"layernorm\",\"mlp\":3,\"loss\":\"xent\",\"vocab\":3}", 1},
    {"{\"n\":1,\"d\":4,\"heads\":1,\"layers\":1}", 1},
    /* tile boundaries (tile = 128) */
    {"{\"n\":127,\"d\":4,\"heads\":1,\"layers\":1,\"causal\":true,"
     "\"loss\":\"linear\"}", 1},
    {"{\"n\":128,\"d\":4,\"heads\":1,\"layers\":1}", 1},
    {"{\"n\":129,\"d\":8,\"heads\":2,\"layers\":1,\"causal\":true,"
     "\"norm\":\"rmsnorm\",\"mlp\":8,\"activation\":\"gelu\"}", 1},
    {"{\"n\":300,\"d\":4,\"heads\":1,\"layers\":1,\"causal\":true,"
     "\"loss\":\"xent\",\"vocab\":5}", 1},
};

int main(int argc, char **argv) {
  uint64_t seed = argc > 1 ? strtoull(argv[1], NULL, 10) : 7;
  const int count = (int)(sizeof cases / sizeof cases[0]);
  for (int i = 0; i < count; i++) {
    fcase k;
    fcase_make(&k, cases[i].json, seed + (uint64_t)i, 1.0);
    ar_tensorset truth, c64, c32;
    run_path(&ar_path_ref, &k, 0, &truth);
    run_path(&ar_path_exact64, &k, 0, &c64);
    run_path(&ar_path_exact32, &k, 0, &c32);
    CHECK(grade(&truth, &c64, "fp64", &k, "exact64"), "exact64 on %s",
          cases[i].json);
    if (cases[i].fp32)
      CHECK(grade(&truth, &c32, "fp32", &k, "exact32"), "exact32 on %s",
            cases[i].json);
    /* exact32 writes floats, as F32 */
    for (size_t t = 0; t < c32.count; t++) {
      const ar_tensor *x = &c32.t[t];
      int floats = x->dtype == AR_F32;
      for (int64_t e = 0; e < x->numel && floats; e++)
        floats = (double)(float)x->data[e] == x->data[e];
      CHECK(floats, "exact32 %s: not F32 values", x->name);
    }
    const char *p64 = ar_tensorset_get_meta(&c64, AR_META_PATH);
    const char *p32 = ar_tensorset_get_meta(&c32, AR_META_PATH);
    CHECK(p64 && strcmp(p64, "exact64") == 0, "exact64: attnref.path");
    CHECK(p32 && strcmp(p32, "exact32") == 0, "exact32: attnref.path");
    CHECK(ar_tensorset_get_meta(&c64, "attnref.config") != NULL,
          "exact64: attnref.config");
    ar_tensorset_free(&truth);
    ar_tensorset_free(&c64);
    ar_tensorset_free(&c32);
    fcase_free(&k);
  }
  printf("t_fast_vs_ref: %d cases, %d failures\n", count, failures);
  return failures ? 1 : 0;
}
