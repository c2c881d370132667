/* Bad input is an input error, never a crash: every corpus file (and random
 * damage to a good one) read and bound through the library gives code 2 with
 * one line naming the file and, where one is at fault, the tensor.
 *   t_bad_input                    run the checks
 *   t_bad_input --write-corpus DIR  only write the corpus (for the CLI test) */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bad_corpus.h"
#include "src/case.h"
#include "src/safetensors.h"
#include "testutil.h"

/* read + bind, as every command does with a case file. */
static int load(const char *path, int64_t max_bytes, ar_error *err) {
  ar_tensorset s;
  ar_case c;
  ar_tensorset_init(&s);
  ar_error_clear(err);
  int rc = ar_safetensors_read(path, &s, max_bytes, err);
  if (rc == 0) rc = ar_case_bind(&s, path, &c, err);
  if (rc == 0) ar_case_release(&c);
  ar_tensorset_free(&s);
  return rc;
}

static void expect_input_error(const char *path, const char *says) {
  ar_error err;
  int rc = load(path, 0, &err);
  printf("  %-60s -> %d %s\n", strrchr(path, '/') + 1, rc, err.msg);
  CHECK(rc == AR_FAIL_INPUT, "%s: code %d, expected 2", path, rc);
  CHECK(strstr(err.msg, path) != NULL, "%s: message does not name the file: %s",
        path, err.msg);
  CHECK(!says || strstr(err.msg, says), "%s: message \"%s\" lacks \"%s\"", path,
        err.msg, says);
  CHECK(err.msg[0] && !strchr(err.msg, '\n') && !strchr(err.msg, '\r'),
        "%s: message is not one line", path);
}

static void corpus(const char *dir) {
  char path[1024];
  CHECK(write_bad_corpus(dir) == 0, "could not write the corpus");
  CHECK(t_count_entries(dir, ".safetensors") == bad_corpus_count,
        "%d files for %d corpus entries", t_count_entries(dir, ".safetensors"),
        bad_corpus_count);
  for (int i = 0; i < bad_corpus_count; i++) {
    snprintf(path, sizeof path, "%s/%s.safetensors", dir, bad_corpus[i].name);
    expect_input_error(path, bad_corpus[i].says);
  }
  snprintf(path, sizeof path, "%s/no-such-file.safetensors", dir);
  expect_input_error(path, "cannot open");
  expect_input_error(dir, "not a regular file");
}

/* The good case loads (so the failures above are the damage, not the base);
 * a max_bytes below its size is refused naming the tensor that crosses it. */
static void good_and_budget(const char *dir) {
  char path[1024];
  ar_tensorset s;
  ar_error err = {0};
  snprintf(path, sizeof path, "%s/good.safetensors", dir);
  CHECK(good_case(&s) == 0, "good case");
  CHECK(ar_safetensors_write(path, &s, &err) == 0, "%s", err.msg);
  ar_tensorset_free(&s);
  int rc = load(path, 0, &err);
  CHECK(rc == 0, "good case does not load: %s", err.msg);
  /* The writer puts tensors in name order: labels (3 elements, 24 bytes as
   * doubles) then layers.0.mlp.b1 (3, 24 more): 47 bytes is crossed there. */
  rc = load(path, 47, &err);
  CHECK(rc == AR_FAIL_INPUT && strstr(err.msg, path) &&
            strstr(err.msg, "tensor layers.0.mlp.b1: tensors up to this one "
                            "need more than the 47 bytes allowed"),
        "budget: %d %s", rc, err.msg);
  rc = load(path, 1 << 20, &err);
  CHECK(rc == 0, "a generous budget is accepted: %s", err.msg);
}

/* Random damage to the good file: any outcome but a crash, a code other than
 * 0 or 2, or a message that is not one line naming the file. */
static void fuzz(const char *dir, uint64_t seed) {
  char good[1024], bad[1024];
  snprintf(good, sizeof good, "%s/good.safetensors", dir);
  snprintf(bad, sizeof bad, "%s/fuzz.safetensors", dir);
  size_t n;
  unsigned char *orig = t_read_bytes(good, &n);
  CHECK(orig != NULL, "cannot read %s", good);
  if (!orig) return;
  unsigned char *p = malloc(n);
  uint64_t rng = seed;
  int outcomes[4] = {0};
  for (int trial = 0; trial < 3000; trial++) {
    memcpy(p, orig, n);
    size_t len = n, hlen = orig[0] | (size_t)orig[1] << 8;
    switch (t_rand(&rng) % 4) {
      case 0: /* a random byte anywhere */
        p[t_rand(&rng) % n] = (unsigned char)t_rand(&rng);
        break;
      case 1: /* a random printable byte in the header */
        p[8 + t_rand(&rng) % hlen] = (unsigned char)(32 + t_rand(&rng) % 95);
        break;
      case 2: /* cut short */
        len = (size_t)(t_rand(&rng) % n);
        break;
      case 3: /* a few header bytes changed to digits or brackets */
        for (int k = 0; k < 3; k++)
          p[8 + t_rand(&rng) % hlen] = (unsigned char)"0123456789[],:\"-."[t_rand(&rng) % 17];
        break;
    }
    t_write_bytes(bad, p, len);
    ar_error err;
    int rc = load(bad, 0, &err);
    outcomes[rc & 3]++;
    CHECK(rc == 0 || rc == AR_FAIL_INPUT, "seed %llu trial %d: code %d: %s",
          (unsigned long long)seed, trial, rc, err.msg);
    CHECK(rc == 0 || (strstr(err.msg, bad) && !strchr(err.msg, '\n')),
          "seed %llu trial %d: message %s", (unsigned long long)seed, trial,
          err.msg);
    if (t_failures > 20) break;
  }
  printf("fuzz: %d loaded, %d input errors\n", outcomes[0], outcomes[2]);
  free(p);
  free(orig);
}

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "--write-corpus") == 0) {
    mkdir(argv[2], 0777);
    int failed = write_bad_corpus(argv[2]);
    if (failed) fprintf(stderr, "%d corpus files not written\n", failed);
    return failed ? 3 : 0;
  }
  uint64_t seed = t_seed("t-bad-input");
  const char *dir = t_tmpdir();
  corpus(dir);
  good_and_budget(dir);
  fuzz(dir, seed);
  t_rmtree(dir);
  return t_done("t-bad-input");
}
