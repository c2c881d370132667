/* The exponentials of a row of scores against a shift: a branch-free map, vectorized.
 * This file alone is compiled with floating-point contraction (fast/kern/CMakeLists.txt): its
 * only arithmetic is one subtraction per element, which has no product to fuse with, and
 * fa_exp64, whose accuracy is assumed (proofs/README.md, A3) and whose polynomial then runs on
 * fused multiply-adds where the CPU has them. */
#include "fast/kern/kern.h"
#include "fast/kern/kern_fp.h"

/* p_j <- exp(x_j - m) */
KERN_VECTOR_CLONES
void kern_exp_shift(int64_t n, const double *x, double m, double *p) {
  /* x and p are apart (the contract says so): the map runs in vector lanes */
#ifndef __FRAMAC__
#pragma omp simd
#endif
  /*@ loop invariant 0 <= i <= n;
      loop invariant fin: finite_range(p, 1, i);
      loop invariant done: \forall integer j; 0 <= j < i ==> exp_term(p[j], x[j], m);
      loop assigns i, p[0 .. n - 1];
      loop variant n - i; */
  for (int64_t i = 0; i < n; i++)
    p[i] = kern_fexpdiff(kern_load(x, i, 1, n), m);
}
