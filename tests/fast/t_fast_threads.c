/* The exact paths give the same results whatever the thread count, up to
 * rounding: 2 and 3 threads against 1, every tensor, normwise. Covers a
 * head parallel inside (H = 1: the backward's per-thread dQ parts), heads
 * side by side (H >= threads), and products large enough to be cut over
 * the threads. Usage: t_fast_threads [seed]. */
#include <stdlib.h>

#include "fast/fast.h"
#include "pathutil.h"

/* normwise bound between thread counts: about 100 roundoffs of the
 * tensor's size (dQ's parts summed in another order, amplified by the
 * conditioning of dWq and dWk) */
#define NW64 2e-14
#define NW32 1e-5

int main(int argc, char **argv) {
  uint64_t seed = argc > 1 ? strtoull(argv[1], NULL, 10) : 11;
  static const char *configs[] = {
      "{\"n\":300,\"d\":16,\"heads\":1,\"layers\":2,\"causal\":true,"
      "\"norm\":\"layernorm\",\"mlp\":16,\"activation\":\"gelu\"}",
      "{\"n\":300,\"d\":16,\"heads\":4,\"layers\":1,\"loss\":\"xent\","
      "\"vocab\":9}",
      "{\"n\":1000,\"d\":32,\"heads\":2,\"layers\":1,\"causal\":true,"
      "\"norm\":\"rmsnorm\",\"mlp\":40,\"loss\":\"linear\"}",
  };
  const ar_path *paths[2] = {&ar_path_exact64, &ar_path_exact32};
  const int count = (int)(sizeof configs / sizeof configs[0]);
  double worst[2] = {0, 0};
  for (int i = 0; i < count; i++) {
    fcase k;
    fcase_make(&k, configs[i], seed + (uint64_t)i, 0.5);
    for (int p = 0; p < 2; p++) {
      ar_tensorset one;
      run_path(paths[p], &k, 1, &one);
      for (int threads = 2; threads <= 3; threads++) {
        ar_tensorset many;
        run_path(paths[p], &k, threads, &many);
        CHECK(many.count == one.count, "%s: %zu tensors with %d threads, %zu "
              "with 1", paths[p]->name, many.count, threads, one.count);
        for (size_t t = 0; t < one.count; t++) {
          const ar_tensor *a = &one.t[t];
          const ar_tensor *b = ar_tensorset_find(&many, a->name);
          CHECK(b && b->numel == a->numel, "%s: %s missing", paths[p]->name,
                a->name);
          if (!b || b->numel != a->numel) continue;
          double nw = normwise(b->data, a->data, a->numel);
          if (nw > worst[p]) worst[p] = nw;
          CHECK(nw <= (p == 0 ? NW64 : NW32),
                "%s %s: %d threads vs 1 differ by %.3g normwise (case %s "
                "seed %llu)",
                paths[p]->name, a->name, threads, nw, k.json,
                (unsigned long long)k.seed);
        }
        ar_tensorset_free(&many);
      }
      ar_tensorset_free(&one);
    }
    fcase_free(&k);
  }
  printf("t_fast_threads: %d cases, largest difference exact64 %.3g, "
         "exact32 %.3g; %d failures\n", count, worst[0], worst[1], t_failures);
  return t_failures ? 1 : 0;
}
