/* attnref audit: how a candidate's error grows through the layers, forward
 * (act.layers.l) and backward (grad.act.layers.l), against the truth. */
#include <stdio.h>
#include <string.h>

#include "audit.h"
#include "cli.h"
#include "safetensors.h"

static const char *base(const char *p) {
  const char *s = strrchr(p, '/');
  return s ? s + 1 : p;
}

int cmd_audit(const cli_cmd *cmd, int argc, char **argv) {
  const char *truth_p = NULL, *cand_p = NULL, *plot_p = NULL, *csv_p = NULL,
             *json_p = NULL, *maxmem_s = NULL;
  const cli_opt opts[] = {{"--truth", &truth_p, NULL},
                          {"--candidate", &cand_p, NULL},
                          {"--plot", &plot_p, NULL},
                          {"--csv", &csv_p, NULL},
                          {"--json", &json_p, NULL},
                          {"--max-memory", &maxmem_s, NULL},
                          {NULL, NULL, NULL}};
  int npos, rc = cli_parse(cmd, argc, argv, opts, NULL, 0, &npos);
  if (rc) return rc == CLI_HELP ? AR_OK : rc;
  if (!truth_p) return cli_fail(cmd, AR_FAIL_INPUT, "--truth FILE is required");
  if (!cand_p)
    return cli_fail(cmd, AR_FAIL_INPUT, "--candidate FILE is required");
  int64_t maxmem;
  if ((rc = cli_max_memory(cmd, maxmem_s, &maxmem))) return rc;

  ar_error err;
  ar_error_clear(&err);
  ar_tensorset truth, cand;
  ar_tensorset_init(&truth);
  ar_tensorset_init(&cand);
  ar_audit a;
  memset(&a, 0, sizeof a);
  /* a NaN in the candidate is an (infinite) error to report, not bad input */
  if (ar_safetensors_read(truth_p, &truth, maxmem, &err) ||
      ar_safetensors_read_lenient(cand_p, &cand, maxmem, &err) ||
      ar_audit_compute(&truth, &cand, truth_p, cand_p, &a, &err))
    goto fail;
  printf("audit: %s against the truth %s, %lld layer%s\n", cand_p, truth_p,
         (long long)a.layers, a.layers == 1 ? "" : "s");
  ar_audit_print(stdout, &a);
  fflush(stdout);
  if (csv_p && ar_audit_write_csv(csv_p, &a, &err)) goto fail;
  if (json_p && ar_audit_write_json(json_p, &a, truth_p, cand_p, &err))
    goto fail;
  if (plot_p) {
    char gp[4096];
    if (!ar_audit_find_gnuplot(gp, sizeof gp)) {
      fprintf(stderr,
              "attnref audit: gnuplot not found (install gnuplot-nox); no "
              "plot written, the table above is complete\n");
    } else {
      char title[512];
      snprintf(title, sizeof title, "error vs layer: %s against %s",
               base(cand_p), base(truth_p));
      for (char *p = title; *p; p++)
        if (*p == '\n' || *p == '\r') *p = ' ';
      if (ar_audit_write_plot(plot_p, &a, gp, title, &err)) goto fail;
    }
  }
  ar_audit_free(&a);
  ar_tensorset_free(&truth);
  ar_tensorset_free(&cand);
  return AR_OK;
fail:
  rc = cli_report(cmd, &err);
  ar_audit_free(&a);
  ar_tensorset_free(&truth);
  ar_tensorset_free(&cand);
  return rc;
}
