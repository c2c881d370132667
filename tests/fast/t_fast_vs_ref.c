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
 * The cases are tests/common's exact_feature_cases and the tile boundaries.
 * Usage: t_fast_vs_ref [seed]. */
#include <stdlib.h>
#include <string.h>

#include "fast/fast.h"
#include "pathutil.h"
#include "ref/ref.h"

/* beyond exact_feature_cases: the tile boundaries (tile = 128) */
static const exact_spec tiles[] = {
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
  const int nt = (int)(sizeof tiles / sizeof tiles[0]);
  const int count = exact_feature_count + nt;
  for (int i = 0; i < count; i++) {
    const exact_spec *s = i < exact_feature_count
                              ? &exact_feature_cases[i]
                              : &tiles[i - exact_feature_count];
    fcase k;
    fcase_make(&k, s->json, seed + (uint64_t)i, 1.0);
    ar_tensorset truth, c64, c32;
    exact_vs_ref(s, &k, &ar_path_exact64, &ar_path_exact32, &truth, &c64,
                 &c32);
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
  printf("t_fast_vs_ref: %d cases, %d failures\n", count, t_failures);
  return t_failures ? 1 : 0;
}
