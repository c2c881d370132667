/* The general matrix product of the double paths: kern_gemm, a proved wrapper around OpenBLAS's
 * cblas_dgemm (fast/kern/kern_gemm.c). Under Frama-C the call goes to cblas_dgemm_any, a second
 * prototype of the same routine declared below with an ASSUMED contract for every shape the
 * exact path uses (proofs/README.md, "The general matrix product"); the code that runs calls
 * cblas_dgemm itself. Same conventions as kern.h (u = 2^-53, eta = 2^-1075; magnitude
 * preconditions only exclude overflow). Row-major throughout: row i of a block with leading
 * dimension ld starts at roff(i, ld) = i ld (proofs/lowrank.acsl); blk_fin / blk_le say that
 * the used part of a block (rows x width, not the cells between rows) is finite / bounded
 * (proofs/gemm.acsl). op(A) is A (ta = 0, stored m x k) or A^T (ta = 1, stored k x m); op(B)
 * is B (tb = 0, stored k x n) or B^T (tb = 1, stored n x k). */
#ifndef ATTNREF_FAST_KERN_GEMM_H
#define ATTNREF_FAST_KERN_GEMM_H

#include <stdint.h>

#ifdef __FRAMAC__
#include "proofs/attnref.acsl"
#include "fast/kern/kern_lowrank.h" /* CblasRowMajor, CblasNoTrans, CblasTrans */

/* C (m x n, ldc) <- alpha op(A) op(B) + beta C, beta in {0, 1}: OpenBLAS's cblas_dgemm.
 * ASSUMED (not proved; t-kern-gemm checks it against MPFR): every entry is finite and
 *   |c' - (alpha dot + beta c)| <= 2 (k+2) u (|alpha| dotabs + |beta c|)
 *                                  + 2 (k+2) (1 + |alpha|) eta + 2 eta (sumabs row + sumabs col)
 * with dot / dotabs / sumabs over row i of op(A) and column j of op(B). Why this holds whatever
 * the summation order, FMA or not, and wherever alpha is applied (OpenBLAS's kernels apply it
 * once per partial sum when storing, alpha acc + c, possibly fused; a gemv-like path scales an
 * operand, alpha x_t; a small-matrix kernel forms alpha sum + beta c): the result is a tree of
 * roundings over the k products and beta c (exact: beta is 0 or 1) in which every path from a
 * product to the root passes one multiplication forming it, at most one by alpha and at most k
 * additions in all (k+1 leaves; several partial sums each scaled by alpha are still joined by
 * additions): at most k+2 relative errors of u, and (1+u)^(k+2) - 1 <= 2 (k+2) u since
 * (k+2) u <= 1/2. The absolute (underflow) errors come from multiplications only (an addition
 * with a subnormal result is exact): at most k products and k alpha scalings, eta each, then
 * times alpha (a product formed before the scaling) and at most (1+u)^(k+1) <= 2 more: the
 * 2 (k+2) (1 + |alpha|) eta term; and when alpha scales an operand first, its eta is then
 * multiplied by the other operand: at most 2 eta (sum |a_t| + sum |b_t|). Magnitudes: entries
 * <= 2^480, k <= 2^30, |alpha| <= 2^20, |c| <= 2^990 keep every partial result below 2^1012. */
/*@ requires order == CblasRowMajor;
    requires transa == CblasNoTrans || transa == CblasTrans;
    requires transb == CblasNoTrans || transb == CblasTrans;
    requires 1 <= m && 1 <= n && 1 <= k <= 0x1p30 && n <= ldc;
    requires beta == 0.0 || beta == 1.0;
    requires fin: \is_finite(alpha);
    requires \abs(alpha) <= 0x1p20;
    requires \valid(c + (0 .. (m - 1) * ldc + n - 1));
    requires fin: beta == 1.0 ==> blk_fin(c, m, n, ldc);
    requires beta == 1.0 ==> blk_le(c, m, n, ldc, 0x1p990);
    assigns c[0 .. (m - 1) * ldc + n - 1];
    ensures fin: blk_fin(c, m, n, ldc);
    ensures untouched: \forall integer t; 0 <= t < (m - 1) * ldc + n ==> t % ldc >= n ==>
      c[t] == \old(c[t]);
    behavior nn:
      assumes transa == CblasNoTrans && transb == CblasNoTrans;
      requires k <= lda && n <= ldb;
      requires \valid_read(a + (0 .. (m - 1) * lda + k - 1)) && \valid_read(b + (0 .. (k - 1) * ldb + n - 1));
      requires \separated(c + (0 .. (m - 1) * ldc + n - 1), a + (0 .. (m - 1) * lda + k - 1));
      requires \separated(c + (0 .. (m - 1) * ldc + n - 1), b + (0 .. (k - 1) * ldb + n - 1));
      requires fin: blk_fin(a, m, k, lda) && blk_fin(b, k, n, ldb);
      requires blk_le(a, m, k, lda, 0x1p480) && blk_le(b, k, n, ldb, 0x1p480);
      ensures gemm: \forall integer i, j; 0 <= i < m ==> 0 <= j < n ==>
        \abs(c[roff(i, ldc) + j] - (alpha * dot{Old}(a + roff(i, lda), 1, b + j, ldb, k) + beta * \old(c[roff(i, ldc) + j])))
          <= 2 * (k + 2) * fp_u * (\abs(alpha) * dotabs{Old}(a + roff(i, lda), 1, b + j, ldb, k) + \abs(beta * \old(c[roff(i, ldc) + j])))
             + 2 * (k + 2) * (1 + \abs(alpha)) * fp_eta
             + 2 * fp_eta * (sumabs{Old}(a + roff(i, lda), 1, k) + sumabs{Old}(b + j, ldb, k));
    behavior nt:
      assumes transa == CblasNoTrans && transb == CblasTrans;
      requires k <= lda && k <= ldb;
      requires \valid_read(a + (0 .. (m - 1) * lda + k - 1)) && \valid_read(b + (0 .. (n - 1) * ldb + k - 1));
      requires \separated(c + (0 .. (m - 1) * ldc + n - 1), a + (0 .. (m - 1) * lda + k - 1));
      requires \separated(c + (0 .. (m - 1) * ldc + n - 1), b + (0 .. (n - 1) * ldb + k - 1));
      requires fin: blk_fin(a, m, k, lda) && blk_fin(b, n, k, ldb);
      requires blk_le(a, m, k, lda, 0x1p480) && blk_le(b, n, k, ldb, 0x1p480);
      ensures gemm: \forall integer i, j; 0 <= i < m ==> 0 <= j < n ==>
        \abs(c[roff(i, ldc) + j] - (alpha * dot{Old}(a + roff(i, lda), 1, b + roff(j, ldb), 1, k) + beta * \old(c[roff(i, ldc) + j])))
          <= 2 * (k + 2) * fp_u * (\abs(alpha) * dotabs{Old}(a + roff(i, lda), 1, b + roff(j, ldb), 1, k) + \abs(beta * \old(c[roff(i, ldc) + j])))
             + 2 * (k + 2) * (1 + \abs(alpha)) * fp_eta
             + 2 * fp_eta * (sumabs{Old}(a + roff(i, lda), 1, k) + sumabs{Old}(b + roff(j, ldb), 1, k));
    behavior tn:
      assumes transa == CblasTrans && transb == CblasNoTrans;
      requires m <= lda && n <= ldb;
      requires \valid_read(a + (0 .. (k - 1) * lda + m - 1)) && \valid_read(b + (0 .. (k - 1) * ldb + n - 1));
      requires \separated(c + (0 .. (m - 1) * ldc + n - 1), a + (0 .. (k - 1) * lda + m - 1));
      requires \separated(c + (0 .. (m - 1) * ldc + n - 1), b + (0 .. (k - 1) * ldb + n - 1));
      requires fin: blk_fin(a, k, m, lda) && blk_fin(b, k, n, ldb);
      requires blk_le(a, k, m, lda, 0x1p480) && blk_le(b, k, n, ldb, 0x1p480);
      ensures gemm: \forall integer i, j; 0 <= i < m ==> 0 <= j < n ==>
        \abs(c[roff(i, ldc) + j] - (alpha * dot{Old}(a + i, lda, b + j, ldb, k) + beta * \old(c[roff(i, ldc) + j])))
          <= 2 * (k + 2) * fp_u * (\abs(alpha) * dotabs{Old}(a + i, lda, b + j, ldb, k) + \abs(beta * \old(c[roff(i, ldc) + j])))
             + 2 * (k + 2) * (1 + \abs(alpha)) * fp_eta
             + 2 * fp_eta * (sumabs{Old}(a + i, lda, k) + sumabs{Old}(b + j, ldb, k));
    behavior tt:
      assumes transa == CblasTrans && transb == CblasTrans;
      requires m <= lda && k <= ldb;
      requires \valid_read(a + (0 .. (k - 1) * lda + m - 1)) && \valid_read(b + (0 .. (n - 1) * ldb + k - 1));
      requires \separated(c + (0 .. (m - 1) * ldc + n - 1), a + (0 .. (k - 1) * lda + m - 1));
      requires \separated(c + (0 .. (m - 1) * ldc + n - 1), b + (0 .. (n - 1) * ldb + k - 1));
      requires fin: blk_fin(a, k, m, lda) && blk_fin(b, n, k, ldb);
      requires blk_le(a, k, m, lda, 0x1p480) && blk_le(b, n, k, ldb, 0x1p480);
      ensures gemm: \forall integer i, j; 0 <= i < m ==> 0 <= j < n ==>
        \abs(c[roff(i, ldc) + j] - (alpha * dot{Old}(a + i, lda, b + roff(j, ldb), 1, k) + beta * \old(c[roff(i, ldc) + j])))
          <= 2 * (k + 2) * fp_u * (\abs(alpha) * dotabs{Old}(a + i, lda, b + roff(j, ldb), 1, k) + \abs(beta * \old(c[roff(i, ldc) + j])))
             + 2 * (k + 2) * (1 + \abs(alpha)) * fp_eta
             + 2 * fp_eta * (sumabs{Old}(a + i, lda, k) + sumabs{Old}(b + roff(j, ldb), 1, k));
    complete behaviors;
    disjoint behaviors;
*/
void cblas_dgemm_any(int order, int transa, int transb, int m, int n, int k, double alpha,
                     const double *a, int lda, const double *b, int ldb, double beta, double *c,
                     int ldc);
#endif

/* C (m x n, ldc) <- alpha op(A) op(B) + beta C, beta in {0, 1}, row-major, any leading
 * dimensions at least the stored row widths: one cblas_dgemm call. Entry (i, j) is within the
 * gemm bound (the assumed one above, term for term) of alpha dot(row i of op(A), column j of
 * op(B)) + beta c_ij; the cells between rows of C (columns n .. ldc-1: untouched, stated on
 * the offset t so that its quantifier has a trigger) are left as they were. */
/*@ requires ta == 0 || ta == 1;
    requires tb == 0 || tb == 1;
    requires 1 <= m <= 2147483647 && 1 <= n <= 2147483647 && 1 <= k <= 0x1p30;
    requires n <= ldc <= 2147483647 && lda <= 2147483647 && ldb <= 2147483647;
    requires beta == 0.0 || beta == 1.0;
    requires fin: \is_finite(alpha);
    requires \abs(alpha) <= 0x1p20;
    requires \valid(c + (0 .. (m - 1) * ldc + n - 1));
    requires fin: beta == 1.0 ==> blk_fin(c, m, n, ldc);
    requires beta == 1.0 ==> blk_le(c, m, n, ldc, 0x1p990);
    assigns c[0 .. (m - 1) * ldc + n - 1];
    ensures fin: blk_fin(c, m, n, ldc);
    ensures untouched: \forall integer t; 0 <= t < (m - 1) * ldc + n ==> t % ldc >= n ==>
      c[t] == \old(c[t]);
    behavior nn:
      assumes ta == 0 && tb == 0;
      requires k <= lda && n <= ldb;
      requires \valid_read(a + (0 .. (m - 1) * lda + k - 1)) && \valid_read(b + (0 .. (k - 1) * ldb + n - 1));
      requires \separated(c + (0 .. (m - 1) * ldc + n - 1), a + (0 .. (m - 1) * lda + k - 1));
      requires \separated(c + (0 .. (m - 1) * ldc + n - 1), b + (0 .. (k - 1) * ldb + n - 1));
      requires fin: blk_fin(a, m, k, lda) && blk_fin(b, k, n, ldb);
      requires blk_le(a, m, k, lda, 0x1p480) && blk_le(b, k, n, ldb, 0x1p480);
      ensures gemm: \forall integer i, j; 0 <= i < m ==> 0 <= j < n ==>
        \abs(c[roff(i, ldc) + j] - (alpha * dot{Old}(a + roff(i, lda), 1, b + j, ldb, k) + beta * \old(c[roff(i, ldc) + j])))
          <= 2 * (k + 2) * fp_u * (\abs(alpha) * dotabs{Old}(a + roff(i, lda), 1, b + j, ldb, k) + \abs(beta * \old(c[roff(i, ldc) + j])))
             + 2 * (k + 2) * (1 + \abs(alpha)) * fp_eta
             + 2 * fp_eta * (sumabs{Old}(a + roff(i, lda), 1, k) + sumabs{Old}(b + j, ldb, k));
    behavior nt:
      assumes ta == 0 && tb == 1;
      requires k <= lda && k <= ldb;
      requires \valid_read(a + (0 .. (m - 1) * lda + k - 1)) && \valid_read(b + (0 .. (n - 1) * ldb + k - 1));
      requires \separated(c + (0 .. (m - 1) * ldc + n - 1), a + (0 .. (m - 1) * lda + k - 1));
      requires \separated(c + (0 .. (m - 1) * ldc + n - 1), b + (0 .. (n - 1) * ldb + k - 1));
      requires fin: blk_fin(a, m, k, lda) && blk_fin(b, n, k, ldb);
      requires blk_le(a, m, k, lda, 0x1p480) && blk_le(b, n, k, ldb, 0x1p480);
      ensures gemm: \forall integer i, j; 0 <= i < m ==> 0 <= j < n ==>
        \abs(c[roff(i, ldc) + j] - (alpha * dot{Old}(a + roff(i, lda), 1, b + roff(j, ldb), 1, k) + beta * \old(c[roff(i, ldc) + j])))
          <= 2 * (k + 2) * fp_u * (\abs(alpha) * dotabs{Old}(a + roff(i, lda), 1, b + roff(j, ldb), 1, k) + \abs(beta * \old(c[roff(i, ldc) + j])))
             + 2 * (k + 2) * (1 + \abs(alpha)) * fp_eta
             + 2 * fp_eta * (sumabs{Old}(a + roff(i, lda), 1, k) + sumabs{Old}(b + roff(j, ldb), 1, k));
    behavior tn:
      assumes ta == 1 && tb == 0;
      requires m <= lda && n <= ldb;
      requires \valid_read(a + (0 .. (k - 1) * lda + m - 1)) && \valid_read(b + (0 .. (k - 1) * ldb + n - 1));
      requires \separated(c + (0 .. (m - 1) * ldc + n - 1), a + (0 .. (k - 1) * lda + m - 1));
      requires \separated(c + (0 .. (m - 1) * ldc + n - 1), b + (0 .. (k - 1) * ldb + n - 1));
      requires fin: blk_fin(a, k, m, lda) && blk_fin(b, k, n, ldb);
      requires blk_le(a, k, m, lda, 0x1p480) && blk_le(b, k, n, ldb, 0x1p480);
      ensures gemm: \forall integer i, j; 0 <= i < m ==> 0 <= j < n ==>
        \abs(c[roff(i, ldc) + j] - (alpha * dot{Old}(a + i, lda, b + j, ldb, k) + beta * \old(c[roff(i, ldc) + j])))
          <= 2 * (k + 2) * fp_u * (\abs(alpha) * dotabs{Old}(a + i, lda, b + j, ldb, k) + \abs(beta * \old(c[roff(i, ldc) + j])))
             + 2 * (k + 2) * (1 + \abs(alpha)) * fp_eta
             + 2 * fp_eta * (sumabs{Old}(a + i, lda, k) + sumabs{Old}(b + j, ldb, k));
    behavior tt:
      assumes ta == 1 && tb == 1;
      requires m <= lda && k <= ldb;
      requires \valid_read(a + (0 .. (k - 1) * lda + m - 1)) && \valid_read(b + (0 .. (n - 1) * ldb + k - 1));
      requires \separated(c + (0 .. (m - 1) * ldc + n - 1), a + (0 .. (k - 1) * lda + m - 1));
      requires \separated(c + (0 .. (m - 1) * ldc + n - 1), b + (0 .. (n - 1) * ldb + k - 1));
      requires fin: blk_fin(a, k, m, lda) && blk_fin(b, n, k, ldb);
      requires blk_le(a, k, m, lda, 0x1p480) && blk_le(b, n, k, ldb, 0x1p480);
      ensures gemm: \forall integer i, j; 0 <= i < m ==> 0 <= j < n ==>
        \abs(c[roff(i, ldc) + j] - (alpha * dot{Old}(a + i, lda, b + roff(j, ldb), 1, k) + beta * \old(c[roff(i, ldc) + j])))
          <= 2 * (k + 2) * fp_u * (\abs(alpha) * dotabs{Old}(a + i, lda, b + roff(j, ldb), 1, k) + \abs(beta * \old(c[roff(i, ldc) + j])))
             + 2 * (k + 2) * (1 + \abs(alpha)) * fp_eta
             + 2 * fp_eta * (sumabs{Old}(a + i, lda, k) + sumabs{Old}(b + roff(j, ldb), 1, k));
    complete behaviors;
    disjoint behaviors;
*/
void kern_gemm(int ta, int tb, int64_t m, int64_t n, int64_t k, double alpha, const double *a,
               int64_t lda, const double *b, int64_t ldb, double beta, double *c, int64_t ldc);

#endif
