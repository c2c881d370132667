/* The CUDA paths of gpu/ (registered by src/path.c in builds with
 * -DATTNREF_CUDA=ON). Each runs the whole model on the device (model_gpu.h:
 * the computation of fast/model.h with cuBLAS products and CUDA kernels,
 * weights and activations resident on the device, only results copied
 * back) with a GPU attention head; see README section "CUDA paths" and:
 *   gpu-exact64, gpu-exact32  attn_flash.h (tiled online-softmax kernels)
 *   gpu-approx, gpu-approx64  attn_poly.h (polynomial method, cuBLAS), in a
 *                             double model
 * With no usable device every gpu path fails with exit code 2 and
 * "<case>: path <name>: no CUDA device: <CUDA's error string>". */
#ifndef ATTNREF_GPU_H
#define ATTNREF_GPU_H

#include "../src/path.h"

extern const ar_path ar_path_gpu_exact64;
extern const ar_path ar_path_gpu_exact32;
extern const ar_path ar_path_gpu_approx;
extern const ar_path ar_path_gpu_approx64;

#endif
