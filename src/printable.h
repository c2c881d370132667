/* Names taken from files (tensor names, metadata and config keys) go into
 * one-line error messages; a hostile name must not break that line. */
#ifndef ATTNREF_PRINTABLE_H
#define ATTNREF_PRINTABLE_H

#include <stddef.h>

/* buf <- s with control bytes shown as \xNN, cut to fit n (ending "...");
 * returns buf. */
const char *ar_printable(const char *s, char *buf, size_t n);

#endif
