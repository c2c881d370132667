/* Test support for the gpu suite (gpuutil.h). */
#include "gpuutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gpu/gpu_rt.h"

void gpu_test_require_device(const char *test) {
  ar_error err;
  ar_error_clear(&err);
  if (gpu_device_check("test", "gpu", &err) == AR_OK) return;
  const char *why = strstr(err.msg, "no CUDA device");
  printf("%s: SKIP: %s\n", test, why ? why : err.msg);
  exit(GPU_TEST_SKIP);
}
