/* Without a usable CUDA device every gpu path refuses with an input error
 * (exit code 2 in the CLI) and one message naming the case, the path and
 * CUDA's own error string, before it allocates anything: "<case>: path
 * <name>: no CUDA device: <cudaGetErrorString>". Run where there is no
 * device (here, or the CPU emulation with ATTNREF_EMU_NO_DEVICE=1, which
 * answers cudaGetDeviceCount as a machine without a driver does: error 35,
 * count unwritten); where a device is usable it exits 77 (the other tests
 * run the paths). */
#include <string.h>

#include "pathutil.h"
#include "gpu/gpu.h"
#include "gpu/gpu_rt.h"
#include "gpuutil.h"

int main(void) {
  ar_error err;
  ar_error_clear(&err);
  if (gpu_device_check("probe", "gpu", &err) == AR_OK) {
    printf("t_gpu_no_device: SKIP: a CUDA device is usable (%s)\n",
           gpu_device_name());
    return GPU_TEST_SKIP;
  }
  fcase k;
  fcase_make(&k, "{\"n\":6,\"d\":4,\"heads\":2,\"layers\":1}", 3, 1.0);
  const ar_path *paths[] = {&ar_path_gpu_exact64, &ar_path_gpu_exact32,
                            &ar_path_gpu_approx, &ar_path_gpu_approx64};
  for (int i = 0; i < 4; i++) {
    ar_path_options o;
    ar_path_options_defaults(&o);
    ar_tensorset out;
    ar_tensorset_init(&out);
    ar_error_clear(&err);
    int rc = ar_path_run(paths[i], &k.c, &o, &out, &err);
    char want[128];
    snprintf(want, sizeof want, "generated: path %s: no CUDA device: ",
             paths[i]->name);
    CHECK(rc == AR_FAIL_INPUT, "%s: rc %d, want %d (%s)", paths[i]->name, rc,
          AR_FAIL_INPUT, err.msg);
    CHECK(strncmp(err.msg, want, strlen(want)) == 0 &&
              strlen(err.msg) > strlen(want) && !strchr(err.msg, '\n'),
          "%s: message \"%s\", want \"%s<CUDA error>\"", paths[i]->name,
          err.msg, want);
    CHECK(out.count == 0, "%s: wrote %zu tensors", paths[i]->name, out.count);
    printf("%s: %s\n", paths[i]->name, err.msg);
    ar_tensorset_free(&out);
  }
  fcase_free(&k);
  printf("t_gpu_no_device: %d failures\n", t_failures);
  return t_failures ? 1 : 0;
}
