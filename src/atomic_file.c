#include "atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Best effort: make the rename itself durable. */
static void sync_dir(const char *path) {
  char *copy = strdup(path);
  if (!copy) return;
  int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY);
  if (fd >= 0) {
    fsync(fd);
    close(fd);
  }
  free(copy);
}

int ar_atomic_write(const char *path, int (*write_body)(FILE *f, void *ctx),
                    void *ctx, ar_error *err) {
  struct stat st; /* a folder or device there is a mistake, not a target */
  if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
    return ar_fail(err, AR_FAIL_INPUT,
                   "%s: exists and is not a regular file; not overwritten",
                   path);
  char *tmp = malloc(strlen(path) + 16);
  if (!tmp) return ar_fail(err, AR_FAIL_INTERNAL, "%s: out of memory", path);
  sprintf(tmp, "%s.tmp.XXXXXX", path);
  int fd = mkstemp(tmp);
  if (fd < 0) {
    int rc = ar_fail(err, AR_FAIL_INPUT, "%s: cannot create a temporary file: %s",
                     path, strerror(errno));
    free(tmp);
    return rc;
  }
  mode_t mask = umask(0);
  umask(mask);
  fchmod(fd, 0666 & ~mask); /* mkstemp made it 0600 */
  FILE *f = fdopen(fd, "wb");
  errno = 0;
  int ok = f && write_body(f, ctx) && fflush(f) == 0 && fsync(fileno(f)) == 0;
  int saved = errno ? errno : EIO;
  if ((f ? fclose(f) : close(fd)) != 0 && ok) ok = 0, saved = errno;
  if (ok && rename(tmp, path) != 0) ok = 0, saved = errno;
  int rc = AR_OK;
  if (!ok) {
    unlink(tmp);
    rc = ar_fail(err, AR_FAIL_INPUT, "%s: write failed: %s", path,
                 strerror(saved));
  } else {
    sync_dir(path);
  }
  free(tmp);
  return rc;
}

typedef struct bytes {
  const char *data;
  size_t len;
} bytes;

static int write_bytes(FILE *f, void *ctx) {
  const bytes *b = ctx;
  return fwrite(b->data, 1, b->len, f) == b->len;
}

int ar_write_file_atomic(const char *path, const char *data, size_t len,
                         ar_error *err) {
  bytes b = {data, len};
  return ar_atomic_write(path, write_bytes, &b, err);
}
