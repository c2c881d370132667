/* A CPU emulation of the small part of the CUDA runtime and cuBLAS that
 * gpu/ uses, so the kernels of the .cu files of gpu/ can be compiled by a host C++
 * compiler and run where there is no GPU (the gpu-emu tests).
 *
 * Each block runs as blockDim cooperative fibers (ucontext) on the calling
 * thread; __syncthreads switches back to the scheduler, which resumes every
 * fiber in turn. A fiber therefore runs alone from one barrier to the next:
 * the order most hostile to a missing barrier (a read of shared memory that
 * another thread has not written yet, or a write before another thread has
 * read), so such bugs change results instead of hiding. Shared memory starts
 * filled with 0xFF bytes (NaN as float or double): a read of an element no
 * thread wrote shows up as NaN. A block whose threads disagree about a
 * barrier (some exit, some wait) aborts. Launches check the block size and
 * the dynamic shared memory against the limits of an H100 (48 KiB without
 * cudaFuncSetAttribute, 227 KiB with). cuBLAS calls go to CBLAS
 * (column-major). Not thread-safe: callers serialize (gpu/ does). */
#ifndef ATTNREF_GPU_EMU_CUDA_EMU_H
#define ATTNREF_GPU_EMU_CUDA_EMU_H

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <tuple>
#include <utility>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)

struct dim3 {
  unsigned x, y, z;
  dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
};
extern dim3 threadIdx, blockIdx, blockDim, gridDim;
extern unsigned char *emu_dyn_smem; /* this block's dynamic shared memory */

typedef enum cudaError {
  cudaSuccess = 0,
  cudaErrorInvalidValue = 1,
  cudaErrorMemoryAllocation = 2,
  cudaErrorInvalidConfiguration = 9,
  cudaErrorInsufficientDriver = 35,
  cudaErrorNoDevice = 100,
  cudaErrorLaunchFailure = 719
} cudaError_t;
typedef enum cudaMemcpyKind {
  cudaMemcpyHostToHost = 0,
  cudaMemcpyHostToDevice = 1,
  cudaMemcpyDeviceToHost = 2,
  cudaMemcpyDeviceToDevice = 3,
  cudaMemcpyDefault = 4
} cudaMemcpyKind;
typedef enum cudaFuncAttribute {
  cudaFuncAttributeMaxDynamicSharedMemorySize = 8
} cudaFuncAttribute;
typedef enum cudaDeviceAttr {
  cudaDevAttrMaxSharedMemoryPerBlockOptin = 97
} cudaDeviceAttr;
typedef struct CUstream_st *cudaStream_t;
struct cudaDeviceProp {
  char name[256];
  size_t totalGlobalMem;
  int major, minor, multiProcessorCount;
};

const char *cudaGetErrorString(cudaError_t e);
cudaError_t cudaGetLastError(void);
cudaError_t cudaPeekAtLastError(void);
cudaError_t cudaGetDeviceCount(int *count);
cudaError_t cudaGetDevice(int *dev);
cudaError_t cudaSetDevice(int dev);
cudaError_t cudaGetDeviceProperties(cudaDeviceProp *p, int dev);
cudaError_t cudaDeviceGetAttribute(int *v, cudaDeviceAttr a, int dev);
cudaError_t cudaMemGetInfo(size_t *free_b, size_t *total_b);
cudaError_t cudaMalloc(void **p, size_t bytes);
cudaError_t cudaFree(void *p);
cudaError_t cudaMemcpy(void *dst, const void *src, size_t bytes, cudaMemcpyKind k);
cudaError_t cudaMemcpyAsync(void *dst, const void *src, size_t bytes,
                            cudaMemcpyKind k, cudaStream_t s = 0);
cudaError_t cudaMemcpy2D(void *dst, size_t dpitch, const void *src,
                         size_t spitch, size_t width, size_t height,
                         cudaMemcpyKind k);
cudaError_t cudaMemset(void *p, int v, size_t bytes);
cudaError_t cudaMemsetAsync(void *p, int v, size_t bytes, cudaStream_t s = 0);
cudaError_t cudaDeviceSynchronize(void);
cudaError_t cudaStreamSynchronize(cudaStream_t s);
cudaError_t cudaFuncSetAttribute(const void *func, cudaFuncAttribute a, int v);

void __syncthreads(void);

/* the shuffle's exchange slot of this thread / of thread t */
uint64_t *emu_shfl_slot(unsigned t);
unsigned emu_thread_rank(void);

/* __shfl_xor_sync for lane masks inside width (the only use in gpu/): every
 * thread of the block must take part (gpu/ calls it in uniform code). */
template <class T>
T __shfl_xor_sync(unsigned mask, T v, int lane_mask, int width = 32) {
  static_assert(sizeof(T) <= sizeof(uint64_t), "shuffle of a wide type");
  (void)mask;
  if (lane_mask >= width) __builtin_trap();
  unsigned t = emu_thread_rank();
  std::memcpy(emu_shfl_slot(t), &v, sizeof v);
  __syncthreads();
  T r;
  std::memcpy(&r, emu_shfl_slot(t ^ (unsigned)lane_mask), sizeof r);
  __syncthreads();
  return r;
}

/* Runs body(ctx) as every thread of every block of the grid; returns
 * cudaErrorInvalidConfiguration / cudaErrorInvalidValue for a launch a GPU
 * would refuse (recorded for cudaGetLastError too). */
cudaError_t emu_run_grid(const void *func, dim3 grid, dim3 block, size_t smem,
                         void (*body)(void *), void *ctx);

template <class... P, class... A>
cudaError_t emu_launch(void (*k)(P...), dim3 grid, dim3 block, size_t smem,
                       A &&...a) {
  std::tuple<P...> args(std::forward<A>(a)...);
  struct call {
    void (*k)(P...);
    std::tuple<P...> *args;
  } c{k, &args};
  return emu_run_grid(
      (const void *)k, grid, block, smem,
      [](void *p) {
        call *c = (call *)p;
        std::apply(c->k, *c->args);
      },
      &c);
}

/* ---- cuBLAS (the calls gpu/ makes) ---- */
typedef struct cublasContext *cublasHandle_t;
typedef enum {
  CUBLAS_STATUS_SUCCESS = 0,
  CUBLAS_STATUS_NOT_INITIALIZED = 1,
  CUBLAS_STATUS_ALLOC_FAILED = 3,
  CUBLAS_STATUS_INVALID_VALUE = 7
} cublasStatus_t;
typedef enum { CUBLAS_OP_N = 0, CUBLAS_OP_T = 1 } cublasOperation_t;
typedef enum {
  CUBLAS_DEFAULT_MATH = 0,
  CUBLAS_PEDANTIC_MATH = 2
} cublasMath_t;

cublasStatus_t cublasCreate(cublasHandle_t *h);
cublasStatus_t cublasDestroy(cublasHandle_t h);
cublasStatus_t cublasSetStream(cublasHandle_t h, cudaStream_t s);
cublasStatus_t cublasSetMathMode(cublasHandle_t h, cublasMath_t m);
cublasStatus_t cublasDgemm(cublasHandle_t h, cublasOperation_t ta,
                           cublasOperation_t tb, int m, int n, int k,
                           const double *alpha, const double *A, int lda,
                           const double *B, int ldb, const double *beta,
                           double *C, int ldc);
cublasStatus_t cublasSgemm(cublasHandle_t h, cublasOperation_t ta,
                           cublasOperation_t tb, int m, int n, int k,
                           const float *alpha, const float *A, int lda,
                           const float *B, int ldb, const float *beta,
                           float *C, int ldc);
cublasStatus_t cublasDgemmStridedBatched(
    cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m, int n,
    int k, const double *alpha, const double *A, int lda, long long sa,
    const double *B, int ldb, long long sb, const double *beta, double *C,
    int ldc, long long sc, int batch);
cublasStatus_t cublasSgemmStridedBatched(
    cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m, int n,
    int k, const float *alpha, const float *A, int lda, long long sa,
    const float *B, int ldb, long long sb, const float *beta, float *C,
    int ldc, long long sc, int batch);
const char *cublasGetStatusString(cublasStatus_t s);

#endif
