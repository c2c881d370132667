/* The CUDA paths of gpu/ (registered by src/path.c in builds with
 * -DATTNREF_CUDA=ON). Each runs the shared CPU model of fast/model.h with a
 * GPU attention head; see README section "CUDA paths" and the files:
 *   gpu-exact64, gpu-exact32  attn_flash.h (tiled online-softmax kernels)
 *   gpu-approx, gpu-approx64  attn_poly.h (polynomial method, cuBLAS)
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
