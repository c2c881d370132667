/* One error report shared by every module: a code (the process exit code the
 * CLI will use) and one line of text naming the file and the tensor at fault. */
#ifndef ATTNREF_ERROR_H
#define ATTNREF_ERROR_H

#include <stdarg.h>

enum {
  AR_OK = 0,
  AR_FAIL_CHECK = 1, /* a comparison found tensors out of tolerance */
  AR_FAIL_INPUT = 2, /* usage error, malformed/absurd input, I/O error */
  AR_FAIL_INTERNAL = 3 /* out of memory or a bug: never expected */
};

typedef struct ar_error {
  int code;       /* AR_OK when nothing went wrong */
  char msg[1024]; /* "FILE: tensor NAME: what is wrong" */
} ar_error;

/* err <- (code, printf(fmt, ...)); returns code so callers can `return ar_fail(...)`.
 * The first failure wins: a later call does not overwrite an earlier message. */
int ar_fail(ar_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int ar_vfail(ar_error *err, int code, const char *fmt, va_list ap);
void ar_error_clear(ar_error *err);

/* Checked size arithmetic: *out <- a*b (a+b); returns 0 on overflow of int64. */
#include <stdint.h>
int ar_mul_ok(int64_t a, int64_t b, int64_t *out);
int ar_add_ok(int64_t a, int64_t b, int64_t *out);

#endif
