/* Option parsing and the small value parsers every subcommand uses. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "config.h"

int cli_fail(const cli_cmd *cmd, int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "attnref %s: ", cmd->name);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  return code;
}

int cli_report(const cli_cmd *cmd, const ar_error *err) {
  int code = err->code ? err->code : AR_FAIL_INTERNAL;
  if (code == AR_FAIL_CHECK) code = AR_FAIL_INTERNAL; /* not an error code here */
  return cli_fail(cmd, code, "%s", err->msg[0] ? err->msg : "unknown error");
}

int cli_parse(const cli_cmd *cmd, int argc, char **argv, const cli_opt *opts,
              const char **pos, int maxpos, int *npos) {
  *npos = 0;
  int only_pos = 0;
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i];
    if (only_pos || a[0] != '-' || strcmp(a, "-") == 0) {
      if (*npos >= maxpos)
        return cli_fail(cmd, AR_FAIL_INPUT,
                        "unexpected argument \"%s\" (see attnref help %s)", a,
                        cmd->name);
      pos[(*npos)++] = a;
      continue;
    }
    if (strcmp(a, "--") == 0) {
      only_pos = 1;
      continue;
    }
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      fputs(cmd->help, stdout);
      return CLI_HELP;
    }
    const char *eq = strchr(a, '=');
    size_t len = eq ? (size_t)(eq - a) : strlen(a);
    const cli_opt *o = opts;
    for (; o->name; o++)
      if (strlen(o->name) == len && strncmp(o->name, a, len) == 0) break;
    if (!o->name)
      return cli_fail(cmd, AR_FAIL_INPUT,
                      "unknown option \"%.*s\" (see attnref help %s)",
                      (int)len, a, cmd->name);
    if (o->flag) {
      if (eq)
        return cli_fail(cmd, AR_FAIL_INPUT, "option %s takes no value",
                        o->name);
      *o->flag = 1;
    } else if (eq) {
      *o->value = eq + 1;
    } else {
      if (i + 1 >= argc)
        return cli_fail(cmd, AR_FAIL_INPUT, "option %s needs a value",
                        o->name);
      *o->value = argv[++i];
    }
  }
  return AR_OK;
}

int cli_parse_size(const char *s, int64_t *out) {
  if (!s || !isdigit((unsigned char)s[0])) return -1;
  errno = 0;
  char *end;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno) return -1;
  int shift = 0;
  switch (toupper((unsigned char)*end)) {
  case 'K': shift = 10; end++; break;
  case 'M': shift = 20; end++; break;
  case 'G': shift = 30; end++; break;
  case 'T': shift = 40; end++; break;
  default: break;
  }
  if (shift && toupper((unsigned char)*end) == 'I') end++;
  if (toupper((unsigned char)*end) == 'B') end++;
  if (*end) return -1;
  if (v > (unsigned long long)INT64_MAX >> shift) return -1;
  *out = (int64_t)(v << shift);
  return 0;
}

int cli_parse_int(const char *s, int64_t lo, int64_t hi, int64_t *out) {
  if (!s || !*s) return -1;
  errno = 0;
  char *end;
  long long v = strtoll(s, &end, 10);
  if (errno || *end || v < lo || v > hi) return -1;
  *out = v;
  return 0;
}

int cli_parse_u64(const char *s, uint64_t *out) {
  if (!s || !isdigit((unsigned char)s[0])) return -1;
  errno = 0;
  char *end;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || *end) return -1;
  *out = v;
  return 0;
}

int cli_parse_double(const char *s, double *out) {
  if (!s || !*s) return -1;
  errno = 0;
  char *end;
  double v = strtod(s, &end);
  if (errno || *end || !isfinite(v)) return -1;
  *out = v;
  return 0;
}

int cli_read_text(const char *path, size_t max_len, char **out, ar_error *err) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return ar_fail(err, AR_FAIL_INPUT, "%s: cannot open: %s", path,
                   strerror(errno));
  char *buf = malloc(max_len + 1);
  if (!buf) {
    fclose(f);
    return ar_fail(err, AR_FAIL_INTERNAL, "%s: out of memory", path);
  }
  size_t n = fread(buf, 1, max_len + 1, f);
  int bad = ferror(f);
  fclose(f);
  if (bad || n > max_len) {
    free(buf);
    if (bad) return ar_fail(err, AR_FAIL_INPUT, "%s: read error", path);
    return ar_fail(err, AR_FAIL_INPUT, "%s: larger than %zu bytes", path,
                   max_len);
  }
  buf[n] = '\0';
  if (strlen(buf) != n) {
    free(buf);
    return ar_fail(err, AR_FAIL_INPUT, "%s: not a text file (NUL byte)",
                   path);
  }
  *out = buf;
  return AR_OK;
}

double cli_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int cli_max_memory(const cli_cmd *cmd, const char *arg, int64_t *out) {
  *out = (int64_t)8 << 30;
  if (arg && cli_parse_size(arg, out))
    return cli_fail(cmd, AR_FAIL_INPUT,
                    "--max-memory \"%s\" is not a size (e.g. 8G, 512M)", arg);
  return AR_OK;
}

int cli_load_config(const cli_cmd *cmd, const char *arg, ar_config *c) {
  ar_error err;
  ar_error_clear(&err);
  const char *p = arg;
  while (*p == ' ' || *p == '\t' || *p == '\n') p++;
  char *text = NULL;
  if (*p != '{' && cli_read_text(arg, 1 << 20, &text, &err))
    return cli_report(cmd, &err);
  int rc = ar_config_parse(text ? text : arg, text ? arg : "--config", c, &err);
  free(text);
  return rc ? cli_report(cmd, &err) : AR_OK;
}
