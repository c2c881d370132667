/* C++ side of gpu_rt.h: the cuBLAS handle and the checks that record the
 * first failing call. Used inside the device section (gpu_lock). */
#ifndef ATTNREF_GPU_RT_CUH
#define ATTNREF_GPU_RT_CUH

#include "gpu_compat.cuh"
#include "gpu_rt.h"

/* the shared handle (created on first use; NULL and an error recorded if
 * cublasCreate fails) */
cublasHandle_t gpu_cublas(void);

/* e == cudaSuccess, else records "what: <cuda error string>" and false */
bool gpu_ok(cudaError_t e, const char *what);
bool gpu_blas_ok(cublasStatus_t s, const char *what);

/* CU(call): evaluate a CUDA call; on failure record it and `goto fail` */
#define CU(call)                                \
  do {                                          \
    if (!gpu_ok((call), #call)) goto fail;      \
  } while (0)
#define CUBLAS(call)                              \
  do {                                            \
    if (!gpu_blas_ok((call), #call)) goto fail;   \
  } while (0)

/* a launch: its error now, and (ATTNREF_GPU_SYNC builds) its execution */
bool gpu_launched(cudaError_t e, const char *kernel);
#define LAUNCH_OK(e, name)                      \
  do {                                          \
    if (!gpu_launched((e), name)) goto fail;    \
  } while (0)

#endif
