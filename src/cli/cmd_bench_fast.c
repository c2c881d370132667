/* attnref bench fast: exact64 against approx (and PyTorch autograd with
 * --peer), forward + backward of one attention layer, over n, d_h, the
 * degree g and the mask; each measurement in its own child (bench_fast.h).
 *
 * The sweep: norm none, mlp 0, residual, linear loss, one head (d = d_h),
 * n = 1k..8k for d_h in {4, 8, 16}, g in {2, 4, 6}, causal or not, and the
 * target case d_h = 8, g = 4 on to n = 64k. A run predicted (from the one
 * at n/2: exact and torch quadratic, approx linear) to take more than the
 * budget is not started ("skipped (budget)"), nor is a torch run predicted
 * to need more than half the available memory ("skipped (memory)"). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "../../fast/fast.h"
#include "../../fast/features.h"
#include "bench_fast.h"
#include "check.h"
#include "cli.h"
#include "safetensors.h"
#include "strbuf.h"

#ifndef ATTNREF_SOURCE_DIR
#define ATTNREF_SOURCE_DIR "."
#endif

/* A measurement, or why there is none. */
enum { M_OK, M_NOT_RUN, M_BUDGET, M_MEMORY, M_TIMEOUT, M_FAILED };
typedef struct meas {
  int state;
  double seconds, rss_mb;
  char msg[256];
} meas;

static const char *state_str(const meas *m, char *buf, size_t n) {
  switch (m->state) {
  case M_OK: return "ok";
  case M_NOT_RUN: return "not run";
  case M_BUDGET: return "skipped (budget)";
  case M_MEMORY: return "skipped (memory)";
  case M_TIMEOUT: return "skipped (time limit)";
  default: snprintf(buf, n, "failed: %.200s", m->msg); return buf;
  }
}

/* "%.6g" or empty */
static const char *cf(char *buf, size_t n, int ok, double v) {
  if (ok && isfinite(v))
    snprintf(buf, n, "%.6g", v);
  else
    buf[0] = '\0';
  return buf;
}

#define CSV_HEADER                                                           \
  "case,path,n,d,heads,d_h,g,rank,causal,threads,seconds,speedup_vs_exact64," \
  "peak_rss_mb,err_act,err_grad_x,gflops,status\n"

/* one CSV row; g < 0 for exact paths; NaN leaves a field empty */
static void csv_row(ar_strbuf *b, const char *kase, const char *path,
                    const ar_config *c, int g, int64_t rank, int threads,
                    const meas *m, double speedup, double err_act,
                    double err_gx, double gflops) {
  char v[7][40], st[256];
  char gs[24] = "", rs[24] = "";
  if (g >= 0) snprintf(gs, sizeof gs, "%d", g);
  if (rank > 0) snprintf(rs, sizeof rs, "%lld", (long long)rank);
  const char *s = state_str(m, st, sizeof st);
  ar_strbuf_printf(b, "%s,%s,%lld,%lld,%lld,%lld,%s,%s,%d,%d,%s,%s,%s,%s,%s,%s,\"",
             kase, path, (long long)c->n, (long long)c->d, (long long)c->heads,
             (long long)(c->d / c->heads), gs, rs, c->causal, threads,
             cf(v[0], 40, m->state == M_OK, m->seconds),
             cf(v[1], 40, m->state == M_OK, speedup),
             cf(v[2], 40, m->state == M_OK, m->rss_mb),
             cf(v[3], 40, 1, err_act), cf(v[4], 40, 1, err_gx),
             cf(v[5], 40, m->state == M_OK, gflops));
  for (; *s; s++) {
    if (*s == '"')
      ar_strbuf_printf(b, "\"\"");
    else if (*s != '\n' && *s != '\r')
      ar_strbuf_printf(b, "%c", *s);
  }
  ar_strbuf_printf(b, "\"\n");
}

/* the sweep's config: one layer, one head of width dh */
static ar_config sweep_config(int64_t n, int64_t dh, int causal) {
  ar_config c;
  ar_config_defaults(&c);
  c.n = n, c.d = dh, c.heads = 1, c.layers = 1;
  c.causal = causal, c.residual = 1, c.mlp = 0;
  c.norm = AR_NORM_NONE, c.loss = AR_LOSS_LINEAR;
  return c;
}

static void meas_from(meas *m, const bf_outcome *o, double seconds) {
  m->rss_mb = o->maxrss_mb;
  m->seconds = seconds;
  m->state = o->status == BF_OK ? M_OK
             : o->status == BF_TIMEOUT ? M_TIMEOUT
                                       : M_FAILED;
  snprintf(m->msg, sizeof m->msg, "%s", o->msg);
}

/* A path run in a child; out_file receives act and grad.x. */
static void time_path(const ar_config *c, double bound, const ar_path *p,
                      int g, int threads, int quick, double limit,
                      const char *out_file, meas *m) {
  /* best of up to 5 runs within a second: the small n are noisy */
  bf_path_job j = {c, bound, p, g, threads, quick ? 1 : 5, 1.0, out_file};
  bf_path_result r;
  memset(&r, 0, sizeof r);
  bf_outcome o;
  bf_in_child(bf_run_path, &j, &r, sizeof r, limit, &o);
  meas_from(m, &o, r.seconds);
}

/* normwise errors of the approximate act and grad.x against exact64's */
static int errors_of(const char *exact_f, const char *approx_f,
                     const ar_config *c, double *e_act, double *e_gx,
                     ar_error *err) {
  ar_tensorset t, a;
  ar_tensorset_init(&t);
  ar_tensorset_init(&a);
  ar_check_result r;
  memset(&r, 0, sizeof r);
  int rc = ar_safetensors_read(exact_f, &t, 0, err);
  if (!rc) rc = ar_safetensors_read_lenient(approx_f, &a, 0, err);
  if (!rc) rc = ar_check_compare(&t, &a, ar_check_profile_find("fp64"), &r, err);
  *e_act = *e_gx = NAN;
  char act[64];
  snprintf(act, sizeof act, "act.layers.%lld", (long long)(c->layers - 1));
  for (size_t i = 0; !rc && i < r.count; i++) {
    if (!r.tensors[i].compared) continue;
    if (!strcmp(r.tensors[i].name, act)) *e_act = r.tensors[i].normwise;
    if (!strcmp(r.tensors[i].name, "grad.x")) *e_gx = r.tensors[i].normwise;
  }
  ar_check_result_free(&r);
  ar_tensorset_free(&t);
  ar_tensorset_free(&a);
  return rc;
}

/* The GFLOP/s case in a child. */
typedef struct gflops_job {
  ar_config cfg;
  int reps, threads;
  int64_t gemm;
} gflops_job;
static int gflops_run(void *arg, void *result, size_t size, char *msg,
                      size_t msgn) {
  gflops_job *j = arg;
  ar_error err;
  ar_error_clear(&err);
  int rc = fa_bench_exact(&ar_path_exact64, &j->cfg, 1.0, j->reps, j->threads,
                          j->gemm, result, &err);
  if (rc) snprintf(msg, msgn, "%s", err.msg);
  return rc;
}

static void cpu_model(char *buf, size_t n) {
  snprintf(buf, n, "unknown");
  FILE *f = fopen("/proc/cpuinfo", "r");
  if (!f) return;
  char line[512];
  while (fgets(line, sizeof line, f))
    if (!strncmp(line, "model name", 10)) {
      char *c = strchr(line, ':');
      if (c) {
        c++;
        while (*c == ' ' || *c == '\t') c++;
        c[strcspn(c, "\n")] = '\0';
        snprintf(buf, n, "%s", c);
      }
      break;
    }
  fclose(f);
}

static int64_t rank_of(int64_t dh, int g) {
  return fa_features_rank((int)dh, g);
}

/* One (d_h, mask) series over n: what the next n is predicted from. */
typedef struct series {
  meas exact_prev, torch_prev;
  int64_t exact_n, torch_n;
  meas approx_prev[8];
  int64_t approx_n[8];
} series;

/* predicted seconds of a run at n from the last one at n0 (power p), or 0 */
static double predict(const meas *prev, int64_t n0, int64_t n, double p) {
  if (n0 <= 0 || prev->state != M_OK) return 0;
  return prev->seconds * pow((double)n / (double)n0, p);
}
/* a run after a skipped or timed-out smaller one is skipped too, for the
 * same reason (a time limit reached: the budget) */
static int after_skip(const meas *prev, int64_t n0) {
  return n0 > 0 && (prev->state == M_BUDGET || prev->state == M_TIMEOUT ||
                    prev->state == M_MEMORY);
}
static int skip_state(const meas *prev) {
  return prev->state == M_MEMORY ? M_MEMORY : M_BUDGET;
}

typedef struct sweep {
  int quick, peer, threads;
  double budget, limit, bound;
  const char *tmpdir, *python, *script;
  ar_strbuf csv;
  double baseline_mb;
  /* targets */
  int64_t target_n;
  double target_speedup[2]; /* by causal; NaN if not measured */
  double target_rss[2][3];  /* approx RSS at target_n/4, /2, target_n */
  int torch_rows, exact_beats_torch, approx_beats_torch, approx_rows;
  int big_rows, big_10x; /* n >= 16k rows with torch measured */
} sweep;

static void print_row(const ar_config *c, int g, int64_t rank, const meas *ex,
                      const meas *ap, double e_act, double e_gx,
                      const meas *to) {
  char s[12][32], st[256], note[640] = "";
  size_t nl = 0;
#define CELL(i, ok, fmt, v) \
  ((ok) ? (snprintf(s[i], 32, fmt, v), s[i]) : "-")
  const char *names[3] = {"exact64", "approx", "torch"};
  const meas *ms[3] = {ex, ap, to};
  for (int k = 0; k < 3; k++)
    if (ms[k]->state != M_OK && ms[k]->state != M_NOT_RUN)
      nl += (size_t)snprintf(note + nl, nl < sizeof note ? sizeof note - nl : 0,
                             "%s%s %s", nl ? "; " : "", names[k],
                             state_str(ms[k], st, sizeof st));
  int eo = ex->state == M_OK, ao = ap->state == M_OK, to_ = to->state == M_OK;
  printf("%-6s %3lld %2d %6lld %6lld  %-9s %-9s %-8s %-8s %-9s %-9s %-10s "
         "%-9s %-11s %-12s %s\n",
         c->causal ? "yes" : "no", (long long)c->d, g, (long long)rank,
         (long long)c->n, CELL(0, eo, "%.4f", ex->seconds),
         CELL(1, ao, "%.4f", ap->seconds),
         CELL(2, eo && ao, "%.2fx", ex->seconds / ap->seconds),
         CELL(3, eo, "%.1f", ex->rss_mb), CELL(4, ao, "%.1f", ap->rss_mb),
         CELL(5, isfinite(e_act), "%.2e", e_act),
         CELL(6, isfinite(e_gx), "%.2e", e_gx),
         CELL(7, to_, "%.4f", to->seconds),
         CELL(8, to_ && eo, "%.2fx", to->seconds / ex->seconds),
         CELL(9, to_ && ao, "%.2fx", to->seconds / ap->seconds), note);
#undef CELL
  fflush(stdout);
}

/* one (n, d_h, mask): exact64 once, torch once, approx for each g */
static void run_point(sweep *w, series *sr, int64_t n, int64_t dh, int causal,
                      const int *gs, int ngs) {
  ar_config c = sweep_config(n, dh, causal);
  char exact_f[4096], approx_f[4096], case_f[4096];
  snprintf(exact_f, sizeof exact_f, "%s/exact.safetensors", w->tmpdir);
  snprintf(approx_f, sizeof approx_f, "%s/approx.safetensors", w->tmpdir);
  snprintf(case_f, sizeof case_f, "%s/case.safetensors", w->tmpdir);
  const char *kase = n > 8192 ? "target" : "sweep";

  meas ex = {M_NOT_RUN, 0, 0, ""};
  if (after_skip(&sr->exact_prev, sr->exact_n))
    ex.state = skip_state(&sr->exact_prev);
  else if (predict(&sr->exact_prev, sr->exact_n, n, 2) > w->budget)
    ex.state = M_BUDGET;
  else
    time_path(&c, w->bound, &ar_path_exact64, 0, w->threads, w->quick, w->limit, exact_f,
              &ex);
  if (ex.state != M_NOT_RUN) sr->exact_prev = ex, sr->exact_n = n;
  csv_row(&w->csv, kase, "exact64", &c, -1, 0, w->threads, &ex, NAN, NAN, NAN,
          fa_model_flops(&c) * 1e-9 / ex.seconds);

  meas to = {M_NOT_RUN, 0, 0, ""};
  if (w->peer) {
    double avail = bf_mem_available_mb();
    double rss_pred = sr->torch_n > 0 && sr->torch_prev.state == M_OK
                          ? w->baseline_mb +
                                (sr->torch_prev.rss_mb - w->baseline_mb) *
                                    pow((double)n / sr->torch_n, 2)
                          : 0;
    if (after_skip(&sr->torch_prev, sr->torch_n))
      to.state = skip_state(&sr->torch_prev);
    else if (predict(&sr->torch_prev, sr->torch_n, n, 2) > w->budget)
      to.state = M_BUDGET;
    else if (avail > 0 && rss_pred > 0.5 * avail) {
      to.state = M_MEMORY;
      snprintf(to.msg, sizeof to.msg, "%.0f MiB predicted", rss_pred);
    } else {
      bf_gen_job gj = {&c, w->bound, case_f};
      bf_outcome o;
      bf_in_child(bf_gen, &gj, NULL, 0, w->limit, &o);
      if (o.status != BF_OK) {
        meas_from(&to, &o, 0);
      } else {
        double secs;
        bf_run_torch(w->python, w->script, case_f, w->threads, w->limit,
                     &secs, &o);
        meas_from(&to, &o, secs);
      }
      unlink(case_f);
    }
    sr->torch_prev = to, sr->torch_n = n;
    csv_row(&w->csv, kase, "torch", &c, -1, 0, w->threads, &to,
            ex.state == M_OK ? ex.seconds / to.seconds : NAN, NAN, NAN,
            fa_model_flops(&c) * 1e-9 / to.seconds);
    if (to.state == M_OK) {
      w->torch_rows++;
      if (ex.state == M_OK && ex.seconds < to.seconds) w->exact_beats_torch++;
    }
  }

  for (int k = 0; k < ngs; k++) {
    int g = gs[k];
    int64_t rank = rank_of(dh, g);
    meas ap = {M_NOT_RUN, 0, 0, ""};
    double e_act = NAN, e_gx = NAN;
    ar_path_options po;
    ar_path_options_defaults(&po);
    po.degree = g;
    po.threads = w->threads;
    int64_t need = ar_path_approx.memory_needed(&c, &po);
    double avail = bf_mem_available_mb();
    if (after_skip(&sr->approx_prev[g], sr->approx_n[g]))
      ap.state = skip_state(&sr->approx_prev[g]);
    else if (predict(&sr->approx_prev[g], sr->approx_n[g], n, 1) > w->budget)
      ap.state = M_BUDGET;
    else if (need < 0 || (avail > 0 && (double)need / 1048576.0 > 0.5 * avail))
      ap.state = M_MEMORY;
    else
      time_path(&c, w->bound, &ar_path_approx, g, w->threads, w->quick, w->limit,
                approx_f, &ap);
    sr->approx_prev[g] = ap, sr->approx_n[g] = n;
    if (ap.state == M_OK && ex.state == M_OK) {
      ar_error err;
      ar_error_clear(&err);
      if (errors_of(exact_f, approx_f, &c, &e_act, &e_gx, &err))
        fprintf(stderr, "attnref bench fast: error comparison: %s\n", err.msg);
    }
    unlink(approx_f);
    double speedup = ex.state == M_OK ? ex.seconds / ap.seconds : NAN;
    csv_row(&w->csv, kase, "approx", &c, g, rank, w->threads, &ap, speedup,
            e_act, e_gx, NAN);
    print_row(&c, g, rank, &ex, &ap, e_act, e_gx, &to);
    if (ap.state == M_OK && to.state == M_OK) {
      w->approx_rows++;
      if (ap.seconds < to.seconds) w->approx_beats_torch++;
      if (n >= 16384) {
        w->big_rows++;
        if (to.seconds >= 10 * ap.seconds) w->big_10x++;
      }
    }
    if (dh == 8 && g == 4) {
      if (n == w->target_n)
        w->target_speedup[causal] = ap.state == M_OK ? speedup : NAN;
      for (int q = 0; q < 3; q++)
        if (n == w->target_n >> (2 - q))
          w->target_rss[causal][q] = ap.state == M_OK ? ap.rss_mb : NAN;
    }
  }
  unlink(exact_f);
}

static const char *yes_no(int met) { return met ? "MET" : "NOT MET"; }

int cmd_bench_fast(const cli_cmd *cmd, int argc, char **argv) {
  const char *csv_p = NULL, *budget_s = NULL, *threads_s = NULL,
             *bound_s = NULL;
  int quick = 0, peer = 0;
  const cli_opt opts[] = {{"--quick", NULL, &quick},
                          {"--peer", NULL, &peer},
                          {"--csv", &csv_p, NULL},
                          {"--budget", &budget_s, NULL},
                          {"--threads", &threads_s, NULL},
                          {"--bound", &bound_s, NULL},
                          {NULL, NULL, NULL}};
  int npos, rc = cli_parse(cmd, argc, argv, opts, NULL, 0, &npos);
  if (rc) return rc == CLI_HELP ? AR_OK : rc;
  sweep w;
  memset(&w, 0, sizeof w);
  w.quick = quick, w.peer = peer, w.budget = 60, w.bound = 1;
  if (bound_s && (cli_parse_double(bound_s, &w.bound) || !(w.bound > 0)))
    return cli_fail(cmd, AR_FAIL_INPUT, "--bound \"%s\" is not a number > 0",
                    bound_s);
  if (budget_s && (cli_parse_double(budget_s, &w.budget) || !(w.budget > 0)))
    return cli_fail(cmd, AR_FAIL_INPUT, "--budget \"%s\" is not seconds > 0",
                    budget_s);
  int64_t v;
  if (threads_s) {
    if (cli_parse_int(threads_s, 0, 4096, &v))
      return cli_fail(cmd, AR_FAIL_INPUT,
                      "--threads \"%s\" is not a count in 0..4096", threads_s);
    w.threads = (int)v;
  }
#ifdef _OPENMP
  if (w.threads == 0) w.threads = omp_get_max_threads();
#else
  if (w.threads == 0) w.threads = 1;
#endif
  w.limit = 3 * w.budget + 30;
  const char *py = getenv("ATTNREF_PYTHON");
  w.python = py && *py ? py : "/usr/bin/python3";
  char script[4096];
  snprintf(script, sizeof script, "%s/tests/interop/torch_time.py",
           ATTNREF_SOURCE_DIR);
  w.script = script;
  if (peer && (access(w.python, X_OK) != 0 || access(script, R_OK) != 0))
    return cli_fail(cmd, AR_FAIL_INPUT, "--peer needs %s and %s", w.python,
                    script);

  const char *td = getenv("TMPDIR");
  char tmpdir[4096];
  snprintf(tmpdir, sizeof tmpdir, "%s/attnref-bench-fast-XXXXXX",
           td && *td ? td : "/tmp");
  if (!mkdtemp(tmpdir))
    return cli_fail(cmd, AR_FAIL_INPUT, "%s: cannot create: %s", tmpdir,
                    strerror(errno));
  w.tmpdir = tmpdir;
  for (int k = 0; k < 2; k++) w.target_speedup[k] = NAN;
  for (int k = 0; k < 6; k++) w.target_rss[k / 3][k % 3] = NAN;
  ar_strbuf_printf(&w.csv, CSV_HEADER);

  char cpu[256];
  cpu_model(cpu, sizeof cpu);
  bf_outcome o;
  bf_in_child(bf_nothing, NULL, NULL, 0, 10, &o);
  w.baseline_mb = o.maxrss_mb;
  printf("bench fast%s: %d thread%s, %ld cores online, CPU %s, %.0f MiB "
         "available; cases: seed 1, entries in [-%g, %g]\n",
         quick ? " (quick)" : "", w.threads, w.threads == 1 ? "" : "s",
         sysconf(_SC_NPROCESSORS_ONLN), cpu, bf_mem_available_mb(), w.bound,
         w.bound);
  char load[128] = "?";
  FILE *lf = fopen("/proc/loadavg", "r");
  if (lf) {
    if (fgets(load, sizeof load, lf)) load[strcspn(load, "\n")] = '\0';
    fclose(lf);
  }
  printf("load average at start: %s\n", load);
  printf("each measurement runs in its own child; an empty child's peak RSS "
         "is %.1f MiB (included in every peak below); budget %.0f s per run "
         "(time limit %.0f s)\n",
         w.baseline_mb, w.budget, w.limit);

  /* exact64 GFLOP/s next to dgemm's, measured in the same run */
  gflops_job gj;
  ar_config_defaults(&gj.cfg);
  gj.cfg.n = quick ? 1024 : 4096, gj.cfg.d = 64, gj.cfg.heads = 4;
  gj.cfg.layers = 1, gj.cfg.loss = AR_LOSS_LINEAR;
  gj.reps = quick ? 1 : 3, gj.threads = w.threads;
  gj.gemm = quick ? 1024 : 2048;
  fa_bench_result br;
  memset(&br, 0, sizeof br);
  bf_in_child(gflops_run, &gj, &br, sizeof br, w.limit, &o);
  meas gm;
  meas_from(&gm, &o, br.seconds);
  double gflops_ratio = NAN;
  if (gm.state == M_OK) {
    gflops_ratio = br.ratio;
    printf("\nexact64 throughput, n=%lld d=%lld heads=%lld non-causal: "
           "%.4f s, %.2f GFLOP/s; cblas_dgemm %lld^3: %.2f GFLOP/s; ratio "
           "%.2f (target >= 0.50)\n",
           (long long)br.n, (long long)br.d, (long long)br.heads, br.seconds,
           br.gflops, (long long)br.gemm_size, br.gemm_gflops, br.ratio);
    meas dg = {M_OK, 2e-9 * pow((double)br.gemm_size, 3) / br.gemm_gflops,
               NAN, ""}; /* measured inside the exact64 child */
    ar_config gc = gj.cfg;
    gc.n = br.gemm_size, gc.d = br.gemm_size, gc.heads = 1;
    csv_row(&w.csv, "gflops", "exact64", &gj.cfg, -1, 0, w.threads, &gm, NAN,
            NAN, NAN, br.gflops);
    csv_row(&w.csv, "gflops", "dgemm", &gc, -1, 0, w.threads, &dg, NAN, NAN,
            NAN, br.gemm_gflops);
  } else {
    char st[256];
    printf("\nexact64 throughput: %s\n", state_str(&gm, st, sizeof st));
  }

  static const int64_t base_ns[] = {1024, 2048, 4096, 8192};
  static const int64_t quick_ns[] = {1024, 2048, 4096};
  static const int64_t target_ns[] = {16384, 32768, 65536};
  static const int64_t dhs[] = {4, 8, 16}, quick_dhs[] = {4, 8};
  static const int gs[] = {2, 4, 6}, quick_gs[] = {2, 4}, target_g[] = {4};
  const int64_t *ns = quick ? quick_ns : base_ns, *dl = quick ? quick_dhs : dhs;
  int nn = quick ? 3 : 4, ndh = quick ? 2 : 3, ng = quick ? 2 : 3;
  w.target_n = quick ? 4096 : 65536;
  printf("\nerrors: normwise ||approx - exact64|| / ||exact64|| of act.layers.0 "
         "and grad.x; speedup = exact64_s / approx_s; torch/X = torch_s / X_s; "
         "*_MB: peak RSS in MiB\n");
  printf("%-6s %3s %2s %6s %6s  %-9s %-9s %-8s %-8s %-9s %-9s %-10s %-9s "
         "%-11s %-12s %s\n",
         "causal", "d_h", "g", "rank", "n", "exact64_s", "approx_s", "speedup",
         "exact_MB", "approx_MB", "err_act", "err_grad_x", "torch_s",
         "torch/exact", "torch/approx", "note");
  for (int causal = 0; causal < 2; causal++)
    for (int a = 0; a < ndh; a++) {
      series sr;
      memset(&sr, 0, sizeof sr);
      for (int i = 0; i < nn; i++)
        run_point(&w, &sr, ns[i], dl[a], causal, quick ? quick_gs : gs, ng);
      if (!quick && dl[a] == 8)
        for (int i = 0; i < 3; i++)
          run_point(&w, &sr, target_ns[i], 8, causal, target_g, 1);
    }
  rmdir(tmpdir);

  lf = fopen("/proc/loadavg", "r");
  if (lf) {
    if (fgets(load, sizeof load, lf)) load[strcspn(load, "\n")] = '\0';
    fclose(lf);
    printf("\nload average at the end: %s\n", load);
  }
  /* the targets, said plainly */
  printf("\ntargets%s:\n", quick ? " (quick run: smaller sizes than the "
                                   "targets name)" : "");
  if (isfinite(gflops_ratio))
    printf("  exact64 >= 50%% of dgemm GFLOP/s at n=%lld d=64 heads=4: %.0f%% "
           "-> %s\n",
           (long long)gj.cfg.n, 100 * gflops_ratio,
           yes_no(gflops_ratio >= 0.5));
  else
    printf("  exact64 >= 50%% of dgemm GFLOP/s: not measured\n");
  for (int causal = 0; causal < 2; causal++) {
    double s = w.target_speedup[causal];
    const double *r = w.target_rss[causal];
    printf("  approx >= 10x exact64 at n=%lld d_h=8 g=4 %s: ",
           (long long)w.target_n, causal ? "causal" : "non-causal");
    if (isfinite(s))
      printf("%.1fx -> %s\n", s, yes_no(s >= 10));
    else
      printf("not measured (a run was skipped or failed)\n");
    if (isfinite(r[0]) && isfinite(r[1]) && isfinite(r[2]) && r[1] > r[0]) {
      /* linear: equal steps in n double the increment; quadratic: x4 */
      double grow = (r[2] - r[1]) / (r[1] - r[0]);
      printf("    approx peak RSS %.1f / %.1f / %.1f MiB at n/4, n/2, n: "
             "increment ratio %.2f (linear 2, quadratic 4) -> %s\n",
             r[0], r[1], r[2], grow, grow <= 2.5 ? "linear" : "NOT linear");
    } else {
      printf("    approx peak RSS growth: not measured\n");
    }
  }
  if (peer) {
    printf("  exact64 faster than torch autograd: %d of %d points\n",
           w.exact_beats_torch, w.torch_rows);
    printf("  approx faster than torch autograd: %d of %d rows\n",
           w.approx_beats_torch, w.approx_rows);
    if (w.big_rows)
      printf("  approx >= 10x faster than torch at n >= 16k: %d of %d rows "
             "-> %s\n",
             w.big_10x, w.big_rows, yes_no(w.big_10x == w.big_rows));
    else
      printf("  approx >= 10x faster than torch at n >= 16k: not measured "
             "(torch skipped at those n; see the notes)\n");
  } else {
    printf("  against PyTorch: not run (use --peer)\n");
  }
  if (w.csv.oom) {
    free(w.csv.s);
    return cli_fail(cmd, AR_FAIL_INTERNAL, "out of memory");
  }
  ar_error err;
  ar_error_clear(&err);
  if (csv_p && ar_write_file_atomic(csv_p, w.csv.s, w.csv.len, &err)) {
    free(w.csv.s);
    return cli_report(cmd, &err);
  }
  free(w.csv.s);
  return AR_OK;
}
