/* cblas_dgemm as fast/kern's proofs see it. Under Frama-C: a prototype with an ASSUMED contract
 * (OpenBLAS is an external library, like libm's exp: proofs/README.md, "Approximate-path
 * kernels"), for the two shapes the low-rank state products use, row-major, alpha = 1,
 * beta in {0, 1}. Elsewhere: OpenBLAS's own <cblas.h>. */
#ifndef ATTNREF_FAST_KERN_LOWRANK_H
#define ATTNREF_FAST_KERN_LOWRANK_H

#ifdef __FRAMAC__
#include "proofs/attnref.acsl"
#define CblasRowMajor 101
#define CblasNoTrans 111
#define CblasTrans 112

/* C (m x n, ldc) <- A^T B + beta C (A: k x m, lda; B: k x n, ldb), or A B + beta C (A: m x k).
 * ASSUMED: every entry is finite and within the standard dot-product bound of a k-term sum plus
 * one more addition, |c' - (dot + beta c)| <= 2 (k+1) u (dotabs + |beta c|) + 2 (k+1) eta
 * (gamma_{k+1} <= 2 (k+1) u for (k+1) u <= 1/2; any summation order, FMA or not). */
/*@ requires order == CblasRowMajor && transb == CblasNoTrans && alpha == 1.0;
    requires beta == 0.0 || beta == 1.0;
    requires 1 <= m && 1 <= n && 1 <= k && (k + 1) * fp_u <= 0.5;
    requires ldb == n && ldc == n; // packed rows, as the wrappers pass them
    requires transa == CblasTrans || transa == CblasNoTrans;
    requires \valid(c + (0 .. m * ldc - 1));
    requires fin: beta == 1.0 ==> finite_range(c, 1, m * ldc);
    requires beta == 1.0 ==> \forall integer i; 0 <= i < m * ldc ==> \abs(c[i]) <= 0x1p990;
    requires \valid_read(b + (0 .. k * ldb - 1));
    requires fin: finite_range(b, 1, k * ldb);
    requires \separated(c + (0 .. m * ldc - 1), b + (0 .. k * ldb - 1));
    behavior tn:
      assumes transa == CblasTrans;
      requires lda == m && \valid_read(a + (0 .. k * lda - 1));
      requires fin: finite_range(a, 1, k * lda);
      requires \separated(c + (0 .. m * ldc - 1), a + (0 .. k * lda - 1));
      requires \forall integer i, j; 0 <= i < m ==> 0 <= j < n ==>
        dotabs(a + i, lda, b + j, ldb, k) <= 0x1p990;
      assigns c[0 .. m * ldc - 1];
      ensures fin: finite_range(c, 1, m * n);
      ensures gemm: \forall integer i, j; 0 <= i < m ==> 0 <= j < n ==>
        \abs(c[i * ldc + j] - (dot{Old}(a + i, lda, b + j, ldb, k) + beta * \old(c[i * ldc + j])))
          <= 2 * (k + 1) * fp_u * (dotabs{Old}(a + i, lda, b + j, ldb, k) + \abs(beta * \old(c[i * ldc + j])))
             + 2 * (k + 1) * fp_eta;
    behavior nn:
      assumes transa == CblasNoTrans;
      requires lda == k && \valid_read(a + (0 .. m * lda - 1));
      requires fin: finite_range(a, 1, m * lda);
      requires \separated(c + (0 .. m * ldc - 1), a + (0 .. m * lda - 1));
      requires k <= 0x1p30 && \forall integer t; 0 <= t < m * lda ==> \abs(a[t]) <= 0x1p480;
      requires \forall integer t; 0 <= t < k * ldb ==> \abs(b[t]) <= 0x1p480;
      assigns c[0 .. m * ldc - 1];
      ensures fin: finite_range(c, 1, m * n);
      ensures gemm: \forall integer i, j; 0 <= i < m ==> 0 <= j < n ==>
        \abs(c[roff(i, ldc) + j] - (dot{Old}(a + roff(i, lda), 1, b + j, ldb, k) + beta * \old(c[roff(i, ldc) + j])))
          <= 2 * (k + 1) * fp_u * (dotabs{Old}(a + roff(i, lda), 1, b + j, ldb, k) + \abs(beta * \old(c[roff(i, ldc) + j])))
             + 2 * (k + 1) * fp_eta;
    complete behaviors;
    disjoint behaviors;
*/
void cblas_dgemm(int order, int transa, int transb, int m, int n, int k, double alpha,
                 const double *a, int lda, const double *b, int ldb, double beta, double *c,
                 int ldc);
#else
#include <cblas.h>
#endif

#endif
