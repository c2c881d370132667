/* Device check, error recording, device section (gpu_rt.h). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gpu_rt.cuh"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static char last_error[512];
static char device_name[256];
static void *ws;
static size_t ws_bytes;
static cublasHandle_t blas;

int gpu_device_check(const char *source, const char *path, ar_error *err) {
  int count = 0; /* left unwritten when the call fails (no driver: 35) */
  cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess)
    return ar_fail(err, AR_FAIL_INPUT, "%s: path %s: no CUDA device: %s",
                   source, path, cudaGetErrorString(e));
  if (count < 1)
    return ar_fail(err, AR_FAIL_INPUT,
                   "%s: path %s: no CUDA device: cudaGetDeviceCount found none",
                   source, path);
  cudaDeviceProp p;
  e = cudaGetDeviceProperties(&p, 0);
  if (e != cudaSuccess)
    return ar_fail(err, AR_FAIL_INPUT, "%s: path %s: no CUDA device: %s",
                   source, path, cudaGetErrorString(e));
  pthread_mutex_lock(&lock);
  snprintf(device_name, sizeof device_name, "%s", p.name);
  pthread_mutex_unlock(&lock);
  return AR_OK;
}

const char *gpu_device_name(void) { return device_name; }

const char *gpu_last_error(void) { return last_error; }
void gpu_clear_error(void) { last_error[0] = 0; }

int gpu_set_error(const char *what, const char *detail) {
  if (!last_error[0])
    snprintf(last_error, sizeof last_error, "%s: %s", what, detail);
  return -1;
}

bool gpu_ok(cudaError_t e, const char *what) {
  if (e == cudaSuccess) return true;
  cudaGetLastError(); /* clear a sticky launch error where it can be */
  gpu_set_error(what, cudaGetErrorString(e));
  return false;
}

bool gpu_blas_ok(cublasStatus_t s, const char *what) {
  if (s == CUBLAS_STATUS_SUCCESS) return true;
  gpu_set_error(what, cublasGetStatusString(s));
  return false;
}

bool gpu_launched(cudaError_t e, const char *kernel) {
  if (e == cudaSuccess) e = cudaGetLastError();
#ifdef ATTNREF_GPU_SYNC
  if (e == cudaSuccess) e = cudaDeviceSynchronize();
#endif
  return gpu_ok(e, kernel);
}

void gpu_lock(void) { pthread_mutex_lock(&lock); }
void gpu_unlock(void) { pthread_mutex_unlock(&lock); }

void *gpu_workspace(size_t bytes) {
  if (bytes <= ws_bytes && ws) return ws;
  if (ws) cudaFree(ws);
  ws = NULL;
  ws_bytes = 0;
  if (!gpu_ok(cudaMalloc(&ws, bytes ? bytes : 1), "cudaMalloc(workspace)")) {
    ws = NULL;
    return NULL;
  }
  ws_bytes = bytes;
  return ws;
}

cublasHandle_t gpu_cublas(void) {
  if (blas) return blas;
  if (!gpu_blas_ok(cublasCreate(&blas), "cublasCreate")) {
    blas = NULL;
    return NULL;
  }
  /* the default: Sgemm in fp32 (no TF32 unless asked), Dgemm in fp64;
   * ATTNREF_CUBLAS_MATH=pedantic asks for CUBLAS_PEDANTIC_MATH (diagnosis) */
  const char *mode = getenv("ATTNREF_CUBLAS_MATH");
  cublasSetMathMode(blas, mode && strcmp(mode, "pedantic") == 0
                              ? CUBLAS_PEDANTIC_MATH
                              : CUBLAS_DEFAULT_MATH);
  return blas;
}

void gpu_release_all(void) {
  pthread_mutex_lock(&lock);
  if (ws) cudaFree(ws);
  ws = NULL;
  ws_bytes = 0;
  if (blas) cublasDestroy(blas);
  blas = NULL;
  pthread_mutex_unlock(&lock);
}
