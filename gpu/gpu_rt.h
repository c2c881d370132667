/* The run-time support shared by the CUDA paths, callable from C: the device
 * check, one recorded error message, and a serialized device section (the
 * model may call heads from several OpenMP threads; the GPU heads take one
 * lock, one cuBLAS handle and one grow-only workspace). */
#ifndef ATTNREF_GPU_RT_H
#define ATTNREF_GPU_RT_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#include "../src/error.h"

/* AR_OK when a CUDA device is usable; else AR_FAIL_INPUT with
 * "<source>: path <path>: no CUDA device: <cuda error string>". */
int gpu_device_check(const char *source, const char *path, ar_error *err);

/* The name of device 0 ("" when none). */
const char *gpu_device_name(void);

/* The first CUDA / cuBLAS failure since gpu_clear_error ("" when none). */
const char *gpu_last_error(void);
void gpu_clear_error(void);
/* records "what: detail" unless an error is already recorded; returns -1 */
int gpu_set_error(const char *what, const char *detail);

/* The device section: lock, and the workspace of at least `bytes` bytes
 * (NULL, and an error recorded, when cudaMalloc fails). */
void gpu_lock(void);
void gpu_unlock(void);
void *gpu_workspace(size_t bytes);
/* Frees the workspace and the cuBLAS handle (between runs). */
void gpu_release_all(void);

#ifdef __cplusplus
}
#endif

#endif
