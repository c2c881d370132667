/* Test support for single attention heads (fast, gpu): a naive head in long
 * double with explicit n x n matrices (the tiled heads' independent peer),
 * and the check of an exact head, double and float, against it. */
#ifndef ATTNREF_TESTS_COMMON_HEADCHECK_H
#define ATTNREF_TESTS_COMMON_HEADCHECK_H

#include <stdint.h>

#include "fast/attn_head.h"
#include "fast/model.h"
#include "testutil.h"

/* The naive head: S = tau Q K^T, masked rows softmax F (explicit n x n),
 * O = F U, lse_i = log sum_j exp(S_ij); backward dU = F^T G, r = rowsum(O o
 * G), dS = F o (G U^T) - diag(r) F, dQ = tau dS K, dK = tau dS^T Q.
 * Alongside each result, the same sums over absolute values (for a
 * componentwise error bound |computed - exact| <= kappa u A that holds
 * through cancellation): A_O = F |U|, A_dU = F^T |G|,
 * A_dQ = tau (F o (|G| |U|^T + |r|)) |K|, A_dK = tau (...)^T |Q| with
 * |r|_i = sum_c A_O,ic |G_ic|; smax = max_ij tau sum_c |Q_ic| |K_jc|.
 * Q, K, U, G and every output: n x dh dense. */
typedef struct naive_head {
  long double *o, *lse, *dq, *dk, *du;     /* results */
  long double *ao, *adq, *adk, *adu;       /* absolute-value sums */
  long double smax;
} naive_head;

/* allocates every array of nh (exits 3 on failure) and computes them */
void naive_head_run(int64_t n, int64_t dh, int causal, long double tau,
                    const long double *q, const long double *k,
                    const long double *u, const long double *g,
                    naive_head *nh);
void naive_head_free(naive_head *nh);

/* What the head tests write outside a head's columns beforehand. */
#define HEAD_SENTINEL 12345.0

/* 1 if a (n rows of ld) holds HEAD_SENTINEL outside columns [off, off+dh) */
int head_untouched(const double *a, int64_t n, int64_t ld, int64_t off,
                   int64_t dh);

typedef struct head_spec {
  int64_t n, dh;
  int causal;
  double qscale; /* queries ~ U(-qscale, qscale): the size of the scores */
} head_spec;

/* One spec at width `bits` (64: h64 on double inputs; 32: h32 on
 * float-rounded inputs, the naive head fed the same rounded values), with
 * the head embedded in rows of dh + 3 at column 1: forward O and the saved
 * log-sum-exp, backward dQ dK dU against the naive head within
 * kappa u A (+ exp's underflow floor), and the other columns untouched.
 * label prefixes "exact<bits>" in messages; last_error (may be NULL) says
 * why a head call failed. */
void exact_head_check(const head_spec *s, uint64_t seed, int bits,
                      const fa_head_impl *h64, const fa_head_impl_f32 *h32,
                      const char *label, const char *(*last_error)(void));

#endif
