/* Feature maps: rank r = C(dh+g, g); the table lists every multi-index of
 * degree <= g exactly once with its multinomial coefficient; and
 * <phi(q), psi(k)> = P(tau <q,k>) to 1e-14 relative (to the size of P's terms,
 * sum_t |c_t| (|tau| sum_i |q_i k_i|)^t, which is P itself when no term
 * cancels) for random q, k, dh in {1,2,4,8}, g in 0..6, Taylor and Chebyshev. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fast/features.h"
#include "naive_head.h"
#include "testutil.h"

/* C(n, k) by Pascal's triangle (independent of fa_features_rank) */
static double binom(int n, int k) {
  double row[128] = {1};
  for (int i = 1; i <= n; i++)
    for (int j = i; j > 0; j--) row[j] += row[j - 1];
  return row[k];
}

static void table_is_complete(void) {
  const int dhs[] = {1, 2, 3, 4, 8};
  for (int di = 0; di < 5; di++)
    for (int g = 0; g <= 6; g++) {
      int dh = dhs[di];
      fa_poly p;
      fa_poly_init(&p, FA_POLY_TAYLOR, g, 1.0);
      fa_features f;
      int rc = fa_features_init(&f, dh, &p, 0.5);
      CHECK(rc == 0, "init dh=%d g=%d rc=%d", dh, g, rc);
      if (rc) continue;
      CHECK(f.r == (int64_t)binom(dh + g, g) && fa_features_rank(dh, g) == f.r,
            "rank dh=%d g=%d: %lld, want C(%d,%d) = %.0f", dh, g,
            (long long)f.r, dh + g, g, binom(dh + g, g));
      /* rebuild each alpha from the parent chain; all distinct; degree t
       * entries: C(dh+t-1, t) of them, multinomials summing to dh^t */
      int *alpha = calloc((size_t)(f.r * dh), sizeof *alpha);
      double *count = calloc((size_t)g + 1, sizeof *count);
      double *msum = calloc((size_t)g + 1, sizeof *msum);
      for (int64_t a = 0; a < f.r; a++) {
        if (a > 0) {
          CHECK(f.parent[a] < a && f.deg[f.parent[a]] + 1 == f.deg[a],
                "parent order dh=%d g=%d a=%lld", dh, g, (long long)a);
          memcpy(alpha + a * dh, alpha + (int64_t)f.parent[a] * dh,
                 (size_t)dh * sizeof *alpha);
          alpha[a * dh + f.var[a]]++;
        }
        int t = 0;
        double fact = 1;
        for (int c = 0; c < dh; c++) {
          t += alpha[a * dh + c];
          for (int m = 2; m <= alpha[a * dh + c]; m++) fact *= m;
        }
        double tf = 1;
        for (int m = 2; m <= t; m++) tf *= m;
        CHECK(t == f.deg[a] && (double)f.multinom[a] == tf / fact,
              "multinom dh=%d g=%d a=%lld: %lld want %g", dh, g, (long long)a,
              (long long)f.multinom[a], tf / fact);
        count[t]++;
        msum[t] += (double)f.multinom[a];
        for (int64_t b = 0; b < a && dh * g <= 16; b++)
          CHECK(memcmp(alpha + a * dh, alpha + b * dh, (size_t)dh * sizeof *alpha),
                "duplicate multi-index dh=%d g=%d", dh, g);
      }
      for (int t = 0; t <= g; t++)
        CHECK(count[t] == binom(dh + t - 1, t) && msum[t] == pow(dh, t),
              "degree %d of dh=%d g=%d: %g entries, multinomials sum %g", t,
              dh, g, count[t], msum[t]);
      free(alpha), free(count), free(msum);
      fa_features_free(&f);
      fa_poly_free(&p);
    }
  CHECK(fa_features_rank(64, 40) == -1, "rank past INT32_MAX not refused");
}

static void identity_holds(uint64_t seed) {
  rng r = {seed};
  const int dhs[] = {1, 2, 4, 8};
  double worst = 0;
  for (int kind = 0; kind < 2; kind++)
    for (int di = 0; di < 4; di++)
      for (int g = 0; g <= 6; g++) {
        int dh = dhs[di];
        double tau = 1 / sqrt((double)dh);
        double q[8], k[8];
        fa_poly p;
        fa_poly_init(&p, kind ? FA_POLY_CHEBYSHEV : FA_POLY_TAYLOR, g, 3.0);
        fa_features f;
        fa_features_init(&f, dh, &p, tau);
        double *phi = malloc((size_t)f.r * sizeof *phi);
        double *psi = malloc((size_t)f.r * sizeof *psi);
        for (int trial = 0; trial < 50; trial++) {
          rng_fill(&r, q, dh, 1.5);
          rng_fill(&r, k, dh, 1.5);
          fa_features_phi(&f, 1, q, dh, phi);
          fa_features_psi(&f, 1, k, dh, psi);
          long double ip = 0, s = 0, sa = 0;
          for (int64_t a = 0; a < f.r; a++) ip += (long double)phi[a] * psi[a];
          for (int c = 0; c < dh; c++) {
            s += (long double)q[c] * k[c];
            sa += fabsl((long double)q[c] * k[c]);
          }
          s *= tau, sa *= tau;
          long double P = 0, Pabs = 0;
          for (int t = g; t >= 0; t--) {
            P = P * s + p.c[t];
            Pabs = Pabs * sa + fabs(p.c[t]);
          }
          double rel = (double)(fabsl(ip - P) / Pabs);
          if (rel > worst) worst = rel;
          CHECK(rel <= 1e-14,
                "seed=%llu %s dh=%d g=%d trial %d: <phi,psi> = %.17Lg, "
                "P(tau q.k) = %.17Lg, rel %.3g",
                (unsigned long long)seed, kind ? "chebyshev" : "taylor", dh, g,
                trial, ip, P, rel);
        }
        free(phi), free(psi);
        fa_features_free(&f);
        fa_poly_free(&p);
      }
  printf("feature identity: worst relative error %.3g (seed %llu)\n", worst,
         (unsigned long long)seed);
}

int main(int argc, char **argv) {
  uint64_t seed = argc > 1 ? strtoull(argv[1], NULL, 0) : 20240801;
  table_is_complete();
  identity_holds(seed);
  if (t_failures) fprintf(stderr, "%d failure(s)\n", t_failures);
  return t_failures ? 1 : 0;
}
