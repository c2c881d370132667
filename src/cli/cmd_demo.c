/* attnref demo: the main job on a built-in case, end to end — gen -> ref ->
 * run a path -> check it against the truth — by calling the same commands a
 * user would, so the demo can't drift from the real tools. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "path.h"

/* The default case: every feature of the model at a size the reference
 * certifies in about a second. */
static const char default_config[] =
    "{\"n\":64,\"d\":16,\"heads\":2,\"layers\":3,\"causal\":true,"
    "\"residual\":true,\"norm\":\"layernorm\",\"mlp\":32,"
    "\"activation\":\"gelu\",\"loss\":\"xent\",\"vocab\":50}";

static int step(const char *title, int (*fn)(const cli_cmd *, int, char **),
                const char *name, int argc, char **argv) {
  cli_cmd sub = {name, "", "", fn};
  printf("\n== %s: attnref %s", title, name);
  for (int i = 0; i < argc; i++) printf(" %s", argv[i]);
  printf("\n");
  fflush(stdout);
  return fn(&sub, argc, argv);
}

int cmd_demo(const cli_cmd *cmd, int argc, char **argv) {
  const char *dir = NULL, *path = NULL, *config = NULL, *profile = NULL;
  const cli_opt opts[] = {{"--dir", &dir, NULL},
                          {"--path", &path, NULL},
                          {"--config", &config, NULL},
                          {"--profile", &profile, NULL},
                          {NULL, NULL, NULL}};
  int npos, rc = cli_parse(cmd, argc, argv, opts, NULL, 0, &npos);
  if (rc) return rc == CLI_HELP ? AR_OK : rc;
  if (!dir) dir = "attnref-demo";
  if (!path) path = "exact64";
  if (!config) config = default_config;
  if (!ar_path_find(path))
    return cli_fail(cmd, AR_FAIL_INPUT, "unknown path \"%s\"", path);
  if (!profile) profile = strcmp(path, "exact32") == 0 ? "fp32" : "fp64";
  if (mkdir(dir, 0777) != 0 && errno != EEXIST)
    return cli_fail(cmd, AR_FAIL_INPUT, "cannot create folder %s: %s", dir,
                    strerror(errno));
  char case_file[4096], truth[4096], cand[4096], report[4096];
  snprintf(case_file, sizeof case_file, "%s/case.safetensors", dir);
  snprintf(truth, sizeof truth, "%s/truth.safetensors", dir);
  snprintf(cand, sizeof cand, "%s/%s.safetensors", dir, path);
  snprintf(report, sizeof report, "%s/check.json", dir);

  char *gen_argv[] = {"--config", (char *)config, "--seed", "1", "--bound",
                      "1", "-o", case_file};
  if ((rc = step("1/4 random case", cmd_gen, "gen", 8, gen_argv))) return rc;
  char *ref_argv[] = {case_file, "-o", truth};
  if ((rc = step("2/4 certified MPFR truth", cmd_ref, "ref", 3, ref_argv)))
    return rc;
  char *run_argv[] = {"--path", (char *)path, case_file, "-o", cand};
  if ((rc = step("3/4 path under test", cmd_run, "run", 5, run_argv)))
    return rc;
  char *check_argv[] = {"--truth",   truth,         "--candidate", cand,
                        "--profile", (char *)profile, "--json",    report};
  return step("4/4 grade against the truth", cmd_check, "check", 8,
              check_argv);
}
