/* memory_needed of exact64/exact32: it bounds what the path really holds
 * (glibc's count of bytes in use, after forward and after backward, state
 * and results included), it grows linearly in n (no n x n array: doubling
 * n at most doubles it, plus the fixed tiles), and --max-memory below it
 * is refused before anything runs. */
#include <malloc.h>
#include <stdlib.h>

#include "fast/fast.h"
#include "pathutil.h"

static int64_t in_use(void) {
  struct mallinfo2 m = mallinfo2();
  return (int64_t)(m.uordblks + m.hblkhd);
}

int main(void) {
  static const char *configs[] = {
      "{\"n\":700,\"d\":32,\"heads\":2,\"layers\":2,\"causal\":true,"
      "\"norm\":\"layernorm\",\"mlp\":48,\"activation\":\"gelu\","
      "\"loss\":\"xent\",\"vocab\":50}",
      "{\"n\":1000,\"d\":16,\"heads\":4,\"layers\":3}",
  };
  const ar_path *paths[2] = {&ar_path_exact64, &ar_path_exact32};
  for (size_t i = 0; i < sizeof configs / sizeof configs[0]; i++) {
    fcase k;
    fcase_make(&k, configs[i], 3 + i, 1.0);
    for (int p = 0; p < 2; p++) {
      ar_path_options o;
      ar_path_options_defaults(&o);
      int64_t need = paths[p]->memory_needed(&k.c.cfg, &o);
      ar_error err;
      ar_error_clear(&err);
      ar_tensorset out;
      ar_tensorset_init(&out);
      int64_t base = in_use();
      void *state = NULL;
      int rc = paths[p]->forward(&k.c, &o, &state, &out, &err);
      int64_t after_fwd = in_use() - base;
      if (rc == 0) rc = paths[p]->backward(&k.c, &o, state, &out, &err);
      int64_t after_bwd = in_use() - base;
      paths[p]->release(state);
      CHECK(rc == 0, "%s: %s", paths[p]->name, err.msg);
      CHECK(after_fwd <= need && after_bwd <= need,
            "%s on %s: holds %lld bytes after forward, %lld after backward, "
            "estimate %lld", paths[p]->name, configs[i],
            (long long)after_fwd, (long long)after_bwd, (long long)need);
      printf("%s, case %zu: %lld bytes held after backward, estimate %lld\n",
             paths[p]->name, i, (long long)after_bwd, (long long)need);
      ar_tensorset_free(&out);
      /* refused below the estimate */
      o.max_memory = need - 1;
      ar_error_clear(&err);
      ar_tensorset_init(&out);
      CHECK(ar_path_run(paths[p], &k.c, &o, &out, &err) == AR_FAIL_INPUT,
            "%s: --max-memory %lld below the estimate was not refused",
            paths[p]->name, (long long)o.max_memory);
      ar_tensorset_free(&out);
    }
    fcase_free(&k);
  }
  /* linear in n */
  ar_config c;
  ar_config_defaults(&c);
  c.d = 64, c.heads = 4, c.layers = 2, c.causal = 1;
  ar_path_options o;
  ar_path_options_defaults(&o);
  for (int p = 0; p < 2; p++) {
    c.n = (int64_t)1 << 20;
    int64_t m1 = paths[p]->memory_needed(&c, &o);
    c.n = (int64_t)1 << 21;
    int64_t m2 = paths[p]->memory_needed(&c, &o);
    CHECK(m1 > 0 && m2 > m1 && m2 <= 2 * m1,
          "%s: estimate %lld at n = 2^20, %lld at 2^21: not linear",
          paths[p]->name, (long long)m1, (long long)m2);
    CHECK(m1 < ((int64_t)1 << 40), "%s: %lld bytes at n = 2^20",
          paths[p]->name, (long long)m1);
  }
  printf("t_fast_memory: %d failures\n", t_failures);
  return t_failures ? 1 : 0;
}
