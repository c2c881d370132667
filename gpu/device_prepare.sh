#!/bin/bash
# Here, on a machine without a GPU: build with CUDA (sm_90) and pack what the
# device machine needs to run the gpu tests and benchmarks into one file,
#   build-gpu/gpudev.tar.xz  (~8 MB: stripped attnref, attnref_gpu_bench and
#   the t_gpu_* tests, plus the non-system shared libraries they load:
#   MPFR, GMP, cJSON, OpenBLAS and its Fortran runtime, libgomp, libcudart;
#   cuBLAS is taken from the device machine's CUDA 13).
# The device machine has CUDA 13, PyTorch and CMake but not this project's
# Debian libraries, so it runs what was built here (both are x86-64).
# Then, with the device tool:  run  command="bash gpu/device_check.sh"
#                                   carry=["build-gpu/gpudev.tar.xz"]
# Usage: gpu/device_prepare.sh [build-dir]   (default build-gpu)
set -eu
cd "$(dirname "$0")/.."
B=${1:-build-gpu}
cmake -S . -B "$B" -DATTNREF_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=90 >/dev/null
cmake --build "$B" -j"$(nproc)" --target attnref attnref_gpu_bench
# the tests are packed when they build (a benchmark run needs none of them)
cmake --build "$B" -j"$(nproc)" --target t_gpu_head t_gpu_poly_head \
  t_gpu_exact_paths t_gpu_approx_paths t_gpu_no_device >/dev/null 2>&1 ||
  echo "device_prepare.sh: the gpu tests did not build; packing without them" >&2
S=$(mktemp -d)
mkdir -p "$S/stage/bin" "$S/stage/lib"
for b in "$B/attnref" "$B/gpu/attnref_gpu_bench" "$B"/tests/gpu/t_gpu_*; do
  [ -x "$b" ] && [ -f "$b" ] && strip -o "$S/stage/bin/$(basename "$b")" "$b"
done
# every resolved library but the C/C++ runtime (the device has newer ones),
# the CUDA driver and cuBLAS (the device's own)
ldd "$B/attnref" | awk '$3 ~ /^\// {print $3}' |
  grep -Ev '/(libc|libm|libstdc\+\+|libgcc_s|libdl|libpthread|librt|ld-linux[^/]*|libcublas|libcublasLt|libcuda)\.so' |
  while read -r lib; do cp -L "$lib" "$S/stage/lib/"; done
tar cJf "$B/gpudev.tar.xz" -C "$S" stage
rm -rf "$S"
ls -la "$B/gpudev.tar.xz"
echo "carry: $B/gpudev.tar.xz   command: bash gpu/device_check.sh"
