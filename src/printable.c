#include "printable.h"

#include <string.h>

const char *ar_printable(const char *s, char *buf, size_t n) {
  if (n == 0) return buf;
  size_t len = strlen(s), i;
  for (i = 0; i < len && i + 1 < n; i++) {
    unsigned char ch = (unsigned char)s[i];
    buf[i] = (ch < 0x20 || ch == 0x7f) ? '?' : (char)ch;
  }
  buf[i] = '\0';
  if (i < len && n >= 4) memcpy(buf + n - 4, "...", 4);
  return buf;
}
