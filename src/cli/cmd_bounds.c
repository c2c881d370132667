/* attnref bounds: the error harness. Runs the four sweeps of
 * error_reports/BOUNDS.md through the registered paths and writes
 * REPORT.md, CSVs and plots into --out. Exit status 1 when a measured error
 * exceeds its proven bound anywhere. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bounds_cli.h"

void bx_note(bx_ctx *x, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  printf("[%7.1f s] ", cli_now() - x->t_start);
  vprintf(fmt, ap);
  printf("\n");
  fflush(stdout);
  va_end(ap);
}

void bx_check(bx_ctx *x, const char *what, double ratio) {
  x->checks++;
  if (ratio <= 1) return;
  x->violations++;
  fprintf(stderr,
          "attnref bounds: %s: measured error is %.3g times its proven "
          "bound\n",
          what, ratio);
}

static int make_dir(const cli_cmd *cmd, const char *dir) {
  if (mkdir(dir, 0777) != 0 && errno != EEXIST)
    return cli_fail(cmd, AR_FAIL_INPUT, "cannot create folder %s: %s", dir,
                    strerror(errno));
  return AR_OK;
}

int cmd_bounds(const cli_cmd *cmd, int argc, char **argv) {
  const char *out = NULL, *radius = NULL, *mpfr = NULL, *target = NULL;
  int quick = 0, noplots = 0;
  const cli_opt opts[] = {
      {"--quick", NULL, &quick},   {"--out", &out, NULL},
      {"--radius", &radius, NULL}, {"--mpfr-max", &mpfr, NULL},
      {"--target", &target, NULL}, {"--no-plots", NULL, &noplots},
      {NULL, NULL, NULL}};
  int npos, rc = cli_parse(cmd, argc, argv, opts, NULL, 0, &npos);
  if (rc) return rc == CLI_HELP ? AR_OK : rc;
  bx_ctx *x = calloc(1, sizeof *x);
  if (!x) return cli_fail(cmd, AR_FAIL_INTERNAL, "out of memory");
  x->quick = quick;
  x->plots = !noplots;
  x->out = out ? out : "error_reports";
  x->radius = 0.5;
  x->mpfr_max = 512;
  x->target = 1e-6;
  int64_t v;
  if (radius && (cli_parse_double(radius, &x->radius) || !(x->radius > 0) ||
                 x->radius > 8))
    rc = cli_fail(cmd, AR_FAIL_INPUT, "--radius \"%s\": expected 0 < R <= 8",
                  radius);
  if (!rc && mpfr) {
    if (cli_parse_int(mpfr, 0, 4096, &v))
      rc = cli_fail(cmd, AR_FAIL_INPUT,
                    "--mpfr-max \"%s\": expected n in 0..4096", mpfr);
    x->mpfr_max = v;
  }
  if (!rc && target &&
      (cli_parse_double(target, &x->target) ||
       !(x->target > 0 && x->target < 1)))
    rc = cli_fail(cmd, AR_FAIL_INPUT, "--target \"%s\": expected 0 < t < 1",
                  target);
  size_t len =
      (size_t)snprintf(x->command, sizeof x->command, "attnref bounds");
  for (int i = 0; i < argc && len < sizeof x->command; i++)
    len += (size_t)snprintf(x->command + len, sizeof x->command - len, " %s",
                            argv[i]);
  char path[4096];
  if (!rc) rc = make_dir(cmd, x->out);
  if (!rc) {
    snprintf(path, sizeof path, "%s/csv", x->out);
    rc = make_dir(cmd, path);
  }
  if (!rc && x->plots) {
    snprintf(path, sizeof path, "%s/plots", x->out);
    rc = make_dir(cmd, path);
  }
  if (!rc) {
    snprintf(path, sizeof path, "%s/paths.log", x->out);
    if (!(x->log = fopen(path, "w")))
      rc = cli_fail(cmd, AR_FAIL_INPUT, "cannot write %s: %s", path,
                    strerror(errno));
  }
  if (rc) {
    free(x);
    return rc;
  }
  ar_error_clear(&x->err);
  x->t_start = cli_now();
  bx_note(x, "attnref bounds%s -> %s (paths' stderr in %s)",
          quick ? " --quick" : "", x->out, path);
  rc = bx_part_poly(x);
  if (!rc) rc = bx_part_depth(x);
  if (!rc) rc = bx_part_entry(x);
  if (!rc) rc = bx_write_report(x);
  fclose(x->log);
  if (rc) {
    rc = cli_report(cmd, &x->err);
  } else {
    printf(
        "bounds: %d proven-bound comparisons, %d violated; %.1f s; report "
        "%s/REPORT.md: %s\n",
        x->checks, x->violations, cli_now() - x->t_start, x->out,
        x->violations ? "FAIL" : "PASS");
    rc = x->violations ? AR_FAIL_CHECK : AR_OK;
  }
  free(x->poly);
  free(x->floor);
  free(x->entry);
  free(x);
  return rc;
}
