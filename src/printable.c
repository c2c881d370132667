#include "printable.h"

#include <stdio.h>
#include <string.h>

const char *ar_printable(const char *s, char *buf, size_t n) {
  if (n == 0) return buf;
  size_t len = strlen(s), i, at = 0;
  for (i = 0; i < len; i++) {
    unsigned char ch = (unsigned char)s[i];
    int control = ch < 0x20 || ch == 0x7f;
    size_t need = control ? 4 : 1;
    if (at + need + 1 > n) break;
    if (control)
      snprintf(buf + at, 5, "\\x%02x", ch);
    else
      buf[at] = (char)ch;
    at += need;
  }
  buf[at] = '\0';
  if (i < len && n >= 4) memcpy(buf + (at + 4 <= n ? at : n - 4), "...", 4);
  return buf;
}
