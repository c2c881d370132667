/* attnref ref / attnref run: read a case, run one path, write its results. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../ref/ref.h"
#include "case.h"
#include "cli.h"
#include "config.h"
#include "path.h"
#include "safetensors.h"

typedef struct run_args {
  const char *path, *prec, *degree, *poly, *threads, *maxmem, *out;
  int dd, verbose;
} run_args;

/* o <- defaults overridden by the options given; errors are usage errors. */
static int make_options(const cli_cmd *cmd, const run_args *a,
                        ar_path_options *o) {
  ar_path_options_defaults(o);
  int64_t v;
  if (a->prec) {
    if (cli_parse_int(a->prec, 2, 1 << 24, &v))
      return cli_fail(cmd, AR_FAIL_INPUT,
                      "--prec \"%s\" is not a precision in bits (2..2^24)",
                      a->prec);
    o->prec = (long)v;
  }
  if (a->degree) {
    if (cli_parse_int(a->degree, 0, 64, &v))
      return cli_fail(cmd, AR_FAIL_INPUT,
                      "--degree \"%s\" is not a degree in 0..64", a->degree);
    o->degree = (int)v;
  }
  if (a->poly) {
    if (strcmp(a->poly, "taylor") && strcmp(a->poly, "chebyshev"))
      return cli_fail(cmd, AR_FAIL_INPUT,
                      "--poly \"%s\": expected taylor or chebyshev", a->poly);
    o->poly = a->poly;
  }
  if (a->threads) {
    if (cli_parse_int(a->threads, 0, 4096, &v))
      return cli_fail(cmd, AR_FAIL_INPUT,
                      "--threads \"%s\" is not a count in 0..4096", a->threads);
    o->threads = (int)v;
  }
  int rc = cli_max_memory(cmd, a->maxmem, &o->max_memory);
  o->double_double = a->dd;
  o->verbose = a->verbose;
  return rc;
}

/* Results carry the config and the path's name (when the path did not set them). */
static int stamp(ar_tensorset *out, const ar_case *c, const ar_path *p,
                 ar_error *err) {
  if (!ar_tensorset_get_meta(out, AR_CONFIG_KEY)) {
    char *json = ar_config_to_json(&c->cfg);
    if (!json) return ar_fail(err, AR_FAIL_INTERNAL, "out of memory");
    int rc = ar_tensorset_set_meta(out, AR_CONFIG_KEY, json, err);
    free(json);
    if (rc) return rc;
  }
  if (!ar_tensorset_get_meta(out, AR_META_PATH))
    return ar_tensorset_set_meta(out, AR_META_PATH, p->name, err);
  return AR_OK;
}

static int run_path(const cli_cmd *cmd, const ar_path *p, const char *case_path,
                    const run_args *a) {
  ar_path_options o;
  int rc = make_options(cmd, a, &o);
  if (rc) return rc;
  ar_error err;
  ar_error_clear(&err);
  ar_tensorset in, out;
  ar_tensorset_init(&in);
  ar_tensorset_init(&out);
  ar_case c;
  memset(&c, 0, sizeof c);
  int bound = 0;
  double t0 = 0, secs = 0;
  if (ar_safetensors_read(case_path, &in, o.max_memory, &err)) goto fail;
  if (ar_case_bind(&in, case_path, &c, &err)) goto fail;
  bound = 1;
  t0 = cli_now();
  if (ar_path_run(p, &c, &o, &out, &err)) goto fail;
  secs = cli_now() - t0;
  if (stamp(&out, &c, p, &err) || ar_safetensors_write(a->out, &out, &err))
    goto fail;
  const char *prec = ar_tensorset_get_meta(&out, AR_META_PREC);
  const char *cert = ar_tensorset_get_meta(&out, AR_META_CERTIFIED_BITS);
  const char *chk = ar_tensorset_get_meta(&out, AR_META_CHECK_PREC);
  fprintf(stderr, "attnref %s: path %s", cmd->name, p->name);
  if (prec) fprintf(stderr, ", precision %s bits", prec);
  if (cert) fprintf(stderr, ", certified %s bits", cert);
  if (chk) fprintf(stderr, " (checked at %s bits)", chk);
  fprintf(stderr, ", %zu tensors, %.3f s -> %s\n", out.count, secs, a->out);
  ar_case_release(&c);
  ar_tensorset_free(&in);
  ar_tensorset_free(&out);
  return AR_OK;
fail:
  rc = cli_report(cmd, &err);
  if (bound) ar_case_release(&c);
  ar_tensorset_free(&in);
  ar_tensorset_free(&out);
  return rc;
}

static int parse_run(const cli_cmd *cmd, int argc, char **argv, run_args *a,
                     const char **case_path) {
  memset(a, 0, sizeof *a);
  const cli_opt opts[] = {{"--path", &a->path, NULL},
                          {"-o", &a->out, NULL},
                          {"--output", &a->out, NULL},
                          {"--prec", &a->prec, NULL},
                          {"--double-double", NULL, &a->dd},
                          {"--verbose", NULL, &a->verbose},
                          {"-v", NULL, &a->verbose},
                          {"--degree", &a->degree, NULL},
                          {"--poly", &a->poly, NULL},
                          {"--threads", &a->threads, NULL},
                          {"--max-memory", &a->maxmem, NULL},
                          {NULL, NULL, NULL}};
  const char *pos[1];
  int npos, rc = cli_parse(cmd, argc, argv, opts, pos, 1, &npos);
  if (rc) return rc;
  if (npos != 1) return cli_fail(cmd, AR_FAIL_INPUT, "CASE file is required");
  if (!a->out) return cli_fail(cmd, AR_FAIL_INPUT, "-o OUTPUT is required");
  *case_path = pos[0];
  return AR_OK;
}

int cmd_ref(const cli_cmd *cmd, int argc, char **argv) {
  run_args a;
  const char *case_path;
  int rc = parse_run(cmd, argc, argv, &a, &case_path);
  if (rc) return rc == CLI_HELP ? AR_OK : rc;
  if (a.path && strcmp(a.path, "ref"))
    return cli_fail(cmd, AR_FAIL_INPUT,
                    "--path %s: use attnref run for other paths", a.path);
  return run_path(cmd, &ar_path_ref, case_path, &a);
}

int cmd_run(const cli_cmd *cmd, int argc, char **argv) {
  run_args a;
  const char *case_path;
  int rc = parse_run(cmd, argc, argv, &a, &case_path);
  if (rc) return rc == CLI_HELP ? AR_OK : rc;
  if (!a.path) return cli_fail(cmd, AR_FAIL_INPUT, "--path NAME is required");
  const ar_path *p = ar_path_find(a.path);
  if (!p) {
    char names[512] = "";
    size_t used = 0;
    for (const ar_path *const *q = ar_paths(); *q && used < sizeof names; q++)
      used += (size_t)snprintf(names + used, sizeof names - used, "%s%s",
                               used ? ", " : "", (*q)->name);
    return cli_fail(cmd, AR_FAIL_INPUT, "unknown path \"%s\" (known: %s)",
                    a.path, names);
  }
  return run_path(cmd, p, case_path, &a);
}
