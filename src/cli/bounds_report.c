/* `attnref bounds` output: raw CSVs (csv/), gnuplot data, scripts and PNGs
 * (plots/), and REPORT.md, all under the --out folder. REPORT.md's
 * "reading" is computed from the numbers of this run, so that a re-run
 * cannot leave stale conclusions behind. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../../fast/features.h"
#include "bounds_cli.h"
#include "check.h"

#ifndef ATTNREF_SOURCE_DIR
#define ATTNREF_SOURCE_DIR "."
#endif

/* ---- small output helpers ------------------------------------------------ */

static FILE *open_out(bx_ctx *x, const char *sub) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", x->out, sub);
  FILE *f = fopen(path, "w");
  if (!f) ar_fail(&x->err, AR_FAIL_INPUT, "cannot write %s", path);
  return f;
}

/* "1.23e-05", "-" for NAN, "0" for 0 */
static const char *sci(char *buf, double v) {
  if (isnan(v)) return strcpy(buf, "-");
  if (v == 0) return strcpy(buf, "0");
  if (isinf(v)) return strcpy(buf, v > 0 ? "inf" : "-inf");
  snprintf(buf, 32, "%.2e", v);
  return buf;
}

static const char *fix(char *buf, double v, int prec) {
  if (isnan(v)) return strcpy(buf, "-");
  snprintf(buf, 32, "%.*f", prec, v);
  return buf;
}

static void cpu_model(char *buf, size_t n) {
  snprintf(buf, n, "unknown");
  FILE *f = fopen("/proc/cpuinfo", "r");
  if (!f) return;
  char line[512];
  while (fgets(line, sizeof line, f))
    if (!strncmp(line, "model name", 10)) {
      char *p = strchr(line, ':');
      if (p) {
        p += 1 + strspn(p + 1, " \t");
        p[strcspn(p, "\n")] = 0;
        snprintf(buf, n, "%s", p);
      }
      break;
    }
  fclose(f);
}

static double mem_gib(void) {
  long pages = sysconf(_SC_PHYS_PAGES), sz = sysconf(_SC_PAGESIZE);
  return pages > 0 && sz > 0 ? (double)pages * (double)sz / (1 << 30) : NAN;
}

static void git_head(char *buf, size_t n) {
  snprintf(buf, n, "unknown");
  FILE *p = popen("git -C '" ATTNREF_SOURCE_DIR
                  "' rev-parse --short HEAD 2>/dev/null",
                  "r");
  if (!p) return;
  if (fgets(buf, (int)n, p)) buf[strcspn(buf, "\n")] = 0;
  if (pclose(p) != 0) snprintf(buf, n, "unknown");
}

/* ---- CSVs ------------------------------------------------------------------
 */

static int write_csvs(bx_ctx *x) {
  FILE *f = open_out(x, "csv/poly.csv");
  if (!f) return x->err.code;
  fprintf(f,
          "dist,n,c,g,rank,R,max_score,eps,target,allowance,truth,"
          "t_approx_s,t_exact64_s,tensor,max_abs,max_truth,normwise,"
          "rel_max,bound_max,ratio\n");
  for (int i = 0; i < x->npoly; i++) {
    const bx_poly_row *r = &x->poly[i];
    for (int k = 0; k < BX_NT; k++)
      fprintf(f,
              "%s,%lld,%d,%d,%lld,%.9g,%.9g,%.6e,%.6e,%.3e,%s,%.4f,%.4f,%s,"
              "%.6e,%.6e,%.6e,%.6e,%.6e,%.6e\n",
              bd_dist_name(r->dist), (long long)r->n, r->c, r->g,
              (long long)r->rank, r->R, r->smax, r->eps, r->target,
              r->allowance, r->truth_mpfr ? "mpfr" : "exact64", r->t_approx,
              r->t_exact64, bx_tensor[k], r->err[k].max_abs,
              r->err[k].max_truth, r->err[k].normwise, r->err[k].rel_max,
              r->bmax[k], r->ratio[k]);
  }
  fclose(f);
  if (!(f = open_out(x, "csv/floors.csv"))) return x->err.code;
  fprintf(f,
          "dist,n,truth,tensor,exact64_normwise,exact64_rel_max,"
          "exact32_normwise,exact32_rel_max,bf16_input_normwise,"
          "bf16_input_rel_max\n");
  for (int i = 0; i < x->nfloor; i++) {
    const bx_floor_row *r = &x->floor[i];
    for (int k = 0; k < BX_NT; k++)
      fprintf(f, "%s,%lld,%s,%s,%.6e,%.6e,%.6e,%.6e,%.6e,%.6e\n",
              bd_dist_name(r->dist), (long long)r->n,
              r->truth_mpfr ? "mpfr" : "exact64", bx_tensor[k],
              r->truth_mpfr ? r->e64[k].normwise : NAN,
              r->truth_mpfr ? r->e64[k].rel_max : NAN, r->e32[k].normwise,
              r->e32[k].rel_max, r->bf16[k].normwise, r->bf16[k].rel_max);
  }
  fclose(f);
  if (!(f = open_out(x, "csv/depth.csv"))) return x->err.code;
  fprintf(f,
          "variant,L,layer,act_normwise,grad_act_normwise,grad_x_normwise\n");
  for (int v = 0; v < x->ndepth; v++) {
    const bx_depth_variant *d = &x->depth[v];
    for (int L = 1; L <= d->Lmax; L++)
      for (int l = 0; l < L; l++)
        fprintf(f, "%s,%d,%d,%.6e,%.6e,%.6e\n", d->name, L, l, d->act[L][l],
                d->grad[L][l], d->gx[L]);
  }
  fclose(f);
  if (!(f = open_out(x, "csv/depth_split.csv"))) return x->err.code;
  fprintf(f,
          "variant,layer,R,eps,total_normwise,fresh_normwise,"
          "fresh_rel_max,fresh_bound_rel_max,fresh_ratio,carried_normwise,"
          "amplification,row_spread\n");
  for (int v = 0; v < x->ndepth; v++) {
    const bx_depth_variant *d = &x->depth[v];
    for (int l = 0; l < d->Lmax; l++)
      fprintf(f, "%s,%d,%.6g,%.6e,%.6e,%.6e,%.6e,%.6e,%.6e,%.6e,%.6g,%.6e\n",
              d->name, l, d->R[l], d->eps[l], d->act[d->Lmax][l], d->fresh[l],
              d->fresh_maxrel[l], d->fresh_bound[l], d->fresh_ratio[l],
              d->prop[l], d->amp[l], d->spread[l]);
  }
  fclose(f);
  if (!(f = open_out(x, "csv/entry.csv"))) return x->err.code;
  fprintf(f,
          "dist,n,B,R,max_score,poly,g,rank,rel_max_err,t_approx_s,"
          "t_exact64_s\n");
  for (int i = 0; i < x->nentry; i++) {
    const bx_entry_row *r = &x->entry[i];
    for (int k = 0; k < r->ntries; k++)
      fprintf(f, "%s,%lld,%g,%.6g,%.6g,%s,%d,%lld,%.6e,%.4f,%.4f\n",
              bd_dist_name(r->dist), (long long)x->entry_n, r->B, r->R, r->smax,
              r->poly, r->g[k], (long long)fa_features_rank(8, r->g[k]),
              r->err[k], r->t[k], r->t_exact64);
  }
  fclose(f);
  return AR_OK;
}

/* ---- plots -----------------------------------------------------------------
 */

static int have_gnuplot(void) {
  return system("command -v gnuplot >/dev/null 2>&1") == 0;
}

/* plots/<name>.dat of part 1 for one distribution: n, then per c the
 * normwise errors of every tensor and their ratios */
static int plot_poly(bx_ctx *x, bd_dist dist, FILE *gp) {
  char sub[128];
  snprintf(sub, sizeof sub, "plots/poly_%s.dat", bd_dist_name(dist));
  FILE *f = open_out(x, sub);
  if (!f) return x->err.code;
  fprintf(f, "# n c g normwise[%d tensors] ratio[%d tensors] target\n", BX_NT,
          BX_NT);
  for (int ci = 0; ci < 3; ci++) { /* c = 1, 2, then the control c = 0 */
    int c = (ci + 1) % 3;
    for (int i = 0; i < x->npoly; i++) {
      const bx_poly_row *r = &x->poly[i];
      if (r->dist != dist || r->c != c) continue;
      fprintf(f, "%lld %d %d", (long long)r->n, c, r->g);
      for (int k = 0; k < BX_NT; k++) fprintf(f, " %.6e", r->err[k].normwise);
      for (int k = 0; k < BX_NT; k++) fprintf(f, " %.6e", r->ratio[k]);
      fprintf(f, " %.6e\n", r->target);
    }
    fprintf(f, "\n\n");
  }
  fclose(f);
  /* columns: 1 n, 2 c, 3 g, 4.. normwise, 4+BX_NT.. ratio, 4+2BX_NT target */
  const int shown[] = {0, 2, 3, 4, 5, 6};
  fprintf(gp,
          "reset\n"
          "set terminal pngcairo size 1200,500 font ',10'\n"
          "set output '%s/plots/poly_%s.png'\n"
          "set multiplot layout 1,2 title '1/poly(n): normwise error of the "
          "approx path (%s inputs, R fixed), g = smallest even degree with "
          "eps(g,R) <= n^-c'\n"
          "set logscale xy; set format y '10^{%%L}'; set key bottom left "
          "font ',8'; set grid\n"
          "set xlabel 'n'; set ylabel '||approx - truth|| / ||truth||'\n",
          x->out, bd_dist_name(dist), bd_dist_name(dist));
  for (int c = 1; c <= 2; c++) {
    fprintf(gp, "set title 'c = %d'\nplot ", c);
    for (size_t s = 0; s < sizeof shown / sizeof shown[0]; s++)
      fprintf(gp, "'%s/%s' index %d using 1:%d with linespoints title '%s', ",
              x->out, sub, c - 1, 4 + shown[s], bx_short[shown[s]]);
    fprintf(gp,
            "'%s/%s' index 2 using 1:4 with linespoints dt 3 lc 'gray' "
            "title 'act, g = %d at every n', ",
            x->out, sub, BX_FIXED_G);
    fprintf(gp,
            "'%s/%s' index %d using 1:%d with lines dt 2 lw 2 lc "
            "'black' title 'n^{-%d}'\n",
            x->out, sub, c - 1, 4 + 2 * BX_NT, c);
  }
  fprintf(gp, "unset multiplot\n");
  /* bound tightness: measured / proven bound */
  fprintf(gp,
          "reset\n"
          "set terminal pngcairo size 1200,500 font ',10'\n"
          "set output '%s/plots/ratio_%s.png'\n"
          "set multiplot layout 1,2 title 'measured error / proven bound "
          "(element-wise max), %s inputs: <= 1 everywhere means the bound "
          "held'\n"
          "set logscale xy; set format y '10^{%%L}'; set key bottom left "
          "font ',8'; set grid\n"
          "set xlabel 'n'; set ylabel 'max_e |err_e| / bound_e'\n",
          x->out, bd_dist_name(dist), bd_dist_name(dist));
  for (int c = 1; c <= 2; c++) {
    fprintf(gp, "set title 'c = %d'\nplot ", c);
    for (int k = 0; k < BX_NT - 1; k++)
      fprintf(gp, "'%s/%s' index %d using 1:%d with linespoints title '%s'%s",
              x->out, sub, c - 1, 4 + BX_NT + k, bx_short[k],
              k < BX_NT - 2 ? ", " : "");
    fprintf(gp, ", 1 with lines lw 2 lc 'red' title 'bound'\n");
  }
  fprintf(gp, "unset multiplot\nunset logscale; unset format\n");
  return AR_OK;
}

static int plot_floors(bx_ctx *x, FILE *gp) {
  FILE *f = open_out(x, "plots/floors.dat");
  if (!f) return x->err.code;
  fprintf(f,
          "# n approx_c1 approx_c2 exact32 exact64 bf16_input (act, "
          "normwise; uniform) then dWq\n");
  for (int i = 0; i < x->nfloor; i++) {
    const bx_floor_row *r = &x->floor[i];
    if (r->dist != BD_UNIFORM) continue;
    double a[2][2] = {{NAN, NAN}, {NAN, NAN}};
    for (int j = 0; j < x->npoly; j++)
      if (x->poly[j].dist == r->dist && x->poly[j].n == r->n &&
          x->poly[j].c > 0) {
        a[x->poly[j].c - 1][0] = x->poly[j].err[0].normwise;
        a[x->poly[j].c - 1][1] = x->poly[j].err[3].normwise;
      }
    fprintf(f, "%lld", (long long)r->n);
    for (int k = 0; k < 2; k++) {
      int t = k ? 3 : 0;
      fprintf(f, " %.6e %.6e %.6e %.6e %.6e", a[0][k], a[1][k],
              r->e32[t].normwise, r->truth_mpfr ? r->e64[t].normwise : NAN,
              r->bf16[t].normwise);
    }
    fprintf(f, "\n");
  }
  fclose(f);
  fprintf(gp,
          "reset\n"
          "set terminal pngcairo size 1200,500 font ',10'\n"
          "set output '%s/plots/floors.png'\n"
          "set multiplot layout 1,2 title 'approximation error against "
          "rounding floors (uniform inputs; normwise)'\n"
          "set logscale xy; set format y '10^{%%L}'; set key outside right "
          "font ',8'; set grid; set xlabel 'n'\n",
          x->out);
  for (int k = 0; k < 2; k++) {
    int o = 2 + 5 * k;
    fprintf(gp,
            "set title '%s'\nplot '%s/plots/floors.dat' using 1:%d w lp "
            "title 'approx c=1', '' using 1:%d w lp title 'approx c=2', '' "
            "using 1:%d w lp title 'exact32', '' using 1:%d w lp title "
            "'exact64 (vs MPFR)', '' using 1:%d w lp title 'bf16 inputs'\n",
            k ? "grad.layers.0.wq" : "act.layers.0 (attention output)", x->out,
            o, o + 1, o + 2, o + 3, o + 4);
  }
  fprintf(gp, "unset multiplot\nunset logscale; unset format\n");
  return AR_OK;
}

static int plot_depth(bx_ctx *x, FILE *gp) {
  FILE *f = open_out(x, "plots/depth.dat");
  if (!f) return x->err.code;
  for (int v = 0; v < x->ndepth; v++) {
    const bx_depth_variant *d = &x->depth[v];
    fprintf(f, "# %s: layer act grad_act fresh carried fresh_bound\n", d->name);
    for (int l = 0; l < d->Lmax; l++)
      fprintf(f, "%d %.6e %.6e %.6e %.6e %.6e\n", l, d->act[d->Lmax][l],
              d->grad[d->Lmax][l] > 0 ? d->grad[d->Lmax][l] : NAN, d->fresh[l],
              l ? d->prop[l] : NAN, d->fresh_bound[l]);
    fprintf(f, "\n\n");
  }
  fclose(f);
  fprintf(gp,
          "reset\n"
          "set terminal pngcairo size %d,450 font ',10'\n"
          "set output '%s/plots/depth.png'\n"
          "set multiplot layout 1,%d title 'depth: per-layer normwise "
          "errors of the %d-layer model (Taylor g = 6, R = 1 per layer)'\n"
          "set logscale y; set format y '10^{%%L}'; set key bottom right "
          "font ',8'; set grid; set xlabel 'layer l'\n",
          400 * x->ndepth, x->out, x->ndepth, x->depth[0].Lmax);
  for (int v = 0; v < x->ndepth; v++)
    fprintf(gp,
            "set title '%s'\nplot '%s/plots/depth.dat' index %d using 1:2 w "
            "lp title 'act.layers.l', '' index %d using 1:3 w lp title "
            "'grad.act.layers.l', '' index %d using 1:4 w lp dt 2 title "
            "'fresh (this layer)', '' index %d using 1:5 w lp dt 3 title "
            "'carried (earlier layers)', '' index %d using 1:6 w l lw 2 title "
            "'proven bound on fresh (max-norm)'\n",
            x->depth[v].name, x->out, v, v, v, v, v);
  fprintf(gp, "unset multiplot\nunset logscale; unset format\n");
  return AR_OK;
}

/* the try at which a row's search ended */
static int last_try(const bx_entry_row *r) { return r->ntries - 1; }

static int plot_entry(bx_ctx *x, FILE *gp) {
  FILE *f = open_out(x, "plots/entry.dat");
  if (!f) return x->err.code;
  for (int di = 0; di < 2; di++) {
    fprintf(f,
            "# %s: B taylor_g cheb_g taylor_apriori_g taylor_t/t64 "
            "cheb_t/t64 R\n",
            di ? "outlier" : "uniform");
    for (int i = 0; i + 1 < x->nentry; i += 2) {
      const bx_entry_row *t = &x->entry[i], *c = &x->entry[i + 1];
      if ((int)t->dist != di) continue;
      int kt = last_try(t), kc = last_try(c);
      /* times only where the target was met (-1: missing) */
      fprintf(f, "%g %d %d %d %.4g %.4g %.4g\n", t->B, t->g_found, c->g_found,
              t->g_apriori, t->g_found >= 0 ? t->t[kt] / t->t_exact64 : -1,
              c->g_found >= 0 ? c->t[kc] / c->t_exact64 : -1, t->R);
    }
    fprintf(f, "\n\n");
  }
  fclose(f);
  double thr = sqrt(log((double)x->entry_n));
  fprintf(gp,
          "reset\n"
          "set terminal pngcairo size 1200,500 font ',10'\n"
          "set output '%s/plots/entry.png'\n"
          "set multiplot layout 1,2 title 'entry bound B (n = %lld, d = 8, "
          "Q = K = V = X, |X_ij| <= B for uniform): degree for %.0e "
          "relative error, and time against exact64'\n"
          "set grid; set key top left font ',8'; set xlabel 'B'; set "
          "logscale x\n"
          "set arrow 1 from %g, graph 0 to %g, graph 1 nohead dt 2 lc "
          "'red'\n"
          "set label 1 'sqrt(ln n)' at %g, graph 0.9 tc 'red'\n"
          "set datafile missing '-1'\n"
          "set title 'smallest even g meeting the target (missing: not met)'\n"
          "set ylabel 'degree g'\n"
          "plot '%s/plots/entry.dat' index 0 using 1:2 w lp title 'taylor "
          "(measured)', '' index 0 using 1:3 w lp title 'chebyshev "
          "(measured)', '' index 0 using 1:4 w lp dt 2 title 'taylor (proven "
          "bound)', '' index 1 using 1:2 w lp title 'taylor, outlier inputs', "
          "'' index 1 using 1:3 w lp title 'chebyshev, outlier inputs'\n"
          "set title 'approx time / exact64 time at the degree that met the "
          "target'\n"
          "set logscale y; set ylabel 't_{approx} / t_{exact64}'\n"
          "plot '%s/plots/entry.dat' index 0 using 1:5 w lp title 'taylor', "
          "'' index 0 using 1:6 w lp title 'chebyshev', '' index 1 using 1:5 "
          "w lp title 'taylor, outlier inputs', '' index 1 using 1:6 w lp "
          "title 'chebyshev, outlier inputs', 1 w l lw 2 lc 'black' title "
          "'break-even'\n"
          "unset multiplot\nunset logscale; unset arrow 1; unset label 1\n",
          x->out, (long long)x->entry_n, x->target, thr, thr, thr * 1.02,
          x->out, x->out);
  return AR_OK;
}

static int write_plots(bx_ctx *x, int *made) {
  *made = 0;
  FILE *gp = open_out(x, "plots/plots.gp");
  if (!gp) return x->err.code;
  int rc = plot_poly(x, BD_UNIFORM, gp);
  if (!rc) rc = plot_poly(x, BD_OUTLIER, gp);
  if (!rc) rc = plot_floors(x, gp);
  if (!rc) rc = plot_depth(x, gp);
  if (!rc) rc = plot_entry(x, gp);
  fclose(gp);
  if (rc) return rc;
  if (!have_gnuplot()) return AR_OK;
  char cmd[4200];
  snprintf(cmd, sizeof cmd, "gnuplot '%s/plots/plots.gp' 2>>'%s/paths.log'",
           x->out, x->out);
  *made = system(cmd) == 0;
  return AR_OK;
}

/* ---- REPORT.md --------------------------------------------------------- */

/* worst ratio over the part-1 points of one tensor (and the point) */
static double worst_ratio(const bx_ctx *x, int k, double *best) {
  double w = 0, b = INFINITY;
  for (int i = 0; i < x->npoly; i++) {
    double r = x->poly[i].ratio[k];
    if (!(r <= w)) w = r;
    if (r > 0 && r < b) b = r;
  }
  if (best) *best = b;
  return w;
}

static void report_poly(FILE *f, bx_ctx *x) {
  char b[12][32];
  fprintf(f,
          "## 1. Error against n at fixed R: the 1/poly(n) claim\n\n"
          "The paper's setting (spec/model.md §13): one layer, one head, "
          "d = d_h = 8, norm none, mlp 0, residual off, no mask, wo = I, "
          "loss linear (the upstream gradient is then exact, so every "
          "gradient error below is the attention approximation's own). "
          "x is drawn from the distribution, wq wk wv uniform in [-1, 1]; "
          "then wq and wk are multiplied by one common factor so that the "
          "score radius the approx path uses, R = tau max_i |q_i| max_j "
          "|k_j| (Cauchy-Schwarz), equals %.3g at every n: the entries are "
          "bounded *the same way* at every n. The realized max |tau <q_i,k_j>| "
          "is shown too (computed for n <= 16384). For each n and c the "
          "degree g is the smallest even one with eps(g,R) = R^(g+1) e^R / "
          "(g+1)! <= n^-c (Taylor), r = C(8+g, g) its rank.\n\n"
          "Truth: MPFR (`ref`, certified) for n <= %lld, exact64 above "
          "(exact64 is validated against MPFR in the table after). Errors are "
          "normwise, ||approx - truth||_2 / ||truth||_2. `worst ratio` is the "
          "largest, over all results and elements, of measured |error| / "
          "proven element-wise bound (BOUNDS.md): <= 1 means every bound "
          "held.\n\n",
          x->radius, (long long)x->mpfr_max);
  for (int di = 0; di < 2; di++)
    for (int ci = 0; ci < 3; ci++) {
      int c = (ci + 1) % 3;
      const char *dn = di ? "outlier (N(0,1), 0.1% of entries x U[10,100])"
                          : "signed uniform";
      if (c)
        fprintf(f, "### %s inputs, c = %d (eps <= n^-%d)\n\n", dn, c, c);
      else
        fprintf(f,
                "### %s inputs, control: g = %d at every n\n\n"
                "The same cases with the degree held fixed: how the "
                "error moves with n by itself.\n\n",
                dn, BX_FIXED_G);
      fprintf(f, "| n | g | r | R | max\\|S\\| | eps | n^-c | truth |");
      for (int k = 0; k < BX_NT - 1; k++) fprintf(f, " %s |", bx_short[k]);
      fprintf(f, " worst ratio | t approx (s) | t exact64 (s) |\n|");
      for (int k = 0; k < 8 + BX_NT - 1 + 3; k++) fprintf(f, "---|");
      fprintf(f, "\n");
      for (int i = 0; i < x->npoly; i++) {
        const bx_poly_row *r = &x->poly[i];
        if ((int)r->dist != di || r->c != c) continue;
        double w = 0;
        int wk = 0;
        for (int k = 0; k < BX_NT; k++)
          if (!(r->ratio[k] <= w)) w = r->ratio[k], wk = k;
        fprintf(f, "| %lld | %d | %lld | %s | %s | %s | %s | %s |",
                (long long)r->n, r->g, (long long)r->rank, fix(b[0], r->R, 3),
                fix(b[1], r->smax, 3), sci(b[2], r->eps), sci(b[3], r->target),
                r->truth_mpfr ? "MPFR" : "exact64");
        for (int k = 0; k < BX_NT - 1; k++)
          fprintf(
              f, " %s%s |", sci(b[4], r->err[k].normwise),
              !r->truth_mpfr && r->err[k].normwise < x->floor64[k] ? "*" : "");
        fprintf(f, " %s (%s) | %s | %s |\n", sci(b[5], w), bx_short[wk],
                fix(b[6], r->t_approx, 3), fix(b[7], r->t_exact64, 3));
      }
      fprintf(f, "\n");
    }
  fprintf(f,
          "(`dact` = grad.act.layers.0 = the cotangent itself: exact in "
          "every path, its error is 0 and not shown. `*`: below 100 times "
          "exact64's own largest error against MPFR for that result (act "
          "%s, dWq %s): an exact64 truth cannot resolve it, so it is left "
          "out of the slopes; %d such values.)\n\n",
          sci(b[0], x->floor64[0]), sci(b[1], x->floor64[3]), x->below_floor);
  fprintf(f,
          "**Log-log slopes** of the normwise error against n (least "
          "squares over the points above that the truth resolves, their "
          "count in parentheses; the a-priori target has slope -c, the "
          "degree being an integer makes the error a staircase under "
          "it):\n\n| inputs | c |");
  for (int k = 0; k < BX_NT - 1; k++) fprintf(f, " %s |", bx_short[k]);
  fprintf(f, "\n|---|---|");
  for (int k = 0; k < BX_NT - 1; k++) fprintf(f, "---|");
  fprintf(f, "\n");
  for (int di = 0; di < 2; di++)
    for (int ci = 0; ci < 3; ci++) {
      int c = (ci + 1) % 3;
      char cn[32];
      snprintf(cn, sizeof cn, c ? "%d" : "control (g = %d)",
               c ? c : BX_FIXED_G);
      fprintf(f, "| %s | %s |", di ? "outlier" : "uniform", cn);
      for (int k = 0; k < BX_NT - 1; k++)
        fprintf(f, " %s (%d) |", fix(b[0], x->slope[di][c][k], 2),
                x->slope_pts[di][c][k]);
      fprintf(f, "\n");
    }
  fprintf(f,
          "\n**Bound tightness** (measured / proven bound, element-wise "
          "max, over all points of part 1): a value near 1 means the bound "
          "is tight, 1e-3 means it overestimates a thousandfold.\n\n"
          "| result | smallest | largest |\n|---|---|---|\n");
  for (int k = 0; k < BX_NT - 1; k++) {
    double lo, hi = worst_ratio(x, k, &lo);
    fprintf(f, "| %s | %s | %s |\n", bx_tensor[k], sci(b[0], lo),
            sci(b[1], hi));
  }
  fprintf(f,
          "\n![errors](plots/poly_uniform.png)\n\n"
          "![errors](plots/poly_outlier.png)\n\n"
          "![ratios](plots/ratio_uniform.png)\n\n"
          "![ratios](plots/ratio_outlier.png)\n\n");
}

static void report_floors(FILE *f, bx_ctx *x) {
  char b[10][32];
  fprintf(f,
          "## 4. Noise floors: exact64, exact32, bf16-rounded inputs\n\n"
          "On the same cases as part 1. exact64 against MPFR is the "
          "validation of the truth used above n = %lld. `bf16 inputs` is "
          "the truth of the case whose every input was rounded to bfloat16 "
          "(nearest even) against the truth of the original case: the "
          "error any bf16 pipeline makes before it computes anything. "
          "Normwise errors of the attention output (act) and of dWq.\n\n"
          "| inputs | n | exact64 act | exact64 dWq | exact64 worst (all "
          "results) | exact32 act | exact32 dWq | bf16-input act | "
          "bf16-input dWq | approx c=1 act | approx c=2 act |\n"
          "|---|---|---|---|---|---|---|---|---|---|---|\n",
          (long long)x->mpfr_max);
  for (int i = 0; i < x->nfloor; i++) {
    const bx_floor_row *r = &x->floor[i];
    double a1 = NAN, a2 = NAN, w64 = NAN;
    for (int j = 0; j < x->npoly; j++)
      if (x->poly[j].dist == r->dist && x->poly[j].n == r->n &&
          x->poly[j].c > 0)
        *(x->poly[j].c == 1 ? &a1 : &a2) = x->poly[j].err[0].normwise;
    if (r->truth_mpfr) {
      w64 = 0;
      for (int k = 0; k < BX_NT; k++) w64 = fmax(w64, r->e64[k].normwise);
    }
    fprintf(f, "| %s | %lld | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
            bd_dist_name(r->dist), (long long)r->n,
            r->truth_mpfr ? sci(b[0], r->e64[0].normwise) : "(truth)",
            r->truth_mpfr ? sci(b[1], r->e64[3].normwise) : "(truth)",
            sci(b[2], w64), sci(b[3], r->e32[0].normwise),
            sci(b[4], r->e32[3].normwise), sci(b[5], r->bf16[0].normwise),
            sci(b[6], r->bf16[3].normwise), sci(b[7], a1), sci(b[8], a2));
  }
  fprintf(f, "\n![floors](plots/floors.png)\n\n");
}

static void report_depth(FILE *f, bx_ctx *x) {
  char b[10][32];
  if (!x->ndepth) return;
  const bx_depth_variant *d0 = &x->depth[0];
  fprintf(f,
          "## 2. Depth: errors layer by layer\n\n"
          "Models of L = 1..%d layers (each the first L layers of one "
          "%d-layer model), n = %d, d = 16 in 2 heads (d_h = 8), mlp 0, loss "
          "linear, weights uniform with variance 1/d, every layer's score "
          "radius calibrated to R = 1 on the exact forward (wq, wk scaled), "
          "Taylor g = 6 (eps = %.2e), truth MPFR. Errors normwise.\n\n",
          d0->Lmax, d0->Lmax, x->quick ? 64 : 128, d0->eps[0]);
  for (int v = 0; v < x->ndepth; v++) {
    const bx_depth_variant *d = &x->depth[v];
    fprintf(f,
            "### %s\n\nError of act.layers.l (rows: model depth L; "
            "columns: layer l):\n\n| L |",
            d->name);
    for (int l = 0; l < d->Lmax; l++) fprintf(f, " l=%d |", l);
    fprintf(f, " grad.x |\n|---|");
    for (int l = 0; l <= d->Lmax; l++) fprintf(f, "---|");
    fprintf(f, "\n");
    for (int L = 1; L <= d->Lmax; L++) {
      fprintf(f, "| %d |", L);
      for (int l = 0; l < d->Lmax; l++)
        fprintf(f, " %s |", l < L ? sci(b[0], d->act[L][l]) : "");
      fprintf(f, " %s |\n", sci(b[1], d->gx[L]));
    }
    fprintf(f,
            "\nError of grad.act.layers.l (the top one is the cotangent, "
            "exact):\n\n| L |");
    for (int l = 0; l < d->Lmax; l++) fprintf(f, " l=%d |", l);
    fprintf(f, "\n|---|");
    for (int l = 0; l < d->Lmax; l++) fprintf(f, "---|");
    fprintf(f, "\n");
    for (int L = 1; L <= d->Lmax; L++) {
      fprintf(f, "| %d |", L);
      for (int l = 0; l < d->Lmax; l++)
        fprintf(f, " %s |", l < L ? sci(b[0], d->grad[L][l]) : "");
      fprintf(f, "\n");
    }
    fprintf(f,
            "\nLayer by layer in the %d-layer model: the error of layer l's "
            "output splits into the *fresh* error this layer's approximation "
            "adds given its (already approximate) input, and the error "
            "*carried* from earlier layers through the exact layer. "
            "`amplification` = ||carried|| / ||error of the input||: the "
            "measured per-layer growth factor the recursion e_l <= K_l "
            "e_(l-1) + b_l needs; the proven part is b_l (max-norm, shown "
            "relative to max|X_l|; `ratio` = measured fresh / its proven "
            "bound, max over all results of the one-layer case; `row "
            "spread` = ||X_l - mean row|| / ||X_l|| of the truth: near 0 the "
            "rows have collapsed onto one, as pure attention does).\n\n"
            "| l | R | eps | row spread | total | fresh | carried | "
            "amplification | fresh max-norm | proven bound | ratio |\n"
            "|---|---|---|---|---|---|---|---|---|---|---|\n",
            d->Lmax);
    for (int l = 0; l < d->Lmax; l++)
      fprintf(f, "| %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
              l, fix(b[0], d->R[l], 3), sci(b[1], d->eps[l]),
              sci(b[9], d->spread[l]), sci(b[2], d->act[d->Lmax][l]),
              sci(b[3], d->fresh[l]), l ? sci(b[4], d->prop[l]) : "-",
              fix(b[5], d->amp[l], 2), sci(b[6], d->fresh_maxrel[l]),
              sci(b[7], d->fresh_bound[l]), sci(b[8], d->fresh_ratio[l]));
    double ga = 0;
    int na = 0;
    for (int l = 1; l < d->Lmax; l++)
      if (d->amp[l] > 0) ga += log(d->amp[l]), na++;
    fprintf(f,
            "\nFitted growth per layer: forward %s (error of act.layers.l ~ "
            "gamma^l), backward %s (error of grad.act.layers.l against the "
            "distance from the top); geometric mean of the measured "
            "amplification %s. MPFR truth: %.1f s in all.\n\n",
            fix(b[0], d->gamma_fwd, 3), fix(b[1], d->gamma_bwd, 3),
            fix(b[2], na ? exp(ga / na) : NAN, 3), d->t_ref);
  }
  fprintf(f,
          "**The bound's L-dependence.** Per layer we prove only the fresh "
          "error (the one-layer bound given the layer's input). Across layers "
          "the recursion e_l <= K_l e_(l-1) + b_l needs the exact layer's "
          "Lipschitz constant K_l; Liang et al. bound it by poly(n) per layer "
          "(the reviewer's question on Theorem H.4: the degree of the "
          "polynomial grows with every layer, so the stated 1/poly(n) hides "
          "an n^O(L) factor). The measured amplifications above are the "
          "K_l of these cases along the actual error direction.\n\n"
          "![depth](plots/depth.png)\n\n");
}

static void report_entry(FILE *f, bx_ctx *x) {
  char b[8][32];
  fprintf(f,
          "## 3. The entry bound B: where approximation stops paying\n\n"
          "One layer, one head, d = 8, n = %lld, wq = wk = wv = wo = I, so "
          "Q = K = V = X and B bounds their entries (uniform: |X_ij| <= B; "
          "outlier: B is the scale of N(0,1) with 0.1%% outliers). Target: "
          "max|O~ - O| / max|O| <= %.0e on the attention output. Degrees "
          "2, 4, ... are tried until the target is met, up to g = 10 (rank "
          "43758), or until the error stalls (the double floor "
          "~1e-16 e^(2R) of evaluating P near -R). `proven g` is the "
          "smallest even Taylor degree whose a-priori bound meets the "
          "target. Break-even n: the n above which approx at that g would "
          "beat exact64, extrapolating exact64 as n^2 and approx as n from "
          "this n (an estimate). The theory's threshold: the almost-linear "
          "algorithm exists for B = o(sqrt(log n)) and not (under SETH) "
          "above; sqrt(ln n) = %.2f here.\n\n"
          "| inputs | B | R | max\\|S\\| | poly | g met | r | error at last g "
          "| t approx (s) | t exact64 (s) | proven g (taylor) | stop | "
          "break-even n |\n"
          "|---|---|---|---|---|---|---|---|---|---|---|---|---|\n",
          (long long)x->entry_n, x->target, sqrt(log((double)x->entry_n)));
  for (int i = 0; i < x->nentry; i++) {
    const bx_entry_row *r = &x->entry[i];
    int k = last_try(r);
    double be = NAN;
    if (r->g_found >= 0 && k >= 0)
      be = (double)x->entry_n * r->t[k] / r->t_exact64;
    char gm[16], ga[16], rk[24];
    snprintf(gm, sizeof gm, "%d", r->g_found);
    snprintf(ga, sizeof ga, "%d", r->g_apriori);
    snprintf(rk, sizeof rk, "%lld",
             (long long)fa_features_rank(8, k >= 0 ? r->g[k] : 0));
    fprintf(
        f,
        "| %s | %g | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | "
        "%s |\n",
        bd_dist_name(r->dist), r->B, fix(b[0], r->R, 3), fix(b[1], r->smax, 3),
        r->poly, r->g_found >= 0 ? gm : "no", rk,
        sci(b[2], k >= 0 ? r->err[k] : NAN),
        fix(b[3], k >= 0 ? r->t[k] : NAN, 3), fix(b[4], r->t_exact64, 3),
        r->poly[0] == 't' ? (r->g_apriori >= 0 ? ga : "none <= 64") : "-",
        r->stop,
        be > 0 ? (be < (double)x->entry_n ? "pays here" : sci(b[5], be)) : "-");
  }
  fprintf(f, "\n![entry](plots/entry.png)\n\n");
}

/* The computed reading: facts of this run only. */
static void report_reading(FILE *f, bx_ctx *x) {
  char b[8][32];
  fprintf(f, "## 5. Reading\n\n");
  fprintf(f,
          "- **Proven bounds:** %d comparisons (every result of every "
          "one-layer case of parts 1 and 2, element by element), %d "
          "violated.%s\n",
          x->checks, x->violations,
          x->violations ? " See the lines of `attnref bounds` on stderr." : "");
  /* tightness by result */
  int tight = -1, loose = -1;
  double tv = 0, lv = INFINITY;
  for (int k = 0; k < BX_NT - 1; k++) {
    if (k == 1 || k == 7) continue; /* loss, dcot mirror act */
    double w = worst_ratio(x, k, NULL);
    if (w > tv) tv = w, tight = k;
    if (w < lv) lv = w, loose = k;
  }
  if (tight >= 0 && loose >= 0)
    fprintf(f,
            "- **Tightness:** no bound is tight on these cases. The "
            "closest is %s's (measured error up to %s of its bound); the "
            "loosest %s's (at most %s of it). The bounds take every score "
            "at the edge of [-R, R] (where Taylor's error eps is reached; "
            "at |s| = R/2 it is 2^-(g+1) of that), all errors of one sign, "
            "and, for dU and dK, every F_ij at its ceiling e^(2R)/n. The "
            "a-priori bound is a guarantee, not an estimate: the measured "
            "error is what to plan with.\n",
            bx_tensor[tight], sci(b[0], tv), bx_tensor[loose], sci(b[1], lv));
  for (int c = 1; c <= 2; c++) {
    int few = 0, cut = 0; /* a slope on < 5 points; points under the floor */
    for (int k = 0; k < BX_NT - 1; k++)
      if (k != 1 && k != 7 && x->slope_pts[0][c][k] < 5) few = 1;
    for (int i = 0; i < x->npoly; i++)
      for (int k = 0; k < BX_NT - 1; k++)
        if (x->poly[i].dist == BD_UNIFORM && x->poly[i].c == c &&
            !x->poly[i].truth_mpfr &&
            x->poly[i].err[k].normwise < x->floor64[k])
          cut = 1;
    fprintf(f,
            "- **1/poly(n), c = %d:** fitted slopes (uniform) act %s, dx "
            "%s, dWq %s, dWv %s (over %d, %d, %d, %d resolved points) "
            "against the a-priori -%d; outlier inputs act %s.",
            c, fix(b[0], x->slope[0][c][0], 2), fix(b[1], x->slope[0][c][2], 2),
            fix(b[2], x->slope[0][c][3], 2), fix(b[3], x->slope[0][c][5], 2),
            x->slope_pts[0][c][0], x->slope_pts[0][c][2], x->slope_pts[0][c][3],
            x->slope_pts[0][c][5], c, fix(b[4], x->slope[1][c][0], 2));
    if (few && !cut)
      fprintf(f, " (Few points: this sweep has only %d values of n.)",
              x->slope_pts[0][c][0]);
    if (few && cut)
      fprintf(f,
              " Some of these slopes rest on fewer than 5 points: past n = "
              "%lld the c = %d errors of those results fall below what an "
              "exact64 truth resolves (`*` in the tables), so their slope "
              "describes only the MPFR-checked n <= %lld, where g hardly "
              "changes; it is no evidence against the claim (the tables show "
              "the errors falling to the floor).",
              (long long)x->mpfr_max, c, (long long)x->mpfr_max);
    fprintf(f, "\n");
  }
  {
    double sc = x->slope[0][0][0];
    fprintf(f,
            "- **Control, g = %d at every n:** slopes (uniform) act %s, dx "
            "%s, dWq %s: %s\n",
            BX_FIXED_G, fix(b[0], sc, 2), fix(b[1], x->slope[0][0][2], 2),
            fix(b[2], x->slope[0][0][3], 2),
            fabs(sc) < 0.25
                ? "at a fixed degree the error does not fall with n, so the "
                  "decrease of the c = 1, 2 rows is the degree's doing."
                : (sc < 0 ? "the error falls with n even at a fixed degree, "
                            "so part of the decrease of the c = 1, 2 rows "
                            "is not the degree's doing."
                          : "the error grows with n at a fixed degree: the "
                            "degree has to outrun it."));
  }
  fprintf(f,
          "- **Resolution:** %d part-1 values lie below 100x exact64's own "
          "error (marked `*` in the tables, left out of the slopes): there "
          "the approximation is as accurate as the exact64 truth can "
          "tell.\n",
          x->below_floor);
  /* approx vs floors at the largest n of uniform */
  for (int i = x->nfloor - 1; i >= 0; i--) {
    const bx_floor_row *r = &x->floor[i];
    if (r->dist != BD_UNIFORM) continue;
    double a[2] = {NAN, NAN};
    for (int j = 0; j < x->npoly; j++)
      if (x->poly[j].dist == r->dist && x->poly[j].n == r->n &&
          x->poly[j].c > 0)
        a[x->poly[j].c - 1] = x->poly[j].err[0].normwise;
    fprintf(f,
            "- **Against rounding** (uniform, n = %lld, attention "
            "output): approx c=1 %s, c=2 %s; exact32 %s; bf16-rounded "
            "inputs %s. The approximation is %s the fp32 floor at c = 2 "
            "and %s the bf16 input floor at c = 1.\n",
            (long long)r->n, sci(b[0], a[0]), sci(b[1], a[1]),
            sci(b[2], r->e32[0].normwise), sci(b[3], r->bf16[0].normwise),
            a[1] < r->e32[0].normwise ? "below" : "above",
            a[0] < r->bf16[0].normwise ? "below" : "above");
    break;
  }
  for (int v = 0; v < x->ndepth; v++) {
    const bx_depth_variant *d = &x->depth[v];
    fprintf(f, "- **Depth, %s:** per-layer growth forward %s, backward %s.\n",
            d->name, fix(b[0], d->gamma_fwd, 2), fix(b[1], d->gamma_bwd, 2));
  }
  /* entry: largest B where taylor met the target and paid */
  for (int di = 0; di < 2; di++) {
    double bpay = -1, bmet = -1;
    for (int i = 0; i < x->nentry; i++) {
      const bx_entry_row *r = &x->entry[i];
      if ((int)r->dist != di) continue;
      int k = last_try(r);
      if (r->g_found >= 0) {
        if (r->B > bmet) bmet = r->B;
        if (k >= 0 && r->t[k] < r->t_exact64 && r->B > bpay) bpay = r->B;
      }
    }
    fprintf(f,
            "- **Entry bound (%s, n = %lld):** approx met the %.0e target "
            "up to B = %s (either polynomial), and was also faster than "
            "exact64 up to B = %s; sqrt(ln n) = %.2f.\n",
            di ? "outlier" : "uniform", (long long)x->entry_n, x->target,
            bmet >= 0 ? fix(b[0], bmet, 3) : "none",
            bpay >= 0 ? fix(b[1], bpay, 3) : "none (never)",
            sqrt(log((double)x->entry_n)));
  }
  fprintf(f, "\n");
}

int bx_write_report(bx_ctx *x) {
  int rc = write_csvs(x);
  if (rc) return rc;
  int plotted = 0;
  if (x->plots && (rc = write_plots(x, &plotted))) return rc;
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  if (!f) return ar_fail(&x->err, AR_FAIL_INTERNAL, "out of memory");
  char cpu[256], head[64], date[64];
  cpu_model(cpu, sizeof cpu);
  git_head(head, sizeof head);
  time_t now = time(NULL);
  strftime(date, sizeof date, "%Y-%m-%d %H:%M UTC", gmtime(&now));
  fprintf(f,
          "# attnref error report: the approx path against exact truth\n\n"
          "Generated by `%s` (%s run) in %.0f s, %s, commit %s.\n\n"
          "Regenerate everything (REPORT.md, csv/, plots/):\n\n"
          "    cmake -S . -B build -DCMAKE_BUILD_TYPE=Release && cmake --build "
          "build -j && ./build/attnref bounds --out %s\n\n"
          "Machine: %ld CPUs online (`nproc`), %s, %.0f GiB memory; paths ran "
          "with the OpenMP default thread count, on a machine shared with "
          "other jobs (timings are indicative).\n\n"
          "What is **proven** and what is only **measured**: the a-priori "
          "bounds of one layer (attention output, loss, and every gradient: "
          "dx, dWq, dWk, dWv, dWo, the norm weights) are derived in "
          "[BOUNDS.md](BOUNDS.md) for Taylor polynomials of even degree, in "
          "exact arithmetic; the check adds a double-rounding allowance "
          "(BOUNDS.md §9: sized from the unit roundoff, not proven). Growth "
          "across "
          "layers, the Chebyshev polynomial's error, the degree an entry "
          "bound needs in practice, and the timings are measurements.\n\n"
          "Raw data: [csv/poly.csv](csv/poly.csv), "
          "[csv/floors.csv](csv/floors.csv), [csv/depth.csv](csv/depth.csv), "
          "[csv/depth_split.csv](csv/depth_split.csv), "
          "[csv/entry.csv](csv/entry.csv); plots from "
          "[plots/plots.gp](plots/plots.gp)%s.\n\n",
          x->command, x->quick ? "quick" : "full", cli_now() - x->t_start, date,
          head, x->out, sysconf(_SC_NPROCESSORS_ONLN), cpu, mem_gib(),
          plotted ? "" : " (gnuplot was not run: no PNGs)");
  report_reading(f, x);
  report_poly(f, x);
  report_depth(f, x);
  report_entry(f, x);
  report_floors(f, x);
  fclose(f);
  char path[4096];
  snprintf(path, sizeof path, "%s/REPORT.md", x->out);
  rc = ar_write_file_atomic(path, buf, len, &x->err);
  free(buf);
  return rc;
}
