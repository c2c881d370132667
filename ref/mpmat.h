/* MPFR matrices for the reference: one precision per matrix, values and their
 * limbs allocated in one block (mpfr custom interface), with row-major and
 * column-major pointer arrays built once so that every matrix product is a
 * sequence of mpfr_dot calls on slices of those arrays (no copying, no
 * allocation per dot beyond mpfr_dot's own).
 *
 * Every MPFR operation the reference performs goes through the counted
 * wrappers below (ar_ref_counts of ref.h): a plain global increment each. */
#ifndef ATTNREF_REF_MPMAT_H
#define ATTNREF_REF_MPMAT_H

#include <mpfr.h>
#include <stddef.h>
#include <stdint.h>

#include "ref.h"

#define RND MPFR_RNDN

typedef struct mpmat {
  int64_t rows, cols;
  mpfr_prec_t prec;
  __mpfr_struct *v; /* rows*cols values, row-major */
  mpfr_ptr *p;      /* p[i*cols + j] = &v[i*cols + j]: row i is p + i*cols */
  mpfr_ptr *pt;     /* pt[j*rows + i] = &v[i*cols + j]: column j is pt + j*rows */
} mpmat;

/* Element (i, j). */
#define MAT(m, i, j) (&(m)->v[(int64_t)(i) * (m)->cols + (j)])

/* An arena owns every matrix of one precision run; freed at once. */
typedef struct mpblock mpblock;
typedef struct mparena {
  mpblock *head;
  int64_t bytes; /* total allocated, for reports */
} mparena;

void mparena_init(mparena *a);
void mparena_free(mparena *a);

/* A rows x cols matrix of zeros at precision prec; NULL when out of memory.
 * Never mpfr_clear or mpfr_set_prec its values (custom allocation). */
mpmat *mpmat_new(mparena *a, int64_t rows, int64_t cols, mpfr_prec_t prec);

/* Bytes mpmat_new takes for rows x cols at prec; -1 on overflow. */
int64_t mpmat_bytes(int64_t rows, int64_t cols, mpfr_prec_t prec);

/* m <- doubles (exact when m->prec >= 53); src has rows*cols entries. */
void mpmat_set_d(mpmat *m, const double *src);
/* dst <- src (same shape), rounded to dst's precision. */
void mpmat_copy(mpmat *dst, const mpmat *src);
void mpmat_zero(mpmat *m);

/* ---- operation counting ------------------------------------------------ */
extern ar_ref_counts ar_ref_cnt;

/* r <- a*b */
static inline void c_mul(mpfr_ptr r, mpfr_srcptr a, mpfr_srcptr b) {
  ar_ref_cnt.mul++;
  mpfr_mul(r, a, b, RND);
}
/* r <- a+b */
static inline void c_add(mpfr_ptr r, mpfr_srcptr a, mpfr_srcptr b) {
  ar_ref_cnt.add++;
  mpfr_add(r, a, b, RND);
}
/* r <- a-b */
static inline void c_sub(mpfr_ptr r, mpfr_srcptr a, mpfr_srcptr b) {
  ar_ref_cnt.add++;
  mpfr_sub(r, a, b, RND);
}
/* r <- a*b + c, one rounding */
static inline void c_fma(mpfr_ptr r, mpfr_srcptr a, mpfr_srcptr b,
                         mpfr_srcptr c) {
  ar_ref_cnt.fma++;
  mpfr_fma(r, a, b, c, RND);
}
/* r <- a/b */
static inline void c_div(mpfr_ptr r, mpfr_srcptr a, mpfr_srcptr b) {
  ar_ref_cnt.div++;
  mpfr_div(r, a, b, RND);
}
/* r <- a/k, k a small integer */
static inline void c_div_ui(mpfr_ptr r, mpfr_srcptr a, unsigned long k) {
  ar_ref_cnt.div++;
  mpfr_div_ui(r, a, k, RND);
}
/* r <- sqrt(a) */
static inline void c_sqrt(mpfr_ptr r, mpfr_srcptr a) {
  ar_ref_cnt.sqrt++;
  mpfr_sqrt(r, a, RND);
}
/* r <- exp(a) */
static inline void c_exp(mpfr_ptr r, mpfr_srcptr a) {
  ar_ref_cnt.exp++;
  mpfr_exp(r, a, RND);
}
/* r <- erfc(a) (counted with erf: same algorithm family and cost) */
static inline void c_erfc(mpfr_ptr r, mpfr_srcptr a) {
  ar_ref_cnt.erf++;
  mpfr_erfc(r, a, RND);
}
/* r <- log(a) */
static inline void c_log(mpfr_ptr r, mpfr_srcptr a) {
  ar_ref_cnt.log++;
  mpfr_log(r, a, RND);
}
/* r <- sum_i a[i]*b[i], correctly rounded */
static inline void c_dot(mpfr_ptr r, mpfr_ptr *a, mpfr_ptr *b, int64_t n) {
  ar_ref_cnt.dot_terms += (uint64_t)n;
  mpfr_dot(r, a, b, (unsigned long)n, RND);
}
/* r <- sum_i t[i], correctly rounded */
static inline void c_sum(mpfr_ptr r, mpfr_ptr *t, int64_t n) {
  ar_ref_cnt.sum_terms += (uint64_t)n;
  mpfr_sum(r, t, (unsigned long)n, RND);
}
/* r <- a (rounded to r's precision); a copy, counted as other */
static inline void c_set(mpfr_ptr r, mpfr_srcptr a) {
  ar_ref_cnt.other++;
  mpfr_set(r, a, RND);
}
/* r <- -a (exact) */
static inline void c_neg(mpfr_ptr r, mpfr_srcptr a) {
  ar_ref_cnt.other++;
  mpfr_neg(r, a, RND);
}
/* r <- a*2^k (exact) */
static inline void c_mul_2si(mpfr_ptr r, mpfr_srcptr a, long k) {
  ar_ref_cnt.other++;
  mpfr_mul_2si(r, a, k, RND);
}
/* sign of a-b */
static inline int c_cmp(mpfr_srcptr a, mpfr_srcptr b) {
  ar_ref_cnt.other++;
  return mpfr_cmp(a, b);
}

/* ---- a computation context: one precision, constants, scratch ---------- */
typedef struct mpctx {
  mpfr_prec_t prec;
  mpfr_t one, mone;   /* 1, -1 (exact) */
  mpfr_t ninv_sqrt2;  /* -1/sqrt(2) at prec (gelu's Phi via erfc) */
  mpfr_t inv_sqrt2pi; /* 1/sqrt(2 pi) at prec (gelu's phi) */
  mpfr_t t[4];        /* scratch values at prec */
  /* Scratch pointer arrays (grown on demand; oom set if that fails). */
  mpfr_ptr *pa, *pb;
  size_t pcap;
  int oom;
} mpctx;

void mpctx_init(mpctx *c, mpfr_prec_t prec);
void mpctx_clear(mpctx *c);
/* Makes pa/pb hold at least n pointers each; 0 (and oom) on failure. */
int mpctx_reserve(mpctx *c, size_t n);

/* One term of a product sum: op(A) with op = transpose when trans. */
typedef struct mmterm {
  const mpmat *a;
  int ta;
  const mpmat *b;
  int tb;
} mmterm;

/* C <- sum_t op(A_t) op(B_t) + sum_s E_s, each element one correctly rounded
 * mpfr_dot over all the terms (so sums of products and a residual cancel
 * exactly before the one rounding). An addend with one row is broadcast over
 * C's rows (a bias). Shapes must agree (checked by assert). */
void mm_sum(mpctx *c, mpmat *C, int nt, const mmterm *t, int ne,
            const mpmat *const *e);

/* C <- op(A) op(B) */
void mm(mpctx *c, mpmat *C, const mpmat *A, int ta, const mpmat *B, int tb);

/* r[j] <- sum_i M[i][j]: column sums, correctly rounded (bias gradients). */
void mm_colsum(mpmat *r, const mpmat *M);

#endif
