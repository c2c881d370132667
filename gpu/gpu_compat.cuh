/* What every gpu/ .cu file includes first: the CUDA runtime and cuBLAS, or
 * their CPU emulation (emu/cuda_emu.h) when built with ATTNREF_GPU_EMU; a
 * kernel launch that is a function call in both builds (gpu_launch); the
 * dynamic shared memory; exp/log at the kernel's type. */
#ifndef ATTNREF_GPU_COMPAT_CUH
#define ATTNREF_GPU_COMPAT_CUH

#include <cstddef>
#include <cstdint>
#include <tuple>
#include <utility>

#ifdef ATTNREF_GPU_EMU
#include "emu/cuda_emu.h"
#define GPU_DYN_SMEM(T) (reinterpret_cast<T *>(emu_dyn_smem))
#else
#include <cublas_v2.h>
#include <cuda_runtime.h>
extern __shared__ __align__(16) unsigned char gpu_dyn_smem_[];
#define GPU_DYN_SMEM(T) (reinterpret_cast<T *>(gpu_dyn_smem_))
#endif

#ifndef ATTNREF_GPU_EMU
template <class Tuple, std::size_t... I>
static void gpu_arg_ptrs(Tuple &t, void **argv, std::index_sequence<I...>) {
  ((argv[I] = (void *)&std::get<I>(t)), ...);
}
#endif

/* kernel<<<grid, block, smem, 0>>>(args...) with the arguments converted to
 * the kernel's parameter types; returns the launch's error code. */
template <class... P, class... A>
static cudaError_t gpu_launch(void (*k)(P...), dim3 grid, dim3 block,
                              size_t smem, A &&...a) {
#ifdef ATTNREF_GPU_EMU
  return emu_launch(k, grid, block, smem, std::forward<A>(a)...);
#else
  std::tuple<P...> args(std::forward<A>(a)...);
  void *argv[sizeof...(P) > 0 ? sizeof...(P) : 1];
  gpu_arg_ptrs(args, argv, std::index_sequence_for<P...>{});
  return cudaLaunchKernel((const void *)k, grid, block, argv, smem, 0);
#endif
}

/* the kernels' math at their own type (never the fast intrinsics) */
__device__ __forceinline__ double gexp(double x) { return exp(x); }
__device__ __forceinline__ float gexp(float x) { return expf(x); }
__device__ __forceinline__ double glog(double x) { return log(x); }
__device__ __forceinline__ float glog(float x) { return logf(x); }

#endif
