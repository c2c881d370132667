/* attnref check: grade a candidate's results against the truth. */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "cli.h"
#include "safetensors.h"

int cmd_check(const cli_cmd *cmd, int argc, char **argv) {
  const char *truth_p = NULL, *cand_p = NULL, *profile_s = "fp64",
             *json_p = NULL, *junit_p = NULL, *maxmem_s = NULL;
  const cli_opt opts[] = {{"--truth", &truth_p, NULL},
                          {"--candidate", &cand_p, NULL},
                          {"--profile", &profile_s, NULL},
                          {"--json", &json_p, NULL},
                          {"--junit", &junit_p, NULL},
                          {"--max-memory", &maxmem_s, NULL},
                          {NULL, NULL, NULL}};
  const char *pos[1];
  int npos, rc = cli_parse(cmd, argc, argv, opts, pos, 0, &npos);
  if (rc) return rc == CLI_HELP ? AR_OK : rc;
  if (!truth_p) return cli_fail(cmd, AR_FAIL_INPUT, "--truth FILE is required");
  if (!cand_p)
    return cli_fail(cmd, AR_FAIL_INPUT, "--candidate FILE is required");
  const ar_check_profile *profile = ar_check_profile_find(profile_s);
  if (!profile)
    return cli_fail(cmd, AR_FAIL_INPUT,
                    "unknown profile \"%s\" (known: fp64, fp32, tf32, fp16, "
                    "bf16)",
                    profile_s);
  int64_t maxmem;
  if ((rc = cli_max_memory(cmd, maxmem_s, &maxmem))) return rc;

  ar_error err;
  ar_error_clear(&err);
  ar_tensorset truth, cand;
  ar_tensorset_init(&truth);
  ar_tensorset_init(&cand);
  ar_check_result r;
  memset(&r, 0, sizeof r);
  /* NaN/Inf in a candidate is a verdict (failure), not an input error */
  if (ar_safetensors_read(truth_p, &truth, maxmem, &err) ||
      ar_safetensors_read_lenient(cand_p, &cand, maxmem, &err) ||
      ar_check_compare(&truth, &cand, profile, &r, &err))
    goto fail;
  if (r.count == 0) {
    ar_fail(&err, AR_FAIL_INPUT, "%s: no tensors to compare", truth_p);
    goto fail;
  }
  ar_check_print(stdout, &r);
  fflush(stdout);
  if (json_p && ar_check_write_json(json_p, &r, truth_p, cand_p, &err))
    goto fail;
  if (junit_p && ar_check_write_junit(junit_p, &r, truth_p, cand_p, &err))
    goto fail;
  rc = ar_check_all_pass(&r) ? AR_OK : AR_FAIL_CHECK;
  ar_check_result_free(&r);
  ar_tensorset_free(&truth);
  ar_tensorset_free(&cand);
  return rc;
fail:
  rc = cli_report(cmd, &err);
  ar_check_result_free(&r);
  ar_tensorset_free(&truth);
  ar_tensorset_free(&cand);
  return rc;
}
