/* Outputs appear whole or not at all: written to a temporary file beside the
 * target (PATH.tmp.XXXXXX), synced, then renamed over it. A folder or device
 * at PATH is refused, and a failed write leaves neither temp file nor target
 * change behind. */
#ifndef ATTNREF_ATOMIC_FILE_H
#define ATTNREF_ATOMIC_FILE_H

#include <stddef.h>
#include <stdio.h>

#include "error.h"

/* Writes path atomically with write_body(f, ctx) (returns nonzero on success)
 * supplying the bytes. Errors: AR_FAIL_INPUT "PATH: ...". */
int ar_atomic_write(const char *path, int (*write_body)(FILE *f, void *ctx),
                    void *ctx, ar_error *err);

/* Writes len bytes of data to path atomically. */
int ar_write_file_atomic(const char *path, const char *data, size_t len,
                         ar_error *err);

#endif
