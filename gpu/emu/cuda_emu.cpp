/* The CPU emulation of cuda_emu.h: fibers for the threads of a block, host
 * memory for device memory, CBLAS for cuBLAS. */
#include "cuda_emu.h"

#include <cblas.h>
#include <ucontext.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <vector>

dim3 threadIdx, blockIdx, blockDim, gridDim;
unsigned char *emu_dyn_smem;

namespace {

const size_t kStack = 256 * 1024;        /* per fiber */
const size_t kSmemDefault = 48 * 1024;   /* without the opt-in attribute */
const size_t kSmemOptin = 227 * 1024;    /* H100's opt-in maximum */

cudaError_t last_error = cudaSuccess;
std::map<const void *, int> smem_attr; /* kernel -> opted-in dynamic bytes */

ucontext_t sched;
std::vector<ucontext_t> fiber;
std::vector<char *> stacks;
std::vector<int> done, waiting;
std::vector<uint64_t> slots;
unsigned cur, nthreads;
void (*cur_body)(void *);
void *cur_ctx;

cudaError_t fail(cudaError_t e) {
  last_error = e;
  return e;
}

void fiber_entry() {
  cur_body(cur_ctx);
  done[cur] = 1; /* returning resumes the scheduler (uc_link) */
}

void set_thread(unsigned t) {
  cur = t;
  threadIdx.x = t % blockDim.x;
  threadIdx.y = t / blockDim.x % blockDim.y;
  threadIdx.z = t / (blockDim.x * blockDim.y);
}

/* one block: every fiber from the start, round by round between barriers */
void run_block(std::vector<unsigned char> &smem) {
  std::memset(smem.data(), 0xFF, smem.size());
  emu_dyn_smem = smem.data();
  for (unsigned t = 0; t < nthreads; t++) {
    getcontext(&fiber[t]);
    fiber[t].uc_stack.ss_sp = stacks[t];
    fiber[t].uc_stack.ss_size = kStack;
    fiber[t].uc_link = &sched;
    makecontext(&fiber[t], fiber_entry, 0);
    done[t] = 0;
  }
  for (;;) {
    unsigned ndone = 0, nwait = 0;
    for (unsigned t = 0; t < nthreads; t++) {
      if (done[t]) continue;
      set_thread(t);
      waiting[t] = 0;
      swapcontext(&sched, &fiber[t]);
    }
    for (unsigned t = 0; t < nthreads; t++) {
      ndone += done[t] != 0;
      nwait += !done[t] && waiting[t];
    }
    if (ndone == nthreads) return;
    if (ndone > 0 || nwait != nthreads) {
      fprintf(stderr,
              "cuda_emu: block (%u,%u,%u): %u threads exited while %u wait "
              "at __syncthreads (divergent barrier)\n",
              blockIdx.x, blockIdx.y, blockIdx.z, ndone, nwait);
      abort();
    }
  }
}

}  // namespace

void __syncthreads(void) {
  waiting[cur] = 1;
  swapcontext(&fiber[cur], &sched);
}

uint64_t *emu_shfl_slot(unsigned t) { return &slots[t]; }
unsigned emu_thread_rank(void) { return cur; }

cudaError_t emu_run_grid(const void *func, dim3 grid, dim3 block, size_t smem,
                         void (*body)(void *), void *ctx) {
  unsigned nt = block.x * block.y * block.z;
  if (nt == 0 || nt > 1024 || block.z > 64 || grid.x == 0 || grid.y == 0 ||
      grid.z == 0 || grid.y > 65535 || grid.z > 65535)
    return fail(cudaErrorInvalidConfiguration);
  auto it = smem_attr.find(func);
  size_t limit = it == smem_attr.end() ? kSmemDefault : (size_t)it->second;
  if (limit < kSmemDefault) limit = kSmemDefault;
  if (smem > limit) return fail(cudaErrorInvalidValue);
  nthreads = nt;
  blockDim = block;
  gridDim = grid;
  while (stacks.size() < nt) stacks.push_back((char *)malloc(kStack));
  fiber.resize(nt);
  done.assign(nt, 0);
  waiting.assign(nt, 0);
  slots.assign(nt, 0);
  cur_body = body;
  cur_ctx = ctx;
  std::vector<unsigned char> shared(smem > 0 ? smem : 1);
  for (unsigned z = 0; z < grid.z; z++)
    for (unsigned y = 0; y < grid.y; y++)
      for (unsigned x = 0; x < grid.x; x++) {
        blockIdx = dim3(x, y, z);
        run_block(shared);
      }
  return cudaSuccess;
}

const char *cudaGetErrorString(cudaError_t e) {
  switch (e) {
  case cudaSuccess: return "no error";
  case cudaErrorInvalidValue: return "invalid argument";
  case cudaErrorMemoryAllocation: return "out of memory";
  case cudaErrorInvalidConfiguration: return "invalid configuration argument";
  case cudaErrorInsufficientDriver:
    return "CUDA driver version is insufficient for CUDA runtime version";
  case cudaErrorNoDevice: return "no CUDA-capable device is detected";
  default: return "unspecified launch failure";
  }
}

cudaError_t cudaGetLastError(void) {
  cudaError_t e = last_error;
  last_error = cudaSuccess;
  return e;
}
cudaError_t cudaPeekAtLastError(void) { return last_error; }

/* ATTNREF_EMU_NO_DEVICE=1 plays a machine without a GPU (the error code
 * cudaGetDeviceCount returns there, count left unwritten). */
cudaError_t cudaGetDeviceCount(int *count) {
  const char *e = getenv("ATTNREF_EMU_NO_DEVICE");
  if (e && *e == '1') return cudaErrorInsufficientDriver;
  *count = 1;
  return cudaSuccess;
}
cudaError_t cudaGetDevice(int *dev) {
  *dev = 0;
  return cudaSuccess;
}
cudaError_t cudaSetDevice(int dev) {
  return dev == 0 ? cudaSuccess : fail(cudaErrorInvalidValue);
}
cudaError_t cudaGetDeviceProperties(cudaDeviceProp *p, int dev) {
  memset(p, 0, sizeof *p);
  snprintf(p->name, sizeof p->name, "cuda_emu (CPU emulation)");
  p->totalGlobalMem = (size_t)8 << 30;
  p->major = 9;
  p->multiProcessorCount = 1;
  return dev == 0 ? cudaSuccess : fail(cudaErrorInvalidValue);
}
cudaError_t cudaDeviceGetAttribute(int *v, cudaDeviceAttr a, int dev) {
  if (a != cudaDevAttrMaxSharedMemoryPerBlockOptin || dev != 0)
    return fail(cudaErrorInvalidValue);
  *v = (int)kSmemOptin;
  return cudaSuccess;
}
cudaError_t cudaMemGetInfo(size_t *free_b, size_t *total_b) {
  *free_b = *total_b = (size_t)8 << 30;
  return cudaSuccess;
}
cudaError_t cudaMalloc(void **p, size_t bytes) {
  *p = NULL;
  if (posix_memalign(p, 256, bytes ? bytes : 1)) {
    *p = NULL;
    return fail(cudaErrorMemoryAllocation);
  }
  memset(*p, 0xFF, bytes); /* cudaMalloc leaves memory uninitialized */
  return cudaSuccess;
}
cudaError_t cudaFree(void *p) {
  free(p);
  return cudaSuccess;
}
cudaError_t cudaMemcpy(void *dst, const void *src, size_t bytes,
                       cudaMemcpyKind) {
  if (bytes) memmove(dst, src, bytes);
  return cudaSuccess;
}
cudaError_t cudaMemcpyAsync(void *dst, const void *src, size_t bytes,
                            cudaMemcpyKind k, cudaStream_t) {
  return cudaMemcpy(dst, src, bytes, k);
}
cudaError_t cudaMemcpy2D(void *dst, size_t dpitch, const void *src,
                         size_t spitch, size_t width, size_t height,
                         cudaMemcpyKind) {
  if (width > dpitch || width > spitch) return fail(cudaErrorInvalidValue);
  for (size_t r = 0; r < height; r++)
    memcpy((char *)dst + r * dpitch, (const char *)src + r * spitch, width);
  return cudaSuccess;
}
cudaError_t cudaMemset(void *p, int v, size_t bytes) {
  memset(p, v, bytes);
  return cudaSuccess;
}
cudaError_t cudaMemsetAsync(void *p, int v, size_t bytes, cudaStream_t) {
  return cudaMemset(p, v, bytes);
}
cudaError_t cudaDeviceSynchronize(void) { return cudaSuccess; }
cudaError_t cudaStreamSynchronize(cudaStream_t) { return cudaSuccess; }
cudaError_t cudaFuncSetAttribute(const void *func, cudaFuncAttribute a,
                                 int v) {
  if (a != cudaFuncAttributeMaxDynamicSharedMemorySize || v < 0 ||
      (size_t)v > kSmemOptin)
    return fail(cudaErrorInvalidValue);
  smem_attr[func] = v;
  return cudaSuccess;
}

/* ---- cuBLAS over CBLAS, column-major ---- */
struct cublasContext {
  int unused;
};

cublasStatus_t cublasCreate(cublasHandle_t *h) {
  *h = new cublasContext();
  return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasDestroy(cublasHandle_t h) {
  delete h;
  return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasSetStream(cublasHandle_t, cudaStream_t) {
  return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasSetMathMode(cublasHandle_t, cublasMath_t) {
  return CUBLAS_STATUS_SUCCESS;
}

static CBLAS_TRANSPOSE tr(cublasOperation_t t) {
  return t == CUBLAS_OP_T ? CblasTrans : CblasNoTrans;
}

/* cuBLAS checks the leading dimensions; so does the emulation */
static bool dims_ok(cublasOperation_t ta, cublasOperation_t tb, int m, int n,
                    int k, int lda, int ldb, int ldc) {
  int ra = ta == CUBLAS_OP_N ? m : k, rb = tb == CUBLAS_OP_N ? k : n;
  return m >= 0 && n >= 0 && k >= 0 && lda >= (ra > 1 ? ra : 1) &&
         ldb >= (rb > 1 ? rb : 1) && ldc >= (m > 1 ? m : 1);
}

cublasStatus_t cublasDgemm(cublasHandle_t, cublasOperation_t ta,
                           cublasOperation_t tb, int m, int n, int k,
                           const double *alpha, const double *A, int lda,
                           const double *B, int ldb, const double *beta,
                           double *C, int ldc) {
  if (!dims_ok(ta, tb, m, n, k, lda, ldb, ldc))
    return CUBLAS_STATUS_INVALID_VALUE;
  if (m && n)
    cblas_dgemm(CblasColMajor, tr(ta), tr(tb), m, n, k, *alpha, A, lda, B, ldb,
                *beta, C, ldc);
  return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasSgemm(cublasHandle_t, cublasOperation_t ta,
                           cublasOperation_t tb, int m, int n, int k,
                           const float *alpha, const float *A, int lda,
                           const float *B, int ldb, const float *beta,
                           float *C, int ldc) {
  if (!dims_ok(ta, tb, m, n, k, lda, ldb, ldc))
    return CUBLAS_STATUS_INVALID_VALUE;
  if (m && n)
    cblas_sgemm(CblasColMajor, tr(ta), tr(tb), m, n, k, *alpha, A, lda, B, ldb,
                *beta, C, ldc);
  return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasDgemmStridedBatched(
    cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m, int n,
    int k, const double *alpha, const double *A, int lda, long long sa,
    const double *B, int ldb, long long sb, const double *beta, double *C,
    int ldc, long long sc, int batch) {
  for (int i = 0; i < batch; i++) {
    cublasStatus_t s = cublasDgemm(h, ta, tb, m, n, k, alpha, A + i * sa, lda,
                                   B + i * sb, ldb, beta, C + i * sc, ldc);
    if (s) return s;
  }
  return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasSgemmStridedBatched(
    cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m, int n,
    int k, const float *alpha, const float *A, int lda, long long sa,
    const float *B, int ldb, long long sb, const float *beta, float *C,
    int ldc, long long sc, int batch) {
  for (int i = 0; i < batch; i++) {
    cublasStatus_t s = cublasSgemm(h, ta, tb, m, n, k, alpha, A + i * sa, lda,
                                   B + i * sb, ldb, beta, C + i * sc, ldc);
    if (s) return s;
  }
  return CUBLAS_STATUS_SUCCESS;
}
const char *cublasGetStatusString(cublasStatus_t s) {
  return s == CUBLAS_STATUS_SUCCESS ? "CUBLAS_STATUS_SUCCESS"
                                    : "CUBLAS_STATUS_INVALID_VALUE";
}
