/* Helpers shared by every C test suite: checks that count failures and say
 * where, a seeded generator (seed printed so a failure can be replayed), and
 * a private temporary folder removed at the end. */
#ifndef ATTNREF_TESTS_COMMON_TESTUTIL_H
#define ATTNREF_TESTS_COMMON_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

extern int t_failures;

#define CHECK(cond, ...)                                                    \
  do {                                                                      \
    if (!(cond)) {                                                          \
      fprintf(stderr, "%s:%d: CHECK(%s) failed: ", __FILE__, __LINE__,      \
              #cond);                                                       \
      fprintf(stderr, __VA_ARGS__);                                         \
      fputc('\n', stderr);                                                  \
      t_failures++;                                                         \
    }                                                                       \
  } while (0)

/* Seed from $ATTNREF_SEED, else from the clock; printed either way. */
uint64_t t_seed(const char *test);
uint64_t t_rand(uint64_t *state); /* splitmix64 */
double t_uniform(uint64_t *state); /* [0, 1) */

/* A fresh folder under $TMPDIR (or /tmp); t_rmtree removes it. */
const char *t_tmpdir(void);
void t_rmtree(const char *dir);
/* Number of entries in dir whose name contains needle (NULL: all). */
int t_count_entries(const char *dir, const char *needle);

int t_write_bytes(const char *path, const void *p, size_t n);
/* malloc'd contents of path, *n its size; NULL when unreadable. */
unsigned char *t_read_bytes(const char *path, size_t *n);

/* Prints the verdict; returns the process exit code. */
int t_done(const char *test);

#endif
