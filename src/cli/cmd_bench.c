/* attnref bench ref: the reference's measured time against a cost model
 * (operation counts x per-operation MPFR cost measured in the same process),
 * optionally against the mpmath peer.
 *
 * Cost model assumption: the reference certifies by running the whole model
 * twice, at p and at p2 > p, and its counters do not split by precision; each
 * count is therefore taken as half at p and half at p2 (cost = the mean of
 * the two measured costs). If the reference raised its precision and re-ran,
 * the counts would mix precision pairs: the bench then runs it again starting
 * at the final precision and checks the model against that run. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../ref/ref.h"
#include "bench.h"
#include "case.h"
#include "check.h"
#include "cli.h"
#include "config.h"
#include "gen.h"
#include "path.h"
#include "safetensors.h"

#ifndef ATTNREF_SOURCE_DIR
#define ATTNREF_SOURCE_DIR "."
#endif

static const char default_config[] =
    "{\"n\":128,\"d\":32,\"heads\":4,\"layers\":2,\"mlp\":64,\"causal\":true}";

static uint64_t count_of(const ar_ref_counts *c, int op) {
  const uint64_t v[BENCH_NOPS] = {c->mul,  c->add, c->fma,       c->div,
                                  c->sqrt, c->exp, c->erf,       c->log,
                                  c->dot_terms, c->sum_terms, c->other};
  return v[op];
}

/* Runs the mpmath peer on the case file; *secs <- its "seconds: X" line.
 * Returns 0 on success, else prints why it was skipped. */
static int run_peer(const char *case_path, int dps, double *secs) {
  char script[4096];
  snprintf(script, sizeof script, "%s/ref/peer_mpmath.py", ATTNREF_SOURCE_DIR);
  const char *py = "/usr/bin/python3";
  if (access(script, R_OK) != 0) {
    fprintf(stderr, "peer: %s not found; skipped\n", script);
    return -1;
  }
  if (access(py, X_OK) != 0) {
    fprintf(stderr, "peer: %s not found; skipped\n", py);
    return -1;
  }
  char dps_s[32];
  snprintf(dps_s, sizeof dps_s, "%d", dps);
  int fds[2];
  if (pipe(fds) != 0) return -1;
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return -1;
  }
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    close(fds[0]);
    close(fds[1]);
    char *args[] = {(char *)py, script, (char *)case_path, "--dps", dps_s,
                    NULL};
    execv(py, args);
    _exit(127);
  }
  close(fds[1]);
  FILE *f = fdopen(fds[0], "r");
  char line[1024];
  int found = 0;
  while (f && fgets(line, sizeof line, f))
    if (strncmp(line, "seconds:", 8) == 0 && sscanf(line + 8, "%lf", secs) == 1)
      found = 1;
  if (f) fclose(f);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || !found) {
    fprintf(stderr, "peer: %s failed (status %d%s); skipped\n", script,
            WIFEXITED(status) ? WEXITSTATUS(status) : -1,
            found ? "" : ", no \"seconds:\" line");
    return -1;
  }
  return 0;
}

/* csv line: item,count,cost_ns_at_p,cost_ns_at_p2,seconds */
static void csv_add(char **buf, size_t *len, size_t *cap, const char *line) {
  size_t n = strlen(line);
  if (*len + n + 1 > *cap) {
    size_t c = *cap ? *cap * 2 : 4096;
    while (c < *len + n + 1) c *= 2;
    char *p = realloc(*buf, c);
    if (!p) return;
    *buf = p;
    *cap = c;
  }
  memcpy(*buf + *len, line, n + 1);
  *len += n;
}

int cmd_bench(const cli_cmd *cmd, int argc, char **argv) {
  const char *config_s = default_config, *prec_s = NULL, *csv_p = NULL,
             *maxmem_s = NULL;
  int peer = 0;
  const cli_opt opts[] = {{"--config", &config_s, NULL},
                          {"--prec", &prec_s, NULL},
                          {"--peer", NULL, &peer},
                          {"--csv", &csv_p, NULL},
                          {"--max-memory", &maxmem_s, NULL},
                          {NULL, NULL, NULL}};
  const char *pos[1];
  int npos, rc = cli_parse(cmd, argc, argv, opts, pos, 0, &npos);
  if (rc) return rc == CLI_HELP ? AR_OK : rc;
  ar_path_options o;
  ar_path_options_defaults(&o);
  int64_t v;
  if (prec_s) {
    if (cli_parse_int(prec_s, 2, 1 << 24, &v))
      return cli_fail(cmd, AR_FAIL_INPUT,
                      "--prec \"%s\" is not a precision in bits (2..2^24)",
                      prec_s);
    o.prec = (long)v;
  }
  if ((rc = cli_max_memory(cmd, maxmem_s, &o.max_memory))) return rc;
  ar_config cfg;
  if ((rc = cli_load_config(cmd, config_s, &cfg))) return rc;

  ar_error err;
  ar_error_clear(&err);
  ar_tensorset in, out;
  ar_tensorset_init(&in);
  ar_tensorset_init(&out);
  ar_case c;
  int bound = 0;
  char *csv = NULL;
  size_t csvlen = 0, csvcap = 0;
  char tmp_case[4096] = "";
  if (ar_gen_case(&cfg, 1, 1.0, o.max_memory, &in, &err) ||
      ar_case_bind(&in, "bench case", &c, &err))
    goto fail;
  bound = 1;

  /* The timed run, then (if the reference raised its precision, so that
   * its counts mix several precision pairs) a second run starting at the
   * final precision, whose counts split exactly into one run at p and one
   * at p2: that run is the one the cost model is checked against. */
  long start = o.prec, p = 0, p2 = 0;
  double first = 0, measured = 0;
  ar_ref_counts counts;
  for (int attempt = 0; attempt < 2; attempt++) {
    ar_tensorset_free(&out);
    ar_tensorset_init(&out);
    ar_ref_counts_reset();
    double t0 = cli_now();
    if (ar_path_run(&ar_path_ref, &c, &o, &out, &err)) goto fail;
    measured = cli_now() - t0;
    memset(&counts, 0, sizeof counts);
    ar_ref_counts_get(&counts);
    const char *ps = ar_tensorset_get_meta(&out, AR_META_PREC);
    const char *p2s = ar_tensorset_get_meta(&out, AR_META_CHECK_PREC);
    p = ps ? atol(ps) : o.prec;
    p2 = p2s ? atol(p2s) : 0;
    if (p < MPFR_PREC_MIN) p = o.prec;
    if (p2 < MPFR_PREC_MIN) p2 = 0;
    if (attempt == 0) first = measured;
    if (p == o.prec) break;
    o.prec = p;
  }

  char *json = ar_config_to_json(&cfg);
  printf("bench ref: %s\n", json ? json : "");
  free(json);
  if (p != start)
    printf("the reference raised its precision from %ld to %ld bits (%.4f s);"
           " timed again starting at %ld bits so that the counts below are "
           "one run at each precision\n",
           start, p, first, p);
  printf("precision %ld bits", p);
  if (p2) printf(", certified by a second run at %ld bits", p2);
  printf("\n");
  if (p2)
    printf("cost model: each count is taken half at %ld and half at %ld bits "
           "(the two runs perform the same operations)\n",
           p, p2);
  char hp[32], hp2[32];
  snprintf(hp, sizeof hp, "ns@%ld", p);
  snprintf(hp2, sizeof hp2, p2 ? "ns@%ld" : "-", p2);
  printf("\n%-10s %-11s %14s %10s %10s %12s\n", "op", "timed", "count", hp, hp2,
         "predicted_s");
  csv_add(&csv, &csvlen, &csvcap,
          "item,count,cost_ns_at_p,cost_ns_at_p2,seconds\n");
  double predicted = 0;
  double cost_p[BENCH_NOPS], cost_p2[BENCH_NOPS];
  uint64_t total_ops = 0;
  for (int op = 0; op < BENCH_NOPS; op++) {
    uint64_t n = count_of(&counts, op);
    total_ops += n;
    double c1 = bench_op_ns(op, p, 0.03);
    double c2 = p2 ? bench_op_ns(op, p2, 0.03) : c1;
    if (c1 < 0 || c2 < 0) {
      ar_fail(&err, AR_FAIL_INTERNAL, "bench: out of memory");
      goto fail;
    }
    cost_p[op] = c1;
    cost_p2[op] = c2;
    double secs = 1e-9 * (double)n * (c1 + c2) / 2;
    predicted += secs;
    printf("%-10s %-11s %14llu %10.1f %10.1f %12.4f\n", bench_op_names[op],
           bench_op_funcs[op], (unsigned long long)n, c1, c2, secs);
    char line[256];
    snprintf(line, sizeof line, "%s,%llu,%.6g,%.6g,%.6g\n", bench_op_names[op],
             (unsigned long long)n, c1, c2, secs);
    csv_add(&csv, &csvlen, &csvcap, line);
  }
  double ratio = predicted > 0 ? measured / predicted : INFINITY;
  printf("(dot_terms / sum_terms: cost per term of mpfr_dot / mpfr_sum on "
         "length-%d vectors; other: copies, negations, compares, costed as "
         "mpfr_set)\n\n",
         BENCH_VEC_LEN);
  if (total_ops == 0)
    printf("warning: the reference reported no operation counts\n");
  printf("predicted  %10.4f s\n", predicted);
  printf("measured   %10.4f s\n", measured);
  printf("ratio      %10.3f measured/predicted (goal <= 1.5)%s\n", ratio,
         ratio <= 1.5 ? "" : "  ABOVE GOAL");
  /* The same counts costed as if every dot/sum term were one plain mpfr_fma /
   * mpfr_add (what a not-correctly-rounded reference would pay): shows what
   * the correctly rounded mpfr_dot/mpfr_sum cost on top. */
  double naive = predicted;
  static const int plain_of[2][2] = {{BENCH_DOT_TERM, BENCH_FMA},
                                     {BENCH_SUM_TERM, BENCH_ADD}};
  for (int k = 0; k < 2; k++) {
    double n = (double)count_of(&counts, plain_of[k][0]);
    naive += 1e-9 * n *
             ((cost_p[plain_of[k][1]] + cost_p2[plain_of[k][1]]) -
              (cost_p[plain_of[k][0]] + cost_p2[plain_of[k][0]])) / 2;
  }
  printf("ratio      %10.3f measured/predicted with dot/sum terms costed as "
         "plain fma/add (%.4f s)\n",
         naive > 0 ? measured / naive : INFINITY, naive);
  char line[256];
  snprintf(line, sizeof line,
           "predicted,,,,%.6g\nmeasured,,,,%.6g\nratio_measured_over_predicted,"
           ",,,%.6g\nprec,,,,%ld\ncheck_prec,,,,%ld\n",
           predicted, measured, ratio, p, p2);
  csv_add(&csv, &csvlen, &csvcap, line);

  if (peer) {
    const char *dir = getenv("TMPDIR");
    snprintf(tmp_case, sizeof tmp_case, "%s/attnref-bench-XXXXXX.safetensors",
             dir && *dir ? dir : "/tmp");
    int fd = mkstemps(tmp_case, 12);
    if (fd < 0) {
      ar_fail(&err, AR_FAIL_INPUT, "%s: cannot create: %s", tmp_case,
              strerror(errno));
      tmp_case[0] = '\0';
      goto fail;
    }
    close(fd);
    if (ar_safetensors_write(tmp_case, &in, &err)) goto fail;
    /* mpmath's dps for the same working precision as the first run */
    int dps = (int)ceil((double)p * log10(2.0));
    double psecs = 0;
    printf("peer       running %s/ref/peer_mpmath.py --dps %d ...\n",
           ATTNREF_SOURCE_DIR, dps);
    fflush(stdout);
    if (run_peer(tmp_case, dps, &psecs) == 0) {
      printf("mpmath     %10.4f s (dps %d, one run; attnref's time includes "
             "its certification run)\n",
             psecs, dps);
      printf("ratio      %10.3f mpmath/attnref\n", psecs / measured);
      snprintf(line, sizeof line,
               "mpmath,,,,%.6g\nratio_mpmath_over_attnref,,,,%.6g\n", psecs,
               psecs / measured);
      csv_add(&csv, &csvlen, &csvcap, line);
    }
    unlink(tmp_case);
  }
  if (csv_p && (!csv || ar_write_file_atomic(csv_p, csv, csvlen, &err)))
    goto fail;
  free(csv);
  ar_case_release(&c);
  ar_tensorset_free(&in);
  ar_tensorset_free(&out);
  return AR_OK;
fail:
  if (err.code == 0) ar_fail(&err, AR_FAIL_INTERNAL, "bench: out of memory");
  rc = cli_report(cmd, &err);
  if (tmp_case[0]) unlink(tmp_case);
  free(csv);
  if (bound) ar_case_release(&c);
  ar_tensorset_free(&in);
  ar_tensorset_free(&out);
  return rc;
}
