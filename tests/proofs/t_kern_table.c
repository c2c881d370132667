/* The feature table's kernels (fast/kern/kern_table.h). kern_feat_table, for many (dh, g)
 * (dh = 1 and g = 0 included): every ensures on the table it returns (root, entry, distinct,
 * complete, feat_table); that the entries are exactly the multisets of size <= g (against an
 * independent odometer over count vectors); run = the multiplicity of var and multinom =
 * |alpha|! / prod alpha_i! (GMP); -1 without a write at or past cap when cap is too small or a
 * multinomial passes 2^53 (guard cells), and success at the 2^53 boundary; fa_features_init
 * fails cleanly there. kern_feat_weights: fp_rnd and the err form against MPFR, the weights
 * ranging over subnormal to near-overflow products. Inputs are printed on failure. */
#include <stdlib.h>
#include <string.h>

#include "fast/features.h"
#include "fast/kern/kern_table.h"
#include "kern_mpfr.h"

enum { GUARD = 16 };
#define SENT32 0x5a5a5a5a
#define SENT64 INT64_C(0x5a5a5a5a5a5a5a5a)

/* C(n, k) by Pascal's triangle in GMP */
static void binom_z(mpz_t r, int n, int k) { mpz_bin_uiui(r, (unsigned long)n, (unsigned long)k); }

typedef struct tab {
  int64_t cap;
  int32_t *parent, *var, *deg, *run;
  int64_t *multinom;
} tab;

static void tab_alloc(tab *t, int64_t cap) {
  size_t m = (size_t)(cap + GUARD);
  t->cap = cap;
  t->parent = malloc(m * sizeof(int32_t)), t->var = malloc(m * sizeof(int32_t));
  t->deg = malloc(m * sizeof(int32_t)), t->run = malloc(m * sizeof(int32_t));
  t->multinom = malloc(m * sizeof(int64_t));
  for (size_t i = 0; i < m; i++)
    t->parent[i] = t->var[i] = t->deg[i] = t->run[i] = SENT32, t->multinom[i] = SENT64;
}

static void tab_free(tab *t) {
  free(t->parent), free(t->var), free(t->deg), free(t->run), free(t->multinom);
}

/* no cell at or past cap written */
static int guard_ok(const tab *t) {
  for (int64_t i = t->cap; i < t->cap + GUARD; i++)
    if (t->parent[i] != SENT32 || t->var[i] != SENT32 || t->deg[i] != SENT32 ||
        t->run[i] != SENT32 || t->multinom[i] != SENT64)
      return 0;
  return 1;
}

static int64_t build(tab *t, int dh, int g) {
  return kern_feat_table(dh, g, t->cap, t->parent, t->var, t->deg, t->run, t->multinom);
}

static int dh_cmp;
static int vec_cmp(const void *x, const void *y) {
  return memcmp(x, y, (size_t)dh_cmp * sizeof(uint16_t));
}

/* the largest multinomial of degree g in dh variables (the counts as even as possible) */
static void max_multinom(mpz_t r, int dh, int g) {
  mpz_t f;
  mpz_init(f);
  mpz_fac_ui(r, (unsigned long)g);
  for (int i = 0; i < dh; i++) {
    mpz_fac_ui(f, (unsigned long)(g / dh + (i < g % dh)));
    mpz_divexact(r, r, f);
  }
  mpz_clear(f);
}

/* every ensures of kern_feat_table on a successful table of n entries, and its meaning */
static void check_table(const tab *t, int64_t n, int dh, int g) {
  const int32_t *par = t->parent, *var = t->var, *deg = t->deg, *run = t->run;
  const int64_t *mn = t->multinom;
  mpz_t want, f;
  mpz_inits(want, f, (mpz_ptr)0);
  binom_z(want, dh + g, g);
  CHECK(mpz_cmp_si(want, (long)n) == 0, "dh=%d g=%d: %lld entries, want C(dh+g, g)", dh, g,
        (long long)n);
  CHECK(1 <= n && n <= t->cap && guard_ok(t), "dh=%d g=%d: size %lld cap %lld or guard", dh,
        g, (long long)n, (long long)t->cap);
  CHECK(par[0] == -1 && var[0] == -1 && deg[0] == 0 && run[0] == 0 && mn[0] == 1,
        "dh=%d g=%d: root", dh, g);
  /* alpha of each entry along the parent links (counts), checked against deg/run/multinom */
  uint16_t *alpha = calloc((size_t)(n * dh), sizeof *alpha);
  for (int64_t a = 1; a < n; a++) {
    int32_t p = par[a], v = var[a];
    int ok = 0 <= p && p < a && 0 <= v && v < dh; /* feat_table */
    CHECK(ok, "dh=%d g=%d entry %lld: parent %d var %d", dh, g, (long long)a, p, v);
    if (!ok) break;
    int64_t m_rec = mn[p] * deg[a] / run[a]; /* the recurrence, C division */
    CHECK(var[p] <= v && deg[a] == deg[p] + 1 && deg[a] <= g &&
              run[a] == (v == var[p] ? run[p] + 1 : 1) && mn[a] == m_rec && 1 <= mn[a] &&
              mn[a] <= KERN_FEAT_MMAX,
          "dh=%d g=%d entry %lld: parent %d var %d deg %d run %d multinom %lld", dh, g,
          (long long)a, p, v, deg[a], run[a], (long long)mn[a]);
    CHECK(par[a - 1] < p || (par[a - 1] == p && var[a - 1] < v) || a == 1,
          "dh=%d g=%d: (parent, var) not increasing at %lld", dh, g, (long long)a);
    memcpy(alpha + a * dh, alpha + (int64_t)p * dh, (size_t)dh * sizeof *alpha);
    alpha[a * dh + v]++;
    /* meaning: deg = |alpha|, run = alpha_var, multinom = |alpha|! / prod alpha_i! */
    int s = 0;
    mpz_fac_ui(want, (unsigned long)deg[a]);
    for (int i = 0; i < dh; i++) {
      s += alpha[a * dh + i];
      mpz_fac_ui(f, alpha[a * dh + i]);
      mpz_divexact(want, want, f);
    }
    CHECK(s == deg[a] && run[a] == alpha[a * dh + v] && mpz_cmp_si(want, (long)mn[a]) == 0,
          "dh=%d g=%d entry %lld: |alpha| %d deg %d, run %d alpha_var %d, multinom %lld", dh,
          g, (long long)a, s, deg[a], run[a], alpha[a * dh + v], (long long)mn[a]);
  }
  /* complete: the child (a, j) found by binary search in the (parent, var) order */
  for (int64_t a = 0; a < n; a++) {
    if (deg[a] >= g) continue;
    for (int j = var[a] < 0 ? 0 : var[a]; j < dh; j++) {
      int64_t lo = 1, hi = n;
      while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (par[mid] < a || (par[mid] == a && var[mid] < j)) lo = mid + 1;
        else hi = mid;
      }
      CHECK(lo < n && par[lo] == a && var[lo] == j, "dh=%d g=%d: no child (%lld, %d)", dh, g,
            (long long)a, j);
    }
  }
  /* exactly the multisets: every count vector with |alpha| <= g (odometer), sorted, equals
   * the sorted table */
  uint16_t *all = calloc((size_t)(n * dh), sizeof *all), cur[64] = {0};
  int64_t cnt = 0;
  for (int s = 0, done = 0; !done;) { /* s = |cur| <= g throughout */
    if (cnt < n) memcpy(all + cnt * dh, cur, (size_t)dh * sizeof *cur);
    cnt++;
    for (int i = 0;; i++) { /* next vector: carry when the sum would pass g */
      if (i == dh) {
        done = 1;
        break;
      }
      if (s < g) {
        cur[i]++, s++;
        break;
      }
      s -= cur[i], cur[i] = 0;
    }
  }
  CHECK(cnt == n, "dh=%d g=%d: %lld multisets, %lld entries", dh, g, (long long)cnt,
        (long long)n);
  if (cnt == n) {
    dh_cmp = dh;
    qsort(alpha, (size_t)n, (size_t)dh * sizeof *alpha, vec_cmp);
    qsort(all, (size_t)n, (size_t)dh * sizeof *all, vec_cmp);
    CHECK(memcmp(alpha, all, (size_t)(n * dh) * sizeof *all) == 0,
          "dh=%d g=%d: entries are not the multisets of size <= g", dh, g);
  }
  free(alpha), free(all);
  mpz_clears(want, f, (mpz_ptr)0);
}

/* wq[a] = rnd(ct[deg a] * multinom a): fp_rnd (and its err form) in MPFR */
static void check_weights(const tab *t, int64_t n, int g, int k) {
  double *ct = malloc(((size_t)g + 1) * sizeof *ct), *wq = malloc((size_t)n * sizeof *wq);
  /* ordinary, subnormal products, near 2^1000 (multinom <= 2^53: ct up to 2^946) */
  int lo = k % 3 == 0 ? -1074 : -40, hi = k % 3 == 1 ? 945 : 40;
  for (int i = 0; i <= g; i++) ct[i] = rnd_double(lo, hi);
  if (k % 5 == 0) ct[0] = 0;
  kern_feat_weights(n, t->deg, t->multinom, ct, g, wq);
  mpfr_t x;
  mpfr_init2(x, KM_PREC);
  for (int64_t a = 0; a < n; a++) {
    mpfr_set_d(x, ct[t->deg[a]], MPFR_RNDN);
    mpfr_mul_si(x, x, (long)t->multinom[a], MPFR_RNDN);
    CHECK(fp_rnd_holds(wq[a], x), "kern_feat_weights: ct=%a multinom=%lld -> %a",
          ct[t->deg[a]], (long long)t->multinom[a], wq[a]);
  }
  mpfr_clear(x);
  free(ct), free(wq);
}

static void test_tables(void) {
  static const int dhs[] = {1, 2, 3, 4, 5, 6, 8, 12, 16, 32};
  int k = 0;
  mpz_t r;
  mpz_init(r);
  for (size_t di = 0; di < sizeof dhs / sizeof *dhs; di++)
    for (int g = 0; g <= 40; g++) {
      int dh = dhs[di];
      binom_z(r, dh + g, g);
      if (mpz_cmp_ui(r, 200000) > 0) break;
      int64_t rank = mpz_get_si(r);
      mpz_t mx;
      mpz_init(mx);
      max_multinom(mx, dh, g);
      int fits = mpz_cmp_si(mx, (long)KERN_FEAT_MMAX) <= 0;
      mpz_clear(mx);
      /* cap = rank and a larger cap: the table; smaller caps: -1, nothing written past */
      int64_t caps[] = {rank, rank + 3, rank - 1, rank / 2, 1, 0};
      for (int c = 0; c < 6; c++) {
        if (caps[c] < 0 || (c == 2 && rank == 1) || (c >= 3 && caps[c] >= rank)) continue;
        tab t;
        tab_alloc(&t, caps[c]);
        int64_t n = build(&t, dh, g);
        if (c < 2 && fits) {
          check_table(&t, n, dh, g);
          if (c == 0) check_weights(&t, n, g, k++);
        } else {
          CHECK(n == -1 && guard_ok(&t), "dh=%d g=%d cap %lld (rank %lld): %lld", dh, g,
                (long long)caps[c], (long long)rank, (long long)n);
        }
        tab_free(&t);
      }
    }
  /* dh = 1: every multinomial 1, long chains (the degree loop past t = 1024) */
  for (int g = 1000; g <= 3000; g += 1000) {
    tab t;
    tab_alloc(&t, g + 1);
    int64_t n = build(&t, 1, g);
    check_table(&t, n, 1, g);
    check_weights(&t, n, g, k++);
    tab_free(&t);
  }
  mpz_clear(r);
}

/* the 2^53 boundary: dh = 2 has C(56, 28) < 2^53 < C(57, 28); fa_features_init refuses past it */
static void test_boundary(void) {
  for (int g = 50; g <= 64; g++) {
    mpz_t mx;
    mpz_init(mx);
    max_multinom(mx, 2, g);
    int fits = mpz_cmp_si(mx, (long)KERN_FEAT_MMAX) <= 0;
    mpz_clear(mx);
    tab t;
    int64_t rank = (int64_t)(g + 1) * (g + 2) / 2;
    tab_alloc(&t, rank);
    int64_t n = build(&t, 2, g);
    if (fits) check_table(&t, n, 2, g);
    else CHECK(n == -1 && guard_ok(&t), "dh=2 g=%d: multinomial past 2^53 not refused (%lld)", g,
               (long long)n);
    tab_free(&t);
    fa_poly p;
    fa_features f;
    CHECK(fa_poly_init(&p, FA_POLY_TAYLOR, g, 1.0) == 0, "fa_poly_init g=%d", g);
    int rc = fa_features_init(&f, 2, &p, 0.5);
    CHECK(rc == (fits ? 0 : -1) && (rc == 0 || (f.r == 0 && !f.parent && !f.multinom)),
          "fa_features_init dh=2 g=%d: rc %d (multinomials %s 2^53)", g, rc,
          fits ? "within" : "past");
    if (rc == 0) {
      CHECK(f.r == rank, "fa_features_init dh=2 g=%d: r %lld", g, (long long)f.r);
      fa_features_free(&f);
    }
    fa_poly_free(&p);
  }
}

int main(void) {
  km_init("t-kern-table");
  test_tables();
  test_boundary();
  km_clear();
  return t_done("t-kern-table");
}
