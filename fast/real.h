/* The working type of fast/'s templates (model_impl.h, attn_exact_impl.h):
 * each is written once over `real` and compiled twice, by a source file that
 * defines FA_REAL_BITS (64: double, exact64 and approx; 32: float, exact32)
 * and then includes this header and the template. The templates call the proved
 * kernels of fast/kern by FA_SFX(kern_dot): kern_dot in double, kern_dot_f32 in float. */
#ifndef ATTNREF_FAST_REAL_H
#define ATTNREF_FAST_REAL_H

#include <cblas.h>
#include <tgmath.h> /* exp, log, sqrt, erf, fabs at the type of their argument */

#include "kern/kern_f32.h"
#include "kern/kern_grad_f32.h"
#include "vexp.h"

#if FA_REAL_BITS == 64
typedef double real;
#define FA_SFX(name) name /* the double names are the plain ones (kern_dot, ...) */
#define FA_GEMM cblas_dgemm
#define FA_DTYPE AR_F64
#define FA_EXP fa_exp64
#define FA_HEAD_IMPL fa_head_impl
#elif FA_REAL_BITS == 32
typedef float real;
#define FA_SFX(name) name##_f32 /* and the float kernels' (kern_dot_f32, kern_f32.h) */
#define FA_GEMM cblas_sgemm
#define FA_DTYPE AR_F32
#define FA_EXP fa_exp32
#define FA_HEAD_IMPL fa_head_impl_f32
#else
#error "define FA_REAL_BITS as 64 or 32 before including fast/real.h"
#endif

/* Reductions (norm statistics, bias gradients, losses, softmax row sums)
 * accumulate in double at both widths, as torch does on CPU. */
typedef double acc;

/* Hot elementwise loops are compiled for AVX-512 and AVX2 too, picked at
 * run time, since the build targets baseline x86-64. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define FA_VECTOR_CLONES \
  __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define FA_VECTOR_CLONES
#endif

#endif
