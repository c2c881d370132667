/* The low-rank state products of the approximate path: proved wrappers around cblas_dgemm
 * (whose contract is assumed: kern_lowrank.h). What is proved here: the int conversions are
 * exact, the leading dimensions and ranges are the ones dgemm needs, and the result is the
 * stated strided dot products. */
#include "fast/kern/kern_approx.h"
#include "fast/kern/kern_lowrank.h"

/* S <- S + F^T V */
void kern_state_add(int64_t r, int64_t w, int64_t bn, const double *F, const double *V,
                    double *S) {
  int ir = (int)r, iw = (int)w, ibn = (int)bn; /* exact: the sizes fit int */
  //@ assert exact: ir == r && iw == w && ibn == bn;
  cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, ir, iw, ibn, 1.0, F, ir, V, iw, 1.0, S, iw);
}

/* Y <- F S */
void kern_state_apply(int64_t bn, int64_t w, int64_t r, const double *F, const double *S,
                      double *Y) {
  int ir = (int)r, iw = (int)w, ibn = (int)bn; /* exact: the sizes fit int */
  //@ assert exact: ir == r && iw == w && ibn == bn;
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, ibn, iw, ir, 1.0, F, ir, S, iw, 0.0, Y, iw);
}
