#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fast/fast.h"
#include "pathutil.h"
#include "gpu/gpu.h"
int main(int argc, char **argv) {
  const char *json = argv[1];
  fcase k; fcase_make(&k, json, 7, argc > 2 ? atof(argv[2]) : 0.5);
  ar_tensorset e64, e32, g32, g64;
  run_path(&ar_path_exact64, &k, 0, &e64);
  run_path(&ar_path_exact32, &k, 0, &e32);
  run_path(&ar_path_gpu_exact32, &k, 0, &g32);
  run_path(&ar_path_gpu_exact64, &k, 0, &g64);
  for (size_t t = 0; t < e64.count; t++) {
    const ar_tensor *x = &e64.t[t];
    const ar_tensor *a = ar_tensorset_find(&e32, x->name), *b = ar_tensorset_find(&g32, x->name), *c = ar_tensorset_find(&g64, x->name);
    printf("%-28s cpu32 %.3e gpu32 %.3e gpu64 %.3e\n", x->name, normwise(a->data, x->data, x->numel), normwise(b->data, x->data, x->numel), normwise(c->data, x->data, x->numel));
  }
  return 0;
}
