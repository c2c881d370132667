/* kern_gemm (fast/kern/kern_gemm.h) against MPFR: every ensures of its contract, which is the
 * ASSUMED contract of cblas_dgemm term for term, so this test is that assumption's check
 * against OpenBLAS. Random shapes NN, NT, TN, TT with leading dimensions above the row widths
 * (NaN in the cells between rows of A and B: they must not be read into the result; C's cells
 * between rows must stay as they were), alpha = 1, tau-like 1/sqrt(d), large (to 2^20), tiny
 * and negative, beta 0 (C's used part NaN before) or 1, underflowing products, entries near
 * the 2^480 limit, cancellation, and long sums (OpenBLAS blocks k: alpha is applied to several
 * partial sums). Also: the result is bit for bit the direct cblas_dgemm call's. Inputs are
 * printed on failure. */
#include <cblas.h>
#include <stdlib.h>
#include <string.h>

#include "fast/kern/kern_gemm.h"
#include "kern_mpfr.h"

#define PREC KM_PREC

static double worst; /* the largest error / bound seen */

static double *buf(int64_t rows, int64_t w, int64_t ld, double gap) {
  int64_t len = (rows - 1) * ld + w; /* exactly the extent the contract names */
  double *p = malloc(sizeof(double) * (size_t)len);
  for (int64_t t = 0; t < len; t++) p[t] = gap;
  return p;
}

/* entry (i, j): |got - (alpha dot + beta c0)| <= 2 (k+2) u (|alpha| dotabs + |beta c0|)
 *   + 2 (k+2) (1 + |alpha|) eta + 2 eta (sumabs(x) + sumabs(y)), x = (a, ia), y = (b, ib) */
static int entry_ok(double got, double alpha, double beta, double c0, int64_t k, const double *a,
                    int64_t ia, const double *b, int64_t ib) {
  mpfr_t ex, ab, s, p, bound;
  mpfr_inits2(PREC, ex, ab, s, p, bound, (mpfr_ptr)0);
  mpfr_set_zero(ex, 1), mpfr_set_zero(ab, 1), mpfr_set_zero(s, 1);
  for (int64_t t = 0; t < k; t++) {
    mpfr_set_d(p, a[t * ia], MPFR_RNDN);
    mpfr_mul_d(p, p, b[t * ib], MPFR_RNDN);
    mpfr_add(ex, ex, p, MPFR_RNDN);
    mpfr_abs(p, p, MPFR_RNDN);
    mpfr_add(ab, ab, p, MPFR_RNDN);
    mpfr_set_d(p, fabs(a[t * ia]), MPFR_RNDN);
    mpfr_add(s, s, p, MPFR_RNDN);
    mpfr_set_d(p, fabs(b[t * ib]), MPFR_RNDN);
    mpfr_add(s, s, p, MPFR_RNDN);
  }
  mpfr_mul_d(ex, ex, alpha, MPFR_RNDN);
  mpfr_mul_d(ab, ab, fabs(alpha), MPFR_RNDN);
  if (beta == 1.0) {
    mpfr_add_d(ex, ex, c0, MPFR_RNDN);
    mpfr_add_d(ab, ab, fabs(c0), MPFR_RNDN);
  }
  mpfr_mul_d(bound, ab, 2 * (double)(k + 2) * U, MPFR_RNDN);
  mpfr_set_d(p, fabs(alpha), MPFR_RNDN);
  mpfr_add_ui(p, p, 1, MPFR_RNDN);
  mpfr_mul_si(p, p, 2 * (long)(k + 2), MPFR_RNDN);
  mpfr_mul(p, p, eta, MPFR_RNDN);
  mpfr_add(bound, bound, p, MPFR_RNDN);
  mpfr_mul(p, eta, s, MPFR_RNDN);
  mpfr_mul_ui(p, p, 2, MPFR_RNDN);
  mpfr_add(bound, bound, p, MPFR_RNDN);
  int ok = within(got, ex, bound, "kern_gemm", 0);
  mpfr_set_d(p, got, MPFR_RNDN); /* how much of the bound the error uses, for the log */
  mpfr_sub(p, p, ex, MPFR_RNDN);
  mpfr_abs(p, p, MPFR_RNDN);
  mpfr_div(p, p, bound, MPFR_RNDN);
  if (mpfr_get_d(p, MPFR_RNDN) > worst) worst = mpfr_get_d(p, MPFR_RNDN);
  mpfr_clears(ex, ab, s, p, bound, (mpfr_ptr)0);
  return ok;
}

static double pick_alpha(int k) {
  switch (k % 7) {
  case 0: case 1: return 1.0;
  case 2: return 1.0 / sqrt((double)(1 + t_rand(&rng) % 256)); /* tau */
  case 3: return rnd_double(-30, 19);                           /* up to 2^20 */
  case 4: return rnd_double(-1070, -900);                       /* tiny, subnormal included */
  case 5: return rnd_double(15, 19);                            /* large */
  default: return -1.0 / sqrt((double)(1 + t_rand(&rng) % 64));
  }
}

static void test_gemm(void) {
  long entries = 0;
  for (int k = 0; k < 1200; k++) {
    int ta = k & 1, tb = (k >> 1) & 1;
    int lng = k % 10 == 9; /* long sums: few entries, k past OpenBLAS's k-blocking */
    int64_t m = 1 + (int64_t)(t_rand(&rng) % (lng ? 3 : 24));
    int64_t n = 1 + (int64_t)(t_rand(&rng) % (lng ? 3 : 24));
    int64_t kk = 1 + (int64_t)(t_rand(&rng) % (lng ? 900 : 40));
    int64_t ar = ta ? kk : m, ac = ta ? m : kk, br = tb ? n : kk, bc = tb ? kk : n;
    int64_t lda = ac + (k % 3 ? (int64_t)(t_rand(&rng) % 5) : 0);
    int64_t ldb = bc + (k % 5 ? (int64_t)(t_rand(&rng) % 5) : 0);
    int64_t ldc = n + (k % 3 != 1 ? (int64_t)(t_rand(&rng) % 5) : 0);
    double alpha = pick_alpha(k / 4), beta = (k / 4) % 2 ? 1.0 : 0.0;
    int range = (k / 8) % 4; /* ordinary, underflowing products, near 2^480, mixed */
    int lo = range == 1 ? -545 : range == 2 ? 400 : -30, hi = range == 1 ? -500 : range == 2 ? 478 : 30;
    if (range == 2 && fabs(alpha) > 1) alpha = 1 / alpha; /* |alpha| dotabs below 2^1012 */
    double *A = buf(ar, ac, lda, NAN), *B = buf(br, bc, ldb, NAN);
    double *C = buf(m, n, ldc, 0.0), *C0 = buf(m, n, ldc, 0.0), *D = buf(m, n, ldc, 0.0);
    for (int64_t i = 0; i < ar; i++)
      for (int64_t t = 0; t < ac; t++)
        A[i * lda + t] = range == 3 && t_rand(&rng) % 2 ? rnd_double(-545, -500) : rnd_double(lo, hi);
    for (int64_t i = 0; i < br; i++)
      for (int64_t t = 0; t < bc; t++)
        B[i * ldb + t] = range == 3 && t_rand(&rng) % 2 ? rnd_double(200, 300) : rnd_double(lo, hi);
    if (k % 6 == 5 && !ta && kk >= 2) /* cancellation: column 2s+1 of op(A) undoes 2s (times B) */
      for (int64_t i = 0; i < m; i++)
        for (int64_t t = 0; t + 1 < kk; t += 2) {
          A[i * lda + t + 1] = -A[i * lda + t];
          if (tb) B[0 * ldb + t + 1] = B[0 * ldb + t] * (1 + 0x1p-30);
          else B[(t + 1) * ldb] = B[t * ldb] * (1 + 0x1p-30);
        }
    int64_t lenc = (m - 1) * ldc + n;
    for (int64_t t = 0; t < lenc; t++) C[t] = rnd_double(-30, 30); /* the gaps */
    for (int64_t i = 0; i < m; i++)
      for (int64_t j = 0; j < n; j++)
        C[i * ldc + j] = beta == 1.0 ? rnd_double(range == 2 ? 900 : -560, range == 2 ? 989 : 30) : NAN;
    memcpy(C0, C, sizeof(double) * (size_t)lenc);
    memcpy(D, C, sizeof(double) * (size_t)lenc);
    kern_gemm(ta, tb, m, n, kk, alpha, A, lda, B, ldb, beta, C, ldc);
    cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                (int)m, (int)n, (int)kk, alpha, A, (int)lda, B, (int)ldb, beta, D, (int)ldc);
    CHECK(memcmp(C, D, sizeof(double) * (size_t)lenc) == 0, "kern_gemm != cblas_dgemm (case %d)", k);
    for (int64_t i = 0; i < m; i++)
      for (int64_t j = n; j < ldc && i < m - 1; j++)
        CHECK(C[i * ldc + j] == C0[i * ldc + j], "kern_gemm wrote the gap (%lld, %lld) (case %d)",
              (long long)i, (long long)j, k);
    for (int64_t i = 0; i < m; i++)
      for (int64_t j = 0; j < n; j++, entries++) {
        const double *x = ta ? A + i : A + i * lda, *y = tb ? B + j * ldb : B + j;
        int64_t ix = ta ? lda : 1, iy = tb ? 1 : ldb;
        if (!entry_ok(C[i * ldc + j], alpha, beta, C0[i * ldc + j], kk, x, ix, y, iy)) {
          CHECK(0, "kern_gemm case %d: ta=%d tb=%d m=%lld n=%lld k=%lld lda=%lld ldb=%lld "
                   "ldc=%lld alpha=%a beta=%g c0=%a entry (%lld, %lld)", k, ta, tb, (long long)m,
                (long long)n, (long long)kk, (long long)lda, (long long)ldb, (long long)ldc, alpha,
                beta, C0[i * ldc + j], (long long)i, (long long)j);
          for (int64_t t = 0; t < kk && t < 64; t++)
            fprintf(stderr, "  t=%lld: a=%a b=%a\n", (long long)t, x[t * ix], y[t * iy]);
        }
      }
    free(A), free(B), free(C), free(C0), free(D);
  }
  printf("t_kern_gemm: %ld entries checked, largest error / bound %.3g\n", entries, worst);
}

int main(void) {
  km_init("t_kern_gemm");
  test_gemm();
  km_clear();
  return t_done("t_kern_gemm");
}
