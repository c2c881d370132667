/* Shared pieces of the `attnref` subcommands: option parsing, error lines,
 * sizes, timing. Every error is one line "attnref <cmd>: <message>". */
#ifndef ATTNREF_CLI_H
#define ATTNREF_CLI_H

#include <stdint.h>

#include "config.h"
#include "error.h"

typedef struct cli_cmd {
  const char *name;    /* "gen", "bench ref", ... */
  const char *summary; /* one line for `attnref --help` */
  const char *help;    /* full text for `attnref help CMD` */
  int (*main)(const struct cli_cmd *cmd, int argc, char **argv);
} cli_cmd;

/* One option: "--name VALUE" / "--name=VALUE" stores VALUE in *value; a flag
 * ("--name") sets *flag = 1. */
typedef struct cli_opt {
  const char *name;
  const char **value;
  int *flag;
} cli_opt;

#define CLI_HELP (-1) /* cli_parse printed the help: exit 0 */

/* Parses argv[0..argc) against opts (terminated by a NULL name); at most
 * maxpos positionals go to pos[]. Returns AR_OK, CLI_HELP, or AR_FAIL_INPUT
 * after printing the error line. */
int cli_parse(const cli_cmd *cmd, int argc, char **argv, const cli_opt *opts,
              const char **pos, int maxpos, int *npos);

/* Prints "attnref <cmd>: <message>" on stderr; returns code. */
int cli_fail(const cli_cmd *cmd, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Prints err as above; returns its code (AR_FAIL_INTERNAL if unset). */
int cli_report(const cli_cmd *cmd, const ar_error *err);

/* "8G", "512M", "64K", "1000": bytes (binary suffixes, optional trailing
 * "B"/"iB"); 0 on success, -1 on bad syntax or overflow. */
int cli_parse_size(const char *s, int64_t *out);
/* Whole decimal integers in [lo, hi]; 0 on success. */
int cli_parse_int(const char *s, int64_t lo, int64_t hi, int64_t *out);
int cli_parse_u64(const char *s, uint64_t *out);
/* A finite double; 0 on success. */
int cli_parse_double(const char *s, double *out);

/* Reads a whole text file (at most max_len bytes) into a malloc'd string. */
int cli_read_text(const char *path, size_t max_len, char **out, ar_error *err);

/* Seconds on a monotonic clock. */
double cli_now(void);

/* c <- the --config argument: JSON text when it starts with '{', else a
 * file holding it; parsed and validated. Prints the error line itself. */
int cli_load_config(const cli_cmd *cmd, const char *arg, ar_config *c);

/* The "--max-memory" value or the 8G default. */
int cli_max_memory(const cli_cmd *cmd, const char *arg, int64_t *out);

int cmd_gen(const cli_cmd *cmd, int argc, char **argv);
int cmd_ref(const cli_cmd *cmd, int argc, char **argv);
int cmd_run(const cli_cmd *cmd, int argc, char **argv);
int cmd_check(const cli_cmd *cmd, int argc, char **argv);
int cmd_bench(const cli_cmd *cmd, int argc, char **argv);
int cmd_demo(const cli_cmd *cmd, int argc, char **argv);
int cmd_audit(const cli_cmd *cmd, int argc, char **argv);
int cmd_bench_fast(const cli_cmd *cmd, int argc, char **argv);
int cmd_bounds(const cli_cmd *cmd, int argc, char **argv);

#endif
