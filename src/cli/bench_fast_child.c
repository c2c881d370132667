/* The children of `attnref bench fast`: each measurement forks, runs, sends
 * its result back through a pipe, and is reaped with wait4 for its own peak
 * memory. A child that outlives its time limit is killed by SIGALRM. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_fast.h"
#include "case.h"
#include "cli.h"
#include "gen.h"
#include "safetensors.h"

typedef struct child_header {
  int rc;
  char msg[256];
} child_header;

static int write_all(int fd, const void *p, size_t n) {
  const char *c = p;
  while (n > 0) {
    ssize_t w = write(fd, c, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    c += w, n -= (size_t)w;
  }
  return 0;
}

/* bytes read until EOF or n */
static size_t read_all(int fd, void *p, size_t n) {
  char *c = p;
  size_t got = 0;
  while (got < n) {
    ssize_t r = read(fd, c + got, n - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    got += (size_t)r;
  }
  return got;
}

/* o <- the end of child pid, from its wait status and resource usage */
static void reap(pid_t pid, bf_outcome *o) {
  int status = 0;
  struct rusage ru;
  memset(&ru, 0, sizeof ru);
  while (wait4(pid, &status, 0, &ru) < 0) {
    if (errno != EINTR) {
      o->status = BF_FAILED;
      snprintf(o->msg, sizeof o->msg, "wait4: %s", strerror(errno));
      return;
    }
  }
  o->maxrss_mb = (double)ru.ru_maxrss / 1024.0; /* Linux: KiB */
  if (WIFSIGNALED(status)) {
    int sig = WTERMSIG(status);
    o->status = sig == SIGALRM ? BF_TIMEOUT : BF_FAILED;
    if (sig != SIGALRM)
      snprintf(o->msg, sizeof o->msg, "killed by signal %d%s", sig,
               sig == SIGKILL ? " (out of memory?)" : "");
  } else if (WIFEXITED(status) && WEXITSTATUS(status) != 0 &&
             o->status == BF_OK) {
    o->status = BF_FAILED;
    snprintf(o->msg, sizeof o->msg, "exit status %d", WEXITSTATUS(status));
  }
}

void bf_in_child(bf_job job, void *arg, void *result, size_t size,
                 double limit_s, bf_outcome *o) {
  memset(o, 0, sizeof *o);
  int fds[2];
  if (pipe(fds) != 0) {
    o->status = BF_FAILED;
    snprintf(o->msg, sizeof o->msg, "pipe: %s", strerror(errno));
    return;
  }
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0) {
    o->status = BF_FAILED;
    snprintf(o->msg, sizeof o->msg, "fork: %s", strerror(errno));
    close(fds[0]), close(fds[1]);
    return;
  }
  if (pid == 0) {
    close(fds[0]);
    if (limit_s > 0) alarm((unsigned)ceil(limit_s));
    child_header h;
    memset(&h, 0, sizeof h);
    void *res = calloc(1, size ? size : 1);
    if (!res) {
      h.rc = 1;
      snprintf(h.msg, sizeof h.msg, "out of memory");
    } else {
      h.rc = job(arg, res, size, h.msg, sizeof h.msg);
    }
    int bad = write_all(fds[1], &h, sizeof h) ||
              (res && write_all(fds[1], res, size));
    _exit(bad ? 3 : 0);
  }
  close(fds[1]);
  child_header h;
  memset(&h, 0, sizeof h);
  size_t got = read_all(fds[0], &h, sizeof h);
  int whole = got == sizeof h && read_all(fds[0], result, size) == size;
  close(fds[0]);
  reap(pid, o);
  if (o->status != BF_OK) return;
  if (!whole) {
    o->status = BF_FAILED;
    snprintf(o->msg, sizeof o->msg, "the child sent no result");
  } else if (h.rc != 0) {
    o->status = BF_FAILED;
    h.msg[sizeof h.msg - 1] = '\0';
    snprintf(o->msg, sizeof o->msg, "%s", h.msg);
  }
}

int bf_nothing(void *arg, void *result, size_t size, char *msg, size_t msgn) {
  return 0;
}

/* in <- the case (seed 1, entries in [-bound, bound]), bound into c */
static int make_case(const ar_config *cfg, double bound, ar_tensorset *in,
                     ar_case *c, ar_error *err) {
  ar_tensorset_init(in);
  int rc = ar_gen_case(cfg, 1, bound, 0, in, err);
  if (rc == AR_OK) rc = ar_case_bind(in, "bench case", c, err);
  return rc;
}

/* out_file <- the named tensors of r */
static int write_subset(const ar_tensorset *r, const char *const *names,
                        int count, const char *file, ar_error *err) {
  ar_tensorset s;
  ar_tensorset_init(&s);
  int rc = AR_OK;
  for (int i = 0; i < count && rc == AR_OK; i++) {
    const ar_tensor *t = ar_tensorset_find(r, names[i]);
    if (!t || !t->data) {
      rc = ar_fail(err, AR_FAIL_INTERNAL, "result has no %s", names[i]);
      break;
    }
    ar_tensor *d = ar_tensorset_add(&s, t->name, t->dtype, t->ndim, t->shape, err);
    if (!d)
      rc = err->code ? err->code : AR_FAIL_INTERNAL;
    else
      memcpy(d->data, t->data, (size_t)t->numel * sizeof *t->data);
  }
  if (rc == AR_OK) rc = ar_safetensors_write(file, &s, err);
  ar_tensorset_free(&s);
  return rc;
}

int bf_run_path(void *arg, void *result, size_t size, char *msg, size_t msgn) {
  const bf_path_job *j = arg;
  bf_path_result *res = result;
  /* the approx path reports R, eps and its bound on stderr at every run:
   * not wanted 60 times over; failures come back through msg */
  int nul = open("/dev/null", O_WRONLY);
  if (nul >= 0) dup2(nul, STDERR_FILENO), close(nul);
  ar_error err;
  ar_error_clear(&err);
  ar_tensorset in, out;
  ar_case c;
  ar_tensorset_init(&out);
  int rc = make_case(j->cfg, j->bound, &in, &c, &err);
  if (rc) {
    snprintf(msg, msgn, "%s", err.msg);
    ar_tensorset_free(&in);
    return rc;
  }
  ar_path_options o;
  ar_path_options_defaults(&o);
  o.degree = j->degree;
  o.threads = j->threads;
  o.max_memory = 0; /* the sweep checks memory itself */
  double best = -1, total = 0;
  int reps = 0;
  while (rc == AR_OK && reps < (j->max_reps > 0 ? j->max_reps : 1) &&
         (reps == 0 || total < j->min_total_s)) {
    ar_tensorset_free(&out);
    ar_tensorset_init(&out);
    double t0 = cli_now();
    rc = ar_path_run(j->path, &c, &o, &out, &err);
    double t = cli_now() - t0;
    total += t;
    reps++;
    if (best < 0 || t < best) best = t;
  }
  if (rc == AR_OK && j->out_file) {
    char act[64];
    snprintf(act, sizeof act, "act.layers.%lld", (long long)(j->cfg->layers - 1));
    const char *names[] = {act, "grad.x"};
    rc = write_subset(&out, names, 2, j->out_file, &err);
  }
  if (rc) snprintf(msg, msgn, "%s", err.msg);
  res->seconds = best;
  res->reps = reps;
  ar_tensorset_free(&out);
  ar_case_release(&c);
  ar_tensorset_free(&in);
  return rc;
}

int bf_gen(void *arg, void *result, size_t size, char *msg, size_t msgn) {
  const bf_gen_job *j = arg;
  ar_error err;
  ar_error_clear(&err);
  ar_tensorset in;
  ar_tensorset_init(&in);
  int rc = ar_gen_case(j->cfg, 1, j->bound, 0, &in, &err);
  if (rc == AR_OK) rc = ar_safetensors_write(j->file, &in, &err);
  if (rc) snprintf(msg, msgn, "%s", err.msg);
  ar_tensorset_free(&in);
  return rc;
}

void bf_run_torch(const char *python, const char *script, const char *case_file,
                  int threads, double limit_s, double *seconds,
                  bf_outcome *o) {
  memset(o, 0, sizeof *o);
  *seconds = -1;
  if (access(python, X_OK) != 0 || access(script, R_OK) != 0) {
    o->status = BF_FAILED;
    snprintf(o->msg, sizeof o->msg, "%s or %s not found", python, script);
    return;
  }
  int fds[2];
  if (pipe(fds) != 0) {
    o->status = BF_FAILED;
    snprintf(o->msg, sizeof o->msg, "pipe: %s", strerror(errno));
    return;
  }
  char th[32];
  snprintf(th, sizeof th, "%d", threads);
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0) {
    o->status = BF_FAILED;
    snprintf(o->msg, sizeof o->msg, "fork: %s", strerror(errno));
    close(fds[0]), close(fds[1]);
    return;
  }
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    dup2(fds[1], STDERR_FILENO);
    close(fds[0]), close(fds[1]);
    if (limit_s > 0) alarm((unsigned)ceil(limit_s)); /* kept across exec */
    char *args[] = {(char *)python, (char *)script, (char *)case_file,
                    "--threads", th, NULL};
    execv(python, args);
    _exit(127);
  }
  close(fds[1]);
  FILE *f = fdopen(fds[0], "r");
  char line[1024], last[200] = "";
  while (f && fgets(line, sizeof line, f)) {
    if (strncmp(line, "seconds:", 8) == 0 && sscanf(line + 8, "%lf", seconds) == 1)
      continue;
    line[strcspn(line, "\n")] = '\0';
    if (line[0] && strncmp(line, "threads:", 8) != 0)
      snprintf(last, sizeof last, "%.199s", line);
  }
  if (f)
    fclose(f);
  else
    close(fds[0]);
  reap(pid, o);
  if (o->status == BF_OK && *seconds < 0) {
    o->status = BF_FAILED;
    snprintf(o->msg, sizeof o->msg, "no \"seconds:\" line%s%s",
             last[0] ? ": " : "", last);
  } else if (o->status == BF_FAILED && last[0]) {
    size_t l = strlen(o->msg);
    snprintf(o->msg + l, sizeof o->msg - l, ": %s", last);
  }
}

double bf_mem_available_mb(void) {
  FILE *f = fopen("/proc/meminfo", "r");
  if (!f) return -1;
  char line[256];
  double kb = -1;
  while (fgets(line, sizeof line, f))
    if (sscanf(line, "MemAvailable: %lf kB", &kb) == 1) break;
  fclose(f);
  return kb >= 0 ? kb / 1024.0 : -1;
}
