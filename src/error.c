#include "error.h"

#include <stdio.h>
#include <string.h>

int ar_vfail(ar_error *err, int code, const char *fmt, va_list ap) {
  if (err && err->code == AR_OK) {
    err->code = code;
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
  }
  return code;
}

int ar_fail(ar_error *err, int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  ar_vfail(err, code, fmt, ap);
  va_end(ap);
  return code;
}

void ar_error_clear(ar_error *err) {
  err->code = AR_OK;
  err->msg[0] = '\0';
}

int ar_mul_ok(int64_t a, int64_t b, int64_t *out) {
  int64_t r;
  if (a < 0 || b < 0 || __builtin_mul_overflow(a, b, &r)) return 0;
  *out = r;
  return 1;
}

int ar_add_ok(int64_t a, int64_t b, int64_t *out) {
  int64_t r;
  if (a < 0 || b < 0 || __builtin_add_overflow(a, b, &r)) return 0;
  *out = r;
  return 1;
}
