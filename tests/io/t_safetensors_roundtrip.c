/* safetensors write -> read returns what was written: random tensor sets of
 * every dtype (scalars, empty dims, metadata with characters JSON must
 * escape), bit for bit; the file layout the writer promises (padded header,
 * tensors in name order, contiguous); a file written byte by byte by hand (a
 * different writer) reads back. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "src/safetensors.h"
#include "testutil.h"

static const char *const name_chars[] = {"a", "b", "z", ".", "_", "-", "0",
                                         "9", "\xc3\xa9", "\"", "\\", " "};

static void random_name(uint64_t *rng, int i, char *buf, size_t n) {
  int len = snprintf(buf, n, "t%02d", i);
  for (int k = (int)(t_rand(rng) % 6); k > 0; k--)
    len += snprintf(buf + len, n - (size_t)len, "%s",
                    name_chars[t_rand(rng) % (sizeof name_chars / sizeof *name_chars)]);
}

/* A finite value exactly representable in dtype (random bit pattern). */
static double random_value(uint64_t *rng, ar_dtype dt) {
  for (;;) {
    uint64_t b = t_rand(rng);
    double v;
    switch (dt) {
      case AR_F64: memcpy(&v, &b, 8); break;
      case AR_F32: {
        uint32_t u = (uint32_t)b;
        float f;
        memcpy(&f, &u, 4);
        v = f;
        break;
      }
      case AR_F16: v = ar_f16_to_double((uint16_t)b); break;
      default: v = ar_bf16_to_double((uint16_t)b); break;
    }
    if (isfinite(v)) return v;
  }
}

static void random_set(uint64_t *rng, ar_tensorset *s) {
  ar_error err = {0};
  int count = (int)(t_rand(rng) % 9);
  for (int i = 0; i < count; i++) {
    char name[64];
    random_name(rng, i, name, sizeof name);
    ar_dtype dt = (ar_dtype)(t_rand(rng) % 5);
    int ndim = (int)(t_rand(rng) % 5);
    int64_t dims[AR_MAX_DIMS];
    for (int k = 0; k < ndim; k++) dims[k] = (int64_t)(t_rand(rng) % 5);
    ar_tensor *t = ar_tensorset_add(s, name, dt, ndim, dims, &err);
    for (int64_t k = 0; t && k < t->numel; k++) {
      if (dt == AR_I64)
        t->idata[k] = (int64_t)t_rand(rng);
      else
        t->data[k] = random_value(rng, dt);
    }
  }
  for (int i = (int)(t_rand(rng) % 4); i > 0; i--) {
    char key[32], value[64];
    snprintf(key, sizeof key, "key%d\"\\", i);
    snprintf(value, sizeof value, "v\n\t\"\\%llu \xe2\x88\x9e",
             (unsigned long long)t_rand(rng));
    ar_tensorset_set_meta(s, key, value, &err);
  }
}

static int same_bits(double a, double b) { return memcmp(&a, &b, 8) == 0; }

/* b holds exactly what a held: names, dtypes, shapes, bits, metadata. */
static void check_equal(const ar_tensorset *a, const ar_tensorset *b,
                        uint64_t seed, int trial) {
  CHECK(a->count == b->count, "seed %llu trial %d: %zu tensors, read %zu",
        (unsigned long long)seed, trial, a->count, b->count);
  for (size_t i = 0; i < a->count; i++) {
    const ar_tensor *x = &a->t[i], *y = ar_tensorset_find(b, x->name);
    CHECK(y != NULL, "seed %llu trial %d: tensor %s lost",
          (unsigned long long)seed, trial, x->name);
    if (!y) continue;
    int ok = y->dtype == x->dtype && y->ndim == x->ndim && y->numel == x->numel;
    for (int k = 0; ok && k < x->ndim; k++) ok = x->shape[k] == y->shape[k];
    for (int64_t k = 0; ok && k < x->numel; k++)
      ok = x->idata ? x->idata[k] == y->idata[k]
                    : same_bits(x->data[k], y->data[k]);
    CHECK(ok, "seed %llu trial %d: tensor %s differs after round trip",
          (unsigned long long)seed, trial, x->name);
  }
  CHECK(a->nmeta == b->nmeta, "seed %llu trial %d: metadata count",
        (unsigned long long)seed, trial);
  for (size_t i = 0; i < a->nmeta; i++) {
    const char *v = ar_tensorset_get_meta(b, a->meta[i].key);
    CHECK(v && strcmp(v, a->meta[i].value) == 0,
          "seed %llu trial %d: metadata %s", (unsigned long long)seed, trial,
          a->meta[i].key);
  }
}

/* The written file: header length a multiple of 8, padded with spaces,
 * tensors in name order at contiguous offsets covering the data. */
static void check_layout(const char *path, uint64_t seed, int trial) {
  size_t n;
  unsigned char *p = t_read_bytes(path, &n);
  if (!p || n < 8) {
    CHECK(0, "seed %llu trial %d: cannot reread %s", (unsigned long long)seed,
          trial, path);
    free(p);
    return;
  }
  uint64_t hlen = 0;
  for (int i = 7; i >= 0; i--) hlen = hlen << 8 | p[i];
  CHECK(hlen % 8 == 0 && 8 + hlen <= n, "header length %llu",
        (unsigned long long)hlen);
  char *h = strndup((char *)p + 8, hlen);
  cJSON *root = cJSON_Parse(h);
  CHECK(root != NULL, "seed %llu trial %d: header not JSON",
        (unsigned long long)seed, trial);
  int64_t offset = 0;
  const char *prev = NULL;
  for (cJSON *e = root ? root->child : NULL; e; e = e->next) {
    if (strcmp(e->string, "__metadata__") == 0) continue;
    cJSON *o = cJSON_GetObjectItem(e, "data_offsets");
    CHECK(prev == NULL || strcmp(prev, e->string) < 0,
          "seed %llu trial %d: %s after %s", (unsigned long long)seed, trial,
          e->string, prev);
    CHECK(o && (int64_t)cJSON_GetArrayItem(o, 0)->valuedouble == offset,
          "seed %llu trial %d: %s not contiguous", (unsigned long long)seed,
          trial, e->string);
    if (o) offset = (int64_t)cJSON_GetArrayItem(o, 1)->valuedouble;
    prev = e->string;
  }
  CHECK((uint64_t)offset == n - 8 - hlen, "data section size");
  size_t text = strlen(h);
  while (text > 0 && h[text - 1] == ' ') text--;
  CHECK(h[text - 1] == '}', "padding is not spaces after the JSON");
  cJSON_Delete(root);
  free(h);
  free(p);
}

static void random_round_trips(const char *dir, uint64_t seed) {
  uint64_t rng = seed;
  char path[600];
  snprintf(path, sizeof path, "%s/rt.safetensors", dir);
  for (int trial = 0; trial < 300; trial++) {
    ar_tensorset a, b;
    ar_tensorset_init(&a);
    ar_tensorset_init(&b);
    ar_error err = {0};
    random_set(&rng, &a);
    int rc = ar_safetensors_write(path, &a, &err);
    CHECK(rc == 0, "seed %llu trial %d: write: %s", (unsigned long long)seed,
          trial, err.msg);
    if (rc == 0) rc = ar_safetensors_read(path, &b, 0, &err);
    CHECK(rc == 0, "seed %llu trial %d: read: %s", (unsigned long long)seed,
          trial, err.msg);
    if (rc == 0) {
      check_equal(&a, &b, seed, trial);
      check_layout(path, seed, trial);
    }
    ar_tensorset_free(&a);
    ar_tensorset_free(&b);
  }
}

/* F32/F16/BF16 tensors hold doubles that get rounded on writing: what reads
 * back is the rounded value; +-Inf survive a lenient read, a strict read
 * names the tensor and element. */
static void rounding_on_write(const char *dir) {
  char path[600];
  snprintf(path, sizeof path, "%s/round.safetensors", dir);
  const double v[] = {1.0 / 3.0, 1e-9, 65519.0, 65520.0, 1e39, -1e-300};
  ar_tensorset a, b;
  ar_tensorset_init(&a);
  ar_tensorset_init(&b);
  ar_error err = {0};
  const ar_dtype dts[] = {AR_F32, AR_F16, AR_BF16};
  int64_t n = 6;
  for (int i = 0; i < 3; i++) {
    ar_tensor *t = ar_tensorset_add(&a, ar_dtype_name(dts[i]), dts[i], 1, &n, &err);
    memcpy(t->data, v, sizeof v);
  }
  CHECK(ar_safetensors_write(path, &a, &err) == 0, "%s", err.msg);
  CHECK(ar_safetensors_read_lenient(path, &b, 0, &err) == 0, "%s", err.msg);
  for (int k = 0; k < 6 && b.count == 3; k++) {
    double f32 = ar_tensorset_find(&b, "F32")->data[k];
    double f16 = ar_tensorset_find(&b, "F16")->data[k];
    double bf = ar_tensorset_find(&b, "BF16")->data[k];
    CHECK(same_bits(f32, (double)(float)v[k]), "F32 element %d", k);
    CHECK(same_bits(f16, ar_f16_to_double(ar_double_to_f16(v[k]))), "F16 %d", k);
    CHECK(same_bits(bf, ar_bf16_to_double(ar_double_to_bf16(v[k]))), "BF16 %d", k);
  }
  if (b.count == 3) {
    CHECK(isinf(ar_tensorset_find(&b, "F16")->data[3]), "65520 -> f16 inf");
    CHECK(isinf(ar_tensorset_find(&b, "F32")->data[4]), "1e39 -> f32 inf");
    CHECK(isinf(ar_tensorset_find(&b, "BF16")->data[4]), "1e39 -> bf16 inf");
    CHECK(ar_tensorset_find(&b, "F16")->data[5] == 0 &&
              signbit(ar_tensorset_find(&b, "F16")->data[5]),
          "-1e-300 -> f16 -0");
  }
  ar_error_clear(&err);
  int rc = ar_safetensors_read(path, &b, 0, &err);
  CHECK(rc == AR_FAIL_INPUT && strstr(err.msg, "tensor BF16: element 4 is +Inf"),
        "strict read: rc %d, %s", rc, err.msg);
  CHECK(b.count == 0, "a failed read leaves the set empty");
  ar_tensorset_free(&a);
  ar_tensorset_free(&b);
}

/* A file written by hand: unpadded, pretty-printed header, offsets in
 * non-alphabetical order, metadata last, an empty tensor between two. */
static void hand_written(const char *dir) {
  const char *header =
      "{\n  \"b\": {\"dtype\": \"F32\", \"shape\": [2], "
      "\"data_offsets\": [0, 8]},\n"
      "  \"empty\": {\"shape\": [0, 3], \"dtype\": \"BF16\", "
      "\"data_offsets\": [8, 8]},\n"
      "  \"a\": {\"data_offsets\": [8, 16], \"dtype\": \"F64\", \"shape\": []},\n"
      "  \"h\": {\"dtype\": \"F16\", \"shape\": [1, 2], \"data_offsets\": [24, 28]},\n"
      "  \"i\": {\"dtype\": \"I64\", \"shape\": [1], \"data_offsets\": [16, 24]},\n"
      "  \"__metadata__\": {\"format\": \"pt\"}\n}";
  size_t hlen = strlen(header);
  unsigned char file[1024];
  size_t at = 0;
  for (int i = 0; i < 8; i++) file[at++] = (unsigned char)(hlen >> (8 * i));
  memcpy(file + at, header, hlen);
  at += hlen;
  /* b = [1.5f, -2.0f], little-endian */
  const unsigned char data[] = {
      0x00, 0x00, 0xc0, 0x3f, 0x00, 0x00, 0x00, 0xc0,  /* b */
      0x18, 0x2d, 0x44, 0x54, 0xfb, 0x21, 0x09, 0x40,  /* a = pi */
      0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,  /* i = -2 */
      0x01, 0x00, 0xff, 0x7b};                         /* h = [2^-24, 65504] */
  memcpy(file + at, data, sizeof data);
  at += sizeof data;
  char path[600];
  snprintf(path, sizeof path, "%s/hand.safetensors", dir);
  CHECK(t_write_bytes(path, file, at), "write %s", path);
  ar_tensorset s;
  ar_tensorset_init(&s);
  ar_error err = {0};
  int rc = ar_safetensors_read(path, &s, 0, &err);
  CHECK(rc == 0, "hand-written file: %s", err.msg);
  if (rc) return;
  ar_tensor *a = ar_tensorset_find(&s, "a"), *b = ar_tensorset_find(&s, "b"),
            *e = ar_tensorset_find(&s, "empty"), *h = ar_tensorset_find(&s, "h"),
            *i = ar_tensorset_find(&s, "i");
  CHECK(s.count == 5 && a && b && e && h && i, "tensors read: %zu", s.count);
  if (s.count == 5 && a && b && e && h && i) {
    CHECK(a->ndim == 0 && a->numel == 1 && a->data[0] == 3.141592653589793,
          "a = %.17g", a->data[0]);
    CHECK(b->dtype == AR_F32 && b->data[0] == 1.5 && b->data[1] == -2.0, "b");
    CHECK(e->dtype == AR_BF16 && e->ndim == 2 && e->shape[0] == 0 &&
              e->shape[1] == 3 && e->numel == 0,
          "empty");
    CHECK(h->ndim == 2 && h->data[0] == 0x1p-24 && h->data[1] == 65504.0, "h");
    CHECK(i->dtype == AR_I64 && i->idata[0] == -2, "i");
  }
  const char *fmt = ar_tensorset_get_meta(&s, "format");
  CHECK(fmt && strcmp(fmt, "pt") == 0, "metadata");
  ar_tensorset_free(&s);
}

int main(void) {
  uint64_t seed = t_seed("t-safetensors-roundtrip");
  const char *dir = t_tmpdir();
  random_round_trips(dir, seed);
  rounding_on_write(dir);
  hand_written(dir);
  t_rmtree(dir);
  return t_done("t-safetensors-roundtrip");
}
