/* MPFR matrices: allocation in one block per matrix, pointer arrays, and the
 * correctly rounded matrix product every op is built on. */
#include "mpmat.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "../src/error.h"

ar_ref_counts ar_ref_cnt;

struct mpblock {
  mpblock *next;
  mpmat m;
  /* then: values, pointer arrays, limbs (aligned) */
};

void mparena_init(mparena *a) { memset(a, 0, sizeof *a); }

void mparena_free(mparena *a) {
  mpblock *b = a->head;
  while (b) {
    mpblock *next = b->next;
    free(b);
    b = next;
  }
  memset(a, 0, sizeof *a);
}

static size_t align16(size_t x) { return (x + 15) & ~(size_t)15; }

int64_t mpmat_bytes(int64_t rows, int64_t cols, mpfr_prec_t prec) {
  int64_t count, per, total;
  int64_t limbs = (int64_t)align16(mpfr_custom_get_size(prec));
  if (!ar_mul_ok(rows, cols, &count)) return -1;
  per = (int64_t)(sizeof(__mpfr_struct) + 2 * sizeof(mpfr_ptr)) + limbs;
  if (!ar_mul_ok(count, per, &total)) return -1;
  if (!ar_add_ok(total, (int64_t)align16(sizeof(mpblock)) + 64, &total))
    return -1;
  return total;
}

mpmat *mpmat_new(mparena *a, int64_t rows, int64_t cols, mpfr_prec_t prec) {
  int64_t bytes = mpmat_bytes(rows, cols, prec);
  if (bytes < 0 || (uint64_t)bytes > SIZE_MAX) return NULL;
  mpblock *b = malloc((size_t)bytes);
  if (!b) return NULL;
  size_t count = (size_t)(rows * cols);
  size_t limbs = align16(mpfr_custom_get_size(prec));
  char *base = (char *)b + align16(sizeof *b);
  mpmat *m = &b->m;
  m->rows = rows;
  m->cols = cols;
  m->prec = prec;
  m->v = (__mpfr_struct *)base;
  base += align16(count * sizeof(__mpfr_struct));
  m->p = (mpfr_ptr *)base;
  base += count * sizeof(mpfr_ptr);
  m->pt = (mpfr_ptr *)base;
  base += count * sizeof(mpfr_ptr);
  base = (char *)align16((size_t)base);
  for (size_t k = 0; k < count; k++) {
    mpfr_custom_init(base + k * limbs, prec);
    mpfr_custom_init_set(&m->v[k], MPFR_ZERO_KIND, 0, prec, base + k * limbs);
  }
  for (int64_t i = 0; i < rows; i++)
    for (int64_t j = 0; j < cols; j++) {
      m->p[i * cols + j] = &m->v[i * cols + j];
      m->pt[j * rows + i] = &m->v[i * cols + j];
    }
  b->next = a->head;
  a->head = b;
  a->bytes += bytes;
  return m;
}

void mpmat_set_d(mpmat *m, const double *src) {
  for (int64_t k = 0; k < m->rows * m->cols; k++)
    mpfr_set_d(&m->v[k], src[k], RND);
  ar_ref_cnt.other += (uint64_t)(m->rows * m->cols);
}

void mpmat_copy(mpmat *dst, const mpmat *src) {
  assert(dst->rows == src->rows && dst->cols == src->cols);
  for (int64_t k = 0; k < src->rows * src->cols; k++)
    mpfr_set(&dst->v[k], &src->v[k], RND);
  ar_ref_cnt.other += (uint64_t)(src->rows * src->cols);
}

void mpmat_zero(mpmat *m) {
  for (int64_t k = 0; k < m->rows * m->cols; k++) mpfr_set_zero(&m->v[k], 1);
}

void mpctx_init(mpctx *c, mpfr_prec_t prec) {
  memset(c, 0, sizeof *c);
  c->prec = prec;
  mpfr_init2(c->one, prec < 2 ? 2 : prec);
  mpfr_init2(c->mone, prec < 2 ? 2 : prec);
  mpfr_set_si(c->one, 1, RND);
  mpfr_set_si(c->mone, -1, RND);
  for (int k = 0; k < 4; k++) mpfr_init2(c->t[k], prec);
  mpfr_init2(c->ninv_sqrt2, prec);
  mpfr_init2(c->inv_sqrt2pi, prec);
  /* -1/sqrt(2) = -sqrt(1/2): one rounding */
  mpfr_set_ui_2exp(c->t[0], 1, -1, RND);
  mpfr_sqrt(c->ninv_sqrt2, c->t[0], RND);
  mpfr_neg(c->ninv_sqrt2, c->ninv_sqrt2, RND);
  /* 1/sqrt(2 pi): pi at extra precision, then rounded once more */
  mpfr_t w;
  mpfr_init2(w, prec + 32);
  mpfr_const_pi(w, RND);
  mpfr_mul_2si(w, w, 1, RND);
  mpfr_rec_sqrt(c->inv_sqrt2pi, w, RND);
  mpfr_clear(w);
  ar_ref_cnt.other += 6;
}

void mpctx_clear(mpctx *c) {
  mpfr_clear(c->one);
  mpfr_clear(c->mone);
  for (int k = 0; k < 4; k++) mpfr_clear(c->t[k]);
  mpfr_clear(c->ninv_sqrt2);
  mpfr_clear(c->inv_sqrt2pi);
  free(c->pa);
  free(c->pb);
  memset(c, 0, sizeof *c);
}

int mpctx_reserve(mpctx *c, size_t n) {
  if (n <= c->pcap) return 1;
  size_t cap = c->pcap ? c->pcap : 64;
  while (cap < n) cap *= 2;
  mpfr_ptr *pa = realloc(c->pa, cap * sizeof *pa);
  if (pa) c->pa = pa;
  mpfr_ptr *pb = realloc(c->pb, cap * sizeof *pb);
  if (pb) c->pb = pb;
  if (!pa || !pb) {
    c->oom = 1;
    return 0;
  }
  c->pcap = cap;
  return 1;
}

/* Row i of op(A): contiguous in A->p (no transpose) or A->pt (transpose). */
static mpfr_ptr *op_row(const mpmat *A, int ta, int64_t i) {
  return ta ? A->pt + i * A->rows : A->p + i * A->cols;
}
/* Column j of op(B): row j of B when transposed. */
static mpfr_ptr *op_col(const mpmat *B, int tb, int64_t j) {
  return tb ? B->p + j * B->cols : B->pt + j * B->rows;
}

/* C[i][j] <- sum_t sum_k op(A_t)[i][k] op(B_t)[k][j] + sum_s E_s[i or 0][j] */
void mm_sum(mpctx *c, mpmat *C, int nt, const mmterm *t, int ne,
            const mpmat *const *e) {
  int64_t ktot = 0;
  for (int s = 0; s < nt; s++) {
    int64_t ar = t[s].ta ? t[s].a->cols : t[s].a->rows;
    int64_t ak = t[s].ta ? t[s].a->rows : t[s].a->cols;
    int64_t bk = t[s].tb ? t[s].b->cols : t[s].b->rows;
    int64_t bc = t[s].tb ? t[s].b->rows : t[s].b->cols;
    assert(ar == C->rows && bc == C->cols && ak == bk);
    (void)ar, (void)bc, (void)bk;
    ktot += ak;
  }
  for (int s = 0; s < ne; s++)
    assert(e[s]->cols == C->cols && (e[s]->rows == C->rows || e[s]->rows == 1));
  if (nt == 1 && ne == 0) {
    /* Slices of the pointer arrays are the operands: nothing to copy. */
    for (int64_t i = 0; i < C->rows; i++) {
      mpfr_ptr *ra = op_row(t[0].a, t[0].ta, i);
      for (int64_t j = 0; j < C->cols; j++)
        c_dot(MAT(C, i, j), ra, op_col(t[0].b, t[0].tb, j), ktot);
    }
    return;
  }
  int64_t n = ktot + ne;
  if (!mpctx_reserve(c, (size_t)n)) return;
  /* b side: the constant 1 against each addend */
  for (int s = 0; s < ne; s++) c->pb[ktot + s] = c->one;
  for (int64_t i = 0; i < C->rows; i++) {
    int64_t o = 0;
    for (int s = 0; s < nt; s++) {
      int64_t k = t[s].ta ? t[s].a->rows : t[s].a->cols;
      memcpy(c->pa + o, op_row(t[s].a, t[s].ta, i), (size_t)k * sizeof(mpfr_ptr));
      o += k;
    }
    for (int64_t j = 0; j < C->cols; j++) {
      o = 0;
      for (int s = 0; s < nt; s++) {
        int64_t k = t[s].ta ? t[s].a->rows : t[s].a->cols;
        memcpy(c->pb + o, op_col(t[s].b, t[s].tb, j), (size_t)k * sizeof(mpfr_ptr));
        o += k;
      }
      for (int s = 0; s < ne; s++)
        c->pa[ktot + s] = MAT(e[s], e[s]->rows == 1 ? 0 : i, j);
      c_dot(MAT(C, i, j), c->pa, c->pb, n);
    }
  }
}

void mm(mpctx *c, mpmat *C, const mpmat *A, int ta, const mpmat *B, int tb) {
  mmterm t = {A, ta, B, tb};
  mm_sum(c, C, 1, &t, 0, NULL);
}

/* r[0][j] <- sum_i M[i][j] */
void mm_colsum(mpmat *r, const mpmat *M) {
  assert(r->rows * r->cols == M->cols);
  for (int64_t j = 0; j < M->cols; j++)
    c_sum(&r->v[j], M->pt + j * M->rows, M->rows);
}
