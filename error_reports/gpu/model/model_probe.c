/* diagnostic: gpu-exact32 (device model) vs the old arrangement (CPU float
 * model, GPU float heads: fa_model_*_f32 with gpu_head_exact32) vs exact32,
 * all against exact64 (normwise per tensor) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fast/fast.h"
#include "fast/model.h"
#include "pathutil.h"
#include "gpu/gpu.h"
#include "gpu/attn_flash.h"
#include "gpu/gpu_rt.h"
int main(int argc, char **argv) {
  fcase k; fcase_make(&k, argv[1], 7, 0.5);
  ar_tensorset e64, e32, g32, old; ar_error err; ar_error_clear(&err);
  run_path(&ar_path_exact64, &k, 0, &e64);
  run_path(&ar_path_exact32, &k, 0, &e32);
  run_path(&ar_path_gpu_exact32, &k, 0, &g32);
  ar_tensorset_init(&old);
  static const fa_head_params np;
  fa_model_state_f32 st = {0};
  if (fa_model_forward_f32(&k.c, &gpu_head_exact32, &np, &st, &old, &err) ||
      fa_model_backward_f32(&k.c, &gpu_head_exact32, &np, &st, &old, &err)) { printf("old failed %s %s\n", err.msg, gpu_last_error()); return 1; }
  for (size_t t = 0; t < e64.count; t++) {
    const ar_tensor *x = &e64.t[t];
    const ar_tensor *a = ar_tensorset_find(&e32, x->name), *b = ar_tensorset_find(&g32, x->name), *c = ar_tensorset_find(&old, x->name);
    printf("%-28s cpu32 %.3e gpu32(model on device) %.3e old(cpu model+gpu heads) %.3e\n", x->name, normwise(a->data, x->data, x->numel), normwise(b->data, x->data, x->numel), c ? normwise(c->data, x->data, x->numel) : -1.0);
  }
  return 0;
}
