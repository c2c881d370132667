/* `attnref bench fast`: every measurement runs in a forked child, so that
 * its peak memory (the child's ru_maxrss) is its own, and a time limit can
 * stop it without stopping the sweep. */
#ifndef ATTNREF_CLI_BENCH_FAST_H
#define ATTNREF_CLI_BENCH_FAST_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "path.h"

enum { BF_OK = 0, BF_FAILED = 1, BF_TIMEOUT = 2 };

/* How a child ended. */
typedef struct bf_outcome {
  int status;       /* BF_OK, BF_FAILED (msg says why), BF_TIMEOUT */
  double maxrss_mb; /* the child's peak resident set, MiB (2^20 bytes) */
  char msg[256];
} bf_outcome;

/* A job runs in the child: it fills result (size bytes) and returns 0, or
 * returns non-zero with msg set. */
typedef int (*bf_job)(void *arg, void *result, size_t size, char *msg,
                      size_t msgn);

/* Runs job in a forked child killed after limit_s seconds (0: no limit);
 * result receives what the child wrote when it succeeded. */
void bf_in_child(bf_job job, void *arg, void *result, size_t size,
                 double limit_s, bf_outcome *o);

/* One timed run of a path on the random case of cfg (seed 1, entries in
 * [-bound, bound], as `attnref gen --seed 1 --bound B` writes it): forward + backward, best of up to
 * max_reps runs while their total is under min_total_s; then act.layers.{L-1}
 * and grad.x are written to out_file (when not NULL) for the error
 * comparison. */
typedef struct bf_path_job {
  const ar_config *cfg;
  double bound;
  const ar_path *path;
  int degree; /* approx */
  int threads;
  int max_reps;
  double min_total_s;
  const char *out_file;
} bf_path_job;
typedef struct bf_path_result {
  double seconds;
  int reps;
} bf_path_result;
int bf_run_path(void *arg, void *result, size_t size, char *msg, size_t msgn);

/* Writes the random case of cfg (seed 1, bound) to file. */
typedef struct bf_gen_job {
  const ar_config *cfg;
  double bound;
  const char *file;
} bf_gen_job;
int bf_gen(void *arg, void *result, size_t size, char *msg, size_t msgn);

/* An empty child: its ru_maxrss is the baseline every child starts from. */
int bf_nothing(void *arg, void *result, size_t size, char *msg, size_t msgn);

/* `python torch_time.py CASE --threads T` in a child (limit_s as above);
 * *seconds <- its "seconds: X" line. */
void bf_run_torch(const char *python, const char *script, const char *case_file,
                  int threads, double limit_s, double *seconds,
                  bf_outcome *o);

/* MemAvailable of /proc/meminfo in MiB, or -1. */
double bf_mem_available_mb(void);

#endif
