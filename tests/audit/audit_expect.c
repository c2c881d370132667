/* Test helper: recomputes `attnref audit`'s numbers from the two files with
 * its own loops (not check.c's), and compares them with the audit's CSV and
 * printed table.
 *
 *   audit_expect TRUTH CAND CSV TABLE [zero|positive]
 *
 * For every CSV row: the tensor's normwise ||c-t||/||t||, max|c-t|/max|t|
 * and max |c-t|/|t| over t != 0 (relative 1e-12), every growth factor
 * (forward e_l/e_{l-1}, backward e_l/e_{l+1}, empty when both are 0) and
 * the geometric means; the CSV must list every truth tensor but "@lo" ones
 * exactly once. The table's per-layer rows must match to its printed 4
 * digits. "zero": every error must be 0; "positive": every layer's forward
 * and backward normwise error must be > 0. Exit 0 ok, 1 mismatch (printed). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "safetensors.h"
#include "testutil.h"

#define FAIL(...)                                \
  do {                                           \
    fprintf(stderr, "audit_expect: " __VA_ARGS__); \
    fputc('\n', stderr);                         \
    t_failures++;                                  \
  } while (0)

typedef struct metrics {
  double normwise, max_rel, max_elem_rel;
} metrics;

static metrics recompute(const ar_tensor *t, const ar_tensor *c) {
  long double d2 = 0, t2 = 0, maxd = 0, maxt = 0, elem = 0;
  for (int64_t i = 0; i < t->numel; i++) {
    long double tv = t->data[i], cv = c->data[i];
    long double d = isfinite((double)cv) ? fabsl(cv - tv) : INFINITY;
    d2 += d * d, t2 += tv * tv;
    if (d > maxd) maxd = d;
    if (fabsl(tv) > maxt) maxt = fabsl(tv);
    if (tv != 0 && d / fabsl(tv) > elem) elem = d / fabsl(tv);
  }
  metrics m;
  m.normwise = t2 > 0 ? (double)sqrtl(d2 / t2) : (d2 > 0 ? INFINITY : 0);
  m.max_rel = maxt > 0 ? (double)(maxd / maxt) : (maxd > 0 ? INFINITY : 0);
  m.max_elem_rel = (double)elem;
  return m;
}

/* a CSV field: "" -> NaN (undefined) */
static double field(const char *s) {
  if (!*s) return NAN;
  return strtod(s, NULL);
}

static int close_to(double want, double got, double rel) {
  if (isnan(want) || isnan(got)) return isnan(want) && isnan(got);
  if (isinf(want) || isinf(got)) return want == got;
  return fabs(got - want) <= rel * fabs(want) + 1e-300;
}

static double ratio(double a, double b) {
  if (b == 0) return a == 0 ? NAN : INFINITY;
  return a / b;
}

#define MAXL 64

int main(int argc, char **argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: audit_expect TRUTH CAND CSV TABLE zero|positive\n");
    return 2;
  }
  int want_zero = strcmp(argv[5], "zero") == 0;
  ar_error err;
  ar_error_clear(&err);
  ar_tensorset T, C;
  ar_tensorset_init(&T);
  ar_tensorset_init(&C);
  if (ar_safetensors_read(argv[1], &T, 0, &err) ||
      ar_safetensors_read_lenient(argv[2], &C, 0, &err)) {
    fprintf(stderr, "audit_expect: %s\n", err.msg);
    return 2;
  }
  FILE *f = fopen(argv[3], "r");
  if (!f) {
    fprintf(stderr, "audit_expect: cannot open %s\n", argv[3]);
    return 2;
  }
  double fwd[MAXL], bwd[MAXL], fwd_g[MAXL], bwd_g[MAXL];
  int L = 0, rows = 0, seen_geo = 0;
  double geo[2] = {NAN, NAN};
  char line[2048];
  if (!fgets(line, sizeof line, f) ||
      strcmp(line, "kind,layer,tensor,normwise,max_rel,max_elem_rel,growth\n"))
    FAIL("CSV header: %s", line);
  while (fgets(line, sizeof line, f)) {
    line[strcspn(line, "\n")] = '\0';
    /* kind,layer,"tensor",normwise,max_rel,max_elem_rel,growth */
    char *fld[7];
    int nf = 0;
    for (char *p = line; nf < 7;) {
      if (*p == '"') {
        fld[nf++] = ++p;
        p = strchr(p, '"');
        if (!p) break;
        *p++ = '\0';
      } else {
        fld[nf++] = p;
        p += strcspn(p, ",");
      }
      if (*p != ',') break;
      *p++ = '\0';
    }
    if (nf != 7) {
      FAIL("CSV row with %d fields", nf);
      continue;
    }
    const char *kind = fld[0], *name = fld[2];
    if (!strcmp(kind, "geomean")) {
      geo[strcmp(name, "forward") ? 1 : 0] = field(fld[6]);
      seen_geo++;
      continue;
    }
    rows++;
    const ar_tensor *t = ar_tensorset_find(&T, name);
    const ar_tensor *c = ar_tensorset_find(&C, name);
    if (!t || !c) {
      FAIL("%s: not in both files", name);
      continue;
    }
    metrics m = recompute(t, c);
    if (!close_to(m.normwise, field(fld[3]), 1e-12) ||
        !close_to(m.max_rel, field(fld[4]), 1e-12) ||
        !close_to(m.max_elem_rel, field(fld[5]), 1e-12))
      FAIL("%s: CSV %s,%s,%s; recomputed %.17g,%.17g,%.17g", name, fld[3],
           fld[4], fld[5], m.normwise, m.max_rel, m.max_elem_rel);
    if (want_zero && (m.normwise != 0 || m.max_rel != 0 || m.max_elem_rel != 0))
      FAIL("%s: error %.3g, expected 0", name, m.normwise);
    int l = atoi(fld[1]);
    int is_f = !strcmp(kind, "forward"), is_b = !strcmp(kind, "backward");
    if (is_f || is_b) {
      char want[64];
      snprintf(want, sizeof want, "%s%d", is_f ? "act.layers." : "grad.act.layers.", l);
      if (l < 0 || l >= MAXL || strcmp(name, want)) {
        FAIL("row %s layer %s: tensor %s", kind, fld[1], name);
        continue;
      }
      (is_f ? fwd : bwd)[l] = m.normwise;
      (is_f ? fwd_g : bwd_g)[l] = field(fld[6]);
      if (is_f && l + 1 > L) L = l + 1;
    } else if (!strcmp(kind, "param")) {
      char pre[64];
      snprintf(pre, sizeof pre, "grad.layers.%d.", l);
      if (strncmp(name, pre, strlen(pre)))
        FAIL("param row layer %s: tensor %s", fld[1], name);
    }
  }
  fclose(f);
  size_t expect_rows = 0;
  for (size_t i = 0; i < T.count; i++) {
    size_t n = strlen(T.t[i].name);
    if (!(n >= 3 && !strcmp(T.t[i].name + n - 3, "@lo"))) expect_rows++;
  }
  if ((size_t)rows != expect_rows)
    FAIL("CSV has %d tensor rows, the truth %zu tensors", rows, expect_rows);
  if (seen_geo != 2) FAIL("CSV has %d geomean rows", seen_geo);
  if (L < 2) FAIL("only %d layers", L);
  for (int l = 0; l < L; l++) {
    double gf = l > 0 ? ratio(fwd[l], fwd[l - 1]) : NAN;
    double gb = l + 1 < L ? ratio(bwd[l], bwd[l + 1]) : NAN;
    if (!close_to(gf, fwd_g[l], 1e-12))
      FAIL("forward growth at %d: CSV %.17g, recomputed %.17g", l, fwd_g[l], gf);
    if (!close_to(gb, bwd_g[l], 1e-12))
      FAIL("backward growth at %d: CSV %.17g, recomputed %.17g", l, bwd_g[l], gb);
    if (!want_zero && !(fwd[l] > 0 && bwd[l] > 0))
      FAIL("layer %d: errors %.3g, %.3g, expected > 0", l, fwd[l], bwd[l]);
  }
  double gfm = pow(ratio(fwd[L - 1], fwd[0]), 1.0 / (L - 1));
  double gbm = pow(ratio(bwd[0], bwd[L - 1]), 1.0 / (L - 1));
  if (!close_to(gfm, geo[0], 1e-12) || !close_to(gbm, geo[1], 1e-12))
    FAIL("geomeans: CSV %.17g %.17g, recomputed %.17g %.17g", geo[0], geo[1],
         gfm, gbm);

  /* the printed per-layer table, to its 4 digits */
  f = fopen(argv[4], "r");
  int trows = 0;
  while (f && fgets(line, sizeof line, f)) {
    int l;
    char c[8][32];
    if (sscanf(line, "%d %31s %31s %31s %31s %31s %31s %31s %31s", &l, c[0],
               c[1], c[2], c[3], c[4], c[5], c[6], c[7]) != 9 ||
        l < 0 || l >= L)
      continue;
    char an[64], gn[64];
    snprintf(an, sizeof an, "act.layers.%d", l);
    snprintf(gn, sizeof gn, "grad.act.layers.%d", l);
    metrics mf = recompute(ar_tensorset_find(&T, an), ar_tensorset_find(&C, an));
    metrics mb = recompute(ar_tensorset_find(&T, gn), ar_tensorset_find(&C, gn));
    double want[8] = {mf.normwise, mf.max_rel, mf.max_elem_rel,
                      l > 0 ? ratio(fwd[l], fwd[l - 1]) : NAN,
                      mb.normwise, mb.max_rel, mb.max_elem_rel,
                      l + 1 < L ? ratio(bwd[l], bwd[l + 1]) : NAN};
    for (int k = 0; k < 8; k++) {
      double got = !strcmp(c[k], "-") ? NAN : strtod(c[k], NULL);
      if (!close_to(want[k], got, 6e-4))
        FAIL("table layer %d column %d: printed %s, recomputed %.6g", l, k + 1,
             c[k], want[k]);
    }
    trows++;
  }
  if (f) fclose(f);
  if (trows != L) FAIL("table has %d layer rows, expected %d", trows, L);
  ar_tensorset_free(&T);
  ar_tensorset_free(&C);
  if (t_failures) {
    fprintf(stderr, "audit_expect: %d mismatch%s (%s vs %s)\n", t_failures,
            t_failures > 1 ? "es" : "", argv[2], argv[1]);
    return 1;
  }
  printf("audit_expect: %d tensors, %d layers: CSV and table match\n", rows, L);
  return 0;
}
