/* The audit's plot: normwise error vs layer, forward and backward, drawn by
 * an external gnuplot (gnuplot-nox has no X but has png/pngcairo). */
#include "audit.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* the first executable `name` in $PATH (or name itself if it has a '/') */
static const char *which(const char *name, char *buf, size_t n) {
  if (strchr(name, '/')) {
    if (access(name, X_OK) != 0) return NULL;
    snprintf(buf, n, "%s", name);
    return buf;
  }
  const char *path = getenv("PATH");
  if (!path) path = "/usr/bin:/bin";
  while (*path) {
    const char *colon = strchr(path, ':');
    size_t len = colon ? (size_t)(colon - path) : strlen(path);
    if (len > 0 && (size_t)snprintf(buf, n, "%.*s/%s", (int)len, path, name) < n &&
        access(buf, X_OK) == 0)
      return buf;
    path += len + (colon != NULL);
  }
  return NULL;
}

const char *ar_audit_find_gnuplot(char *buf, size_t n) {
  const char *env = getenv("ATTNREF_GNUPLOT");
  if (env) return *env ? which(env, buf, n) : NULL;
  return which("gnuplot", buf, n);
}

/* s as a gnuplot single-quoted string: ' doubled; 0 if s has a newline */
static int put_quoted(FILE *f, const char *s) {
  if (strpbrk(s, "\n\r")) return 0;
  fputc('\'', f);
  for (; *s; s++) {
    if (*s == '\'') fputc('\'', f);
    fputc(*s, f);
  }
  fputc('\'', f);
  return 1;
}

/* one datablock of (layer, error); values a log axis cannot show -> NaN */
static void put_block(FILE *f, const char *name, const ar_audit *a, int bwd,
                      int logy) {
  fprintf(f, "$%s << EOD\n", name);
  for (int64_t l = 0; l < a->layers; l++) {
    double v = bwd ? a->layer[l].bwd.normwise : a->layer[l].fwd.normwise;
    if (!isfinite(v) || (logy && v <= 0))
      fprintf(f, "%lld NaN\n", (long long)l);
    else
      fprintf(f, "%lld %.17g\n", (long long)l, v);
  }
  fprintf(f, "EOD\n");
}

static int write_script(FILE *f, const char *png, const ar_audit *a,
                        const char *title) {
  int logy = 0;
  for (int64_t l = 0; l < a->layers; l++) {
    double u = a->layer[l].fwd.normwise, v = a->layer[l].bwd.normwise;
    if ((isfinite(u) && u > 0) || (isfinite(v) && v > 0)) logy = 1;
  }
  fprintf(f, "if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {\n"
             "  set terminal pngcairo size 900,600 noenhanced\n"
             "} else {\n"
             "  set terminal png size 900,600 noenhanced\n"
             "}\nset output ");
  if (!put_quoted(f, png)) return 0;
  fprintf(f, "\nset title ");
  if (!put_quoted(f, title)) return 0;
  fprintf(f, "\nset xlabel 'layer l'\n"
             "set ylabel 'normwise error ||c-t||/||t||'\n"
             "set grid\nset key top left\n"
             "set xrange [-0.5:%lld.5]\n",
          (long long)(a->layers - 1));
  if (a->layers <= 20) fprintf(f, "set xtics 1\n");
  if (logy)
    fprintf(f, "set logscale y\nset format y '%%.0e'\n");
  else
    fprintf(f, "set yrange [-1:1]\n"); /* every error is 0 */
  put_block(f, "fwd", a, 0, logy);
  put_block(f, "bwd", a, 1, logy);
  fprintf(f, "plot $fwd using 1:2 with linespoints lw 2 pt 7 title "
             "'forward: act.layers.l', \\\n"
             "     $bwd using 1:2 with linespoints lw 2 pt 5 title "
             "'backward: grad.act.layers.l'\n"
             "unset output\n");
  return 1;
}

/* Runs gnuplot on script; its stderr's last line into msg. Returns its exit
 * status (or -1 when it could not run). */
static int run_gnuplot(const char *gnuplot, const char *script, char *msg,
                       size_t n) {
  int fds[2];
  msg[0] = '\0';
  if (pipe(fds) != 0) return -1;
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]), close(fds[1]);
    return -1;
  }
  if (pid == 0) {
    int nul = open("/dev/null", O_RDWR);
    if (nul >= 0) dup2(nul, STDIN_FILENO), dup2(nul, STDOUT_FILENO);
    dup2(fds[1], STDERR_FILENO);
    close(fds[0]), close(fds[1]);
    execl(gnuplot, gnuplot, script, (char *)NULL);
    _exit(127);
  }
  close(fds[1]);
  char buf[4096];
  size_t used = 0;
  ssize_t got;
  for (;;) {
    got = read(fds[0], buf + used, sizeof buf - 1 - used);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    used += (size_t)got;
    if (used == sizeof buf - 1) { /* keep the tail */
      memmove(buf, buf + used / 2, used - used / 2);
      used -= used / 2;
    }
  }
  close(fds[0]);
  buf[used] = '\0';
  while (used > 0 && (buf[used - 1] == '\n' || buf[used - 1] == ' '))
    buf[--used] = '\0';
  const char *last = strrchr(buf, '\n');
  snprintf(msg, n, "%.300s", last ? last + 1 : buf);
  int status;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int ar_audit_write_plot(const char *path, const ar_audit *a,
                        const char *gnuplot, const char *title,
                        ar_error *err) {
  if (strpbrk(path, "\n\r"))
    return ar_fail(err, AR_FAIL_INPUT, "--plot: a file name with a newline");
  struct stat st;
  if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
    return ar_fail(err, AR_FAIL_INPUT, "%s: exists and is not a regular file",
                   path);
  size_t plen = strlen(path);
  char *tmp = malloc(plen + 16);
  const char *dir = getenv("TMPDIR");
  char script[4096];
  snprintf(script, sizeof script, "%s/attnref-plot-XXXXXX",
           dir && *dir ? dir : "/tmp");
  if (!tmp) return ar_fail(err, AR_FAIL_INTERNAL, "audit: out of memory");
  snprintf(tmp, plen + 16, "%s.tmpXXXXXX", path);
  int fd = mkstemp(tmp);
  if (fd < 0) {
    int e = errno;
    free(tmp);
    return ar_fail(err, AR_FAIL_INPUT, "%s: cannot create: %s", path,
                   strerror(e));
  }
  mode_t um = umask(0);
  umask(um);
  if (fchmod(fd, 0666 & ~um) != 0) { /* as a plainly created file */
  }
  close(fd);
  int rc = AR_OK;
  int sfd = mkstemp(script);
  FILE *f = sfd >= 0 ? fdopen(sfd, "w") : NULL;
  if (!f) {
    if (sfd >= 0) close(sfd), unlink(script);
    rc = ar_fail(err, AR_FAIL_INPUT, "%s: cannot create the gnuplot script",
                 script);
    goto done;
  }
  int ok = write_script(f, tmp, a, title);
  if (fclose(f) != 0 || !ok) {
    unlink(script);
    rc = ar_fail(err, AR_FAIL_INPUT, "%s: cannot write the gnuplot script%s",
                 script, ok ? "" : " (a title with a newline)");
    goto done;
  }
  char msg[512];
  int status = run_gnuplot(gnuplot, script, msg, sizeof msg);
  unlink(script);
  if (status != 0 || stat(tmp, &st) != 0 || st.st_size == 0) {
    rc = ar_fail(err, AR_FAIL_INPUT, "%s: gnuplot (%.200s) failed (status %d)%s%s",
                 path, gnuplot, status, msg[0] ? ": " : "", msg);
    goto done;
  }
  int pfd = open(tmp, O_RDONLY); /* on disk before it takes the name */
  if (pfd >= 0) fsync(pfd), close(pfd);
  if (rename(tmp, path) != 0) {
    rc = ar_fail(err, AR_FAIL_INPUT, "%s: cannot rename %s over it: %s", path,
                 tmp, strerror(errno));
    goto done;
  }
  free(tmp);
  return AR_OK;
done:
  unlink(tmp);
  free(tmp);
  return rc;
}
