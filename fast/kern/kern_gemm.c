/* The general matrix product: a proved wrapper around cblas_dgemm, whose contract is assumed
 * (fast/kern/kern_gemm.h). What is proved here: the int conversions are exact, the transpose
 * flags, leading dimensions and ranges are the ones dgemm needs, and the result is the stated
 * strided dot products. Under Frama-C the call is named cblas_dgemm_any, the prototype that
 * carries the general assumption (kern_lowrank.h's cblas_dgemm keeps the packed one its
 * kernels use); compiled, it is OpenBLAS's cblas_dgemm. */
#include "fast/kern/kern_gemm.h"
#include "fast/kern/kern_lowrank.h"

#ifdef __FRAMAC__
#define KERN_DGEMM cblas_dgemm_any
#else
#define KERN_DGEMM cblas_dgemm
#endif

/* C <- alpha op(A) op(B) + beta C */
void kern_gemm(int ta, int tb, int64_t m, int64_t n, int64_t k, double alpha, const double *a,
               int64_t lda, const double *b, int64_t ldb, double beta, double *c, int64_t ldc) {
  int im = (int)m, jn = (int)n, tk = (int)k; /* exact: the sizes fit int */
  int ia = (int)lda, ib = (int)ldb, ic = (int)ldc;
  //@ assert exact: im == m && jn == n && tk == k && ia == lda && ib == ldb && ic == ldc;
  KERN_DGEMM(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, im,
             jn, tk, alpha, a, ia, b, ib, beta, c, ic);
}
