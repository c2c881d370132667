/* attnref gen: a random case file from a config, a seed and a bound. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "config.h"
#include "gen.h"
#include "safetensors.h"

int cmd_gen(const cli_cmd *cmd, int argc, char **argv) {
  const char *config = NULL, *seed_s = NULL, *bound_s = NULL, *out = NULL,
             *maxmem_s = NULL;
  const cli_opt opts[] = {{"--config", &config, NULL},
                          {"--seed", &seed_s, NULL},
                          {"--bound", &bound_s, NULL},
                          {"-o", &out, NULL},
                          {"--output", &out, NULL},
                          {"--max-memory", &maxmem_s, NULL},
                          {NULL, NULL, NULL}};
  const char *pos[1];
  int npos, rc = cli_parse(cmd, argc, argv, opts, pos, 0, &npos);
  if (rc) return rc == CLI_HELP ? AR_OK : rc;
  if (!config) return cli_fail(cmd, AR_FAIL_INPUT, "--config is required");
  if (!out) return cli_fail(cmd, AR_FAIL_INPUT, "-o OUTPUT is required");
  uint64_t seed = 0;
  if (!seed_s) return cli_fail(cmd, AR_FAIL_INPUT, "--seed is required");
  if (cli_parse_u64(seed_s, &seed))
    return cli_fail(cmd, AR_FAIL_INPUT,
                    "--seed \"%s\" is not an unsigned 64-bit integer", seed_s);
  double bound = 1.0;
  if (bound_s && (cli_parse_double(bound_s, &bound) || !(bound > 0)))
    return cli_fail(cmd, AR_FAIL_INPUT,
                    "--bound \"%s\" is not a finite number > 0", bound_s);
  int64_t maxmem;
  if ((rc = cli_max_memory(cmd, maxmem_s, &maxmem))) return rc;
  ar_config c;
  if ((rc = cli_load_config(cmd, config, &c))) return rc;

  ar_error err;
  ar_error_clear(&err);
  ar_tensorset s;
  ar_tensorset_init(&s);
  if (ar_gen_case(&c, seed, bound, maxmem, &s, &err) ||
      ar_safetensors_write(out, &s, &err)) {
    ar_tensorset_free(&s);
    return cli_report(cmd, &err);
  }
  ar_tensorset_free(&s);
  return AR_OK;
}
