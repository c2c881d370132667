/* Test support for the gpu suite. */
#ifndef ATTNREF_TESTS_GPU_GPUUTIL_H
#define ATTNREF_TESTS_GPU_GPUUTIL_H

/* SKIP_RETURN_CODE of every device test */
#define GPU_TEST_SKIP 77

/* Exits 77 with "<test>: SKIP: ..." on stdout when no CUDA device is usable
 * (the CPU emulation build always has its one device). */
void gpu_test_require_device(const char *test);

#endif
