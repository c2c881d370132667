/* Outputs appear whole or not at all: a write that cannot complete (missing
 * folder, target is a folder, file size limit hit mid-write) fails with code 2
 * and leaves the old file as it was and no temporary file behind; a write over
 * an existing file replaces it whole. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "src/safetensors.h"
#include "testutil.h"

/* A set of one F64 tensor of n elements, all equal to v. */
static void make_set(ar_tensorset *s, int64_t n, double v) {
  ar_error err = {0};
  ar_tensorset_init(s);
  ar_tensor *t = ar_tensorset_add_vector(s, "v", n, &err);
  for (int64_t i = 0; t && i < n; i++) t->data[i] = v;
  ar_tensorset_set_meta(s, "what", v == 1.0 ? "first" : "second", &err);
}

/* path holds the set made by make_set(n, v). */
static void expect_file(const char *path, int64_t n, double v, const char *when) {
  ar_tensorset s;
  ar_error err = {0};
  ar_tensorset_init(&s);
  int rc = ar_safetensors_read(path, &s, 0, &err);
  CHECK(rc == 0, "%s: %s", when, err.msg);
  ar_tensor *t = ar_tensorset_find(&s, "v");
  int ok = t && t->numel == n;
  for (int64_t i = 0; ok && i < n; i++) ok = t->data[i] == v;
  CHECK(ok, "%s: %s does not hold the expected data", when, path);
  ar_tensorset_free(&s);
}

static void expect_no_temporaries(const char *dir, const char *when) {
  CHECK(t_count_entries(dir, ".tmp.") == 0, "%s: temporary file left in %s",
        when, dir);
}

int main(void) {
  const char *dir = t_tmpdir();
  char path[1024], missing[1024];
  ar_tensorset a, b, big;
  ar_error err = {0};
  make_set(&a, 10, 1.0);
  make_set(&b, 1000, 2.0);

  /* A folder that does not exist: code 2, the path named, nothing created. */
  snprintf(missing, sizeof missing, "%s/no/such/dir/out.safetensors", dir);
  int rc = ar_safetensors_write(missing, &a, &err);
  CHECK(rc == AR_FAIL_INPUT && strstr(err.msg, missing), "missing dir: %d %s",
        rc, err.msg);
  CHECK(t_count_entries(dir, NULL) == 0, "missing dir: something was created");

  /* A new file, then a bigger one over it, then a smaller one over that. */
  snprintf(path, sizeof path, "%s/out.safetensors", dir);
  ar_error_clear(&err);
  CHECK(ar_safetensors_write(path, &a, &err) == 0, "first write: %s", err.msg);
  expect_file(path, 10, 1.0, "first write");
  CHECK(ar_safetensors_write(path, &b, &err) == 0, "overwrite: %s", err.msg);
  expect_file(path, 1000, 2.0, "overwrite with a bigger file");
  CHECK(ar_safetensors_write(path, &a, &err) == 0, "overwrite: %s", err.msg);
  expect_file(path, 10, 1.0, "overwrite with a smaller file");
  CHECK(t_count_entries(dir, NULL) == 1, "only the output is in %s", dir);

  /* Permissions follow the umask, as for any newly created file. */
  struct stat st;
  mode_t mask = umask(022);
  umask(mask);
  CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == (0666 & ~mask),
        "mode %o, umask %o", (unsigned)(st.st_mode & 0777), (unsigned)mask);

  /* The target is a folder: refused, the folder is untouched. */
  char sub[1024];
  snprintf(sub, sizeof sub, "%s/a-folder", dir);
  mkdir(sub, 0777);
  ar_error_clear(&err);
  rc = ar_safetensors_write(sub, &a, &err);
  CHECK(rc == AR_FAIL_INPUT && strstr(err.msg, sub), "folder target: %d %s", rc,
        err.msg);
  CHECK(stat(sub, &st) == 0 && S_ISDIR(st.st_mode), "folder target replaced");
  expect_no_temporaries(dir, "folder target");

  /* The disk fills mid-write (here: the file size limit, which works as root
   * too): the old file stays whole, the temporary file is removed. */
  make_set(&big, 1 << 20, 3.0); /* 8 MiB of data */
  struct rlimit old, lim;
  getrlimit(RLIMIT_FSIZE, &old);
  lim = old;
  lim.rlim_cur = 1 << 20;
  signal(SIGXFSZ, SIG_IGN); /* get EFBIG instead of being killed */
  CHECK(setrlimit(RLIMIT_FSIZE, &lim) == 0, "setrlimit: %s", strerror(errno));
  ar_error_clear(&err);
  rc = ar_safetensors_write(path, &big, &err);
  setrlimit(RLIMIT_FSIZE, &old);
  CHECK(rc == AR_FAIL_INPUT && strstr(err.msg, path), "size limit: %d %s", rc,
        err.msg);
  expect_file(path, 10, 1.0, "after a failed overwrite");
  expect_no_temporaries(dir, "failed overwrite");

  ar_tensorset_free(&a);
  ar_tensorset_free(&b);
  ar_tensorset_free(&big);
  t_rmtree(dir);
  return t_done("t-atomic-write");
}
