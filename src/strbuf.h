/* A growable string, written with printf formats (CSV and report text built
 * in memory, then written atomically). Zero-initialise; free(b.s) after. */
#ifndef ATTNREF_STRBUF_H
#define ATTNREF_STRBUF_H

#include <stddef.h>

typedef struct ar_strbuf {
  char *s;
  size_t len, cap;
  int oom; /* an allocation failed: later writes are dropped */
} ar_strbuf;

/* b <- b followed by the formatted text */
void ar_strbuf_printf(ar_strbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
