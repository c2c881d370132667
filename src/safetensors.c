/* safetensors reader. Files are input from anywhere, so every field is
 * checked before it is used and every failure is one line naming the file
 * (and the tensor): nothing in a file can make this crash, read out of bounds
 * or allocate more than the file's own size implies (times 4, for F16 widened
 * to double) plus the header. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "le_bytes.h"
#include "printable.h"
#include "safetensors.h"

#define HEADER_MAX 100000000             /* bytes; the HuggingFace limit */
#define EXACT_INT_MAX ((int64_t)1 << 53) /* JSON numbers are doubles here */
#define CHUNK (1 << 20)                  /* bytes read at a time */

typedef struct entry {
  const char *name; /* points into the parsed header */
  ar_dtype dtype;
  int ndim;
  int64_t shape[AR_MAX_DIMS];
  int64_t numel, begin, end;
} entry;

typedef struct reader {
  const char *path;
  ar_error *err;
  FILE *f;
  int64_t data_size; /* bytes after the header */
  char *header;
  cJSON *root;
  entry *e;
  size_t ne;
} reader;

/* err <- "PATH: tensor NAME: <fmt>". */
static int fail_tensor(reader *r, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail_tensor(reader *r, const char *name, const char *fmt, ...) {
  char what[512], shown[160];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  return ar_fail(r->err, AR_FAIL_INPUT, "%s: tensor %s: %s", r->path,
                 ar_printable(name, shown, sizeof shown), what);
}

/* *out <- item when it is an integer in [0, 2^53]. */
static int get_uint(const cJSON *item, int64_t *out) {
  if (!cJSON_IsNumber(item)) return 0;
  double v = item->valuedouble;
  if (!(v >= 0 && v <= (double)EXACT_INT_MAX) || v != floor(v)) return 0;
  *out = (int64_t)v;
  return 1;
}

static int parse_shape(reader *r, const cJSON *item, entry *e) {
  if (!cJSON_IsArray(item))
    return fail_tensor(r, e->name, "shape is not an array");
  int n = cJSON_GetArraySize(item);
  if (n > AR_MAX_DIMS)
    return fail_tensor(r, e->name, "shape has %d dimensions (at most %d)", n,
                       AR_MAX_DIMS);
  e->ndim = 0;
  for (const cJSON *d = item->child; d; d = d->next)
    if (!get_uint(d, &e->shape[e->ndim++]))
      return fail_tensor(r, e->name,
                         "shape is not an array of non-negative integers");
  return AR_OK;
}

static int parse_offsets(reader *r, const cJSON *item, entry *e) {
  if (!cJSON_IsArray(item) || cJSON_GetArraySize(item) != 2 ||
      !get_uint(item->child, &e->begin) ||
      !get_uint(item->child->next, &e->end))
    return fail_tensor(r, e->name,
                       "data_offsets is not [begin, end] of non-negative "
                       "integers");
  return AR_OK;
}

/* e <- the header entry item, checked on its own (not against the others). */
static int parse_entry(reader *r, const cJSON *item, entry *e) {
  e->name = item->string;
  if (!cJSON_IsObject(item))
    return fail_tensor(r, e->name, "header entry is not an object");
  int seen = 0, rc;
  for (const cJSON *k = item->child; k; k = k->next) {
    char shown[64];
    if (strcmp(k->string, "dtype") == 0 && !(seen & 1)) {
      seen |= 1;
      if (!cJSON_IsString(k))
        return fail_tensor(r, e->name, "dtype is not a string");
      if (!ar_dtype_parse(k->valuestring, &e->dtype))
        return fail_tensor(r, e->name,
                           "unknown dtype \"%s\" (F64, F32, F16, BF16, I64)",
                           ar_printable(k->valuestring, shown, sizeof shown));
    } else if (strcmp(k->string, "shape") == 0 && !(seen & 2)) {
      seen |= 2;
      if ((rc = parse_shape(r, k, e))) return rc;
    } else if (strcmp(k->string, "data_offsets") == 0 && !(seen & 4)) {
      seen |= 4;
      if ((rc = parse_offsets(r, k, e))) return rc;
    } else {
      return fail_tensor(r, e->name, "unexpected or repeated key \"%s\"",
                         ar_printable(k->string, shown, sizeof shown));
    }
  }
  static const char *const keys[] = {"dtype", "shape", "data_offsets"};
  for (int i = 0; i < 3; i++)
    if (!(seen & (1 << i)))
      return fail_tensor(r, e->name, "missing \"%s\"", keys[i]);
  int64_t numel = 1, bytes;
  for (int i = 0; i < e->ndim; i++)
    if (!ar_mul_ok(numel, e->shape[i], &numel))
      return fail_tensor(r, e->name, "shape overflows");
  e->numel = numel;
  if (!ar_mul_ok(numel, (int64_t)ar_dtype_size(e->dtype), &bytes))
    return fail_tensor(r, e->name, "shape overflows");
  if (e->end < e->begin)
    return fail_tensor(r, e->name, "data_offsets [%lld, %lld] end before begin",
                       (long long)e->begin, (long long)e->end);
  if (e->end - e->begin != bytes) {
    ar_tensor t = {.ndim = e->ndim};
    char shape[128];
    memcpy(t.shape, e->shape, sizeof t.shape);
    return fail_tensor(r, e->name,
                       "shape %s of %s needs %lld bytes but data_offsets "
                       "[%lld, %lld] hold %lld",
                       ar_shape_str(&t, shape, sizeof shape),
                       ar_dtype_name(e->dtype), (long long)bytes,
                       (long long)e->begin, (long long)e->end,
                       (long long)(e->end - e->begin));
  }
  if (e->end > r->data_size)
    return fail_tensor(r, e->name,
                       "data_offsets [%lld, %lld] past the end of the data "
                       "section (%lld bytes)",
                       (long long)e->begin, (long long)e->end,
                       (long long)r->data_size);
  return AR_OK;
}

static int by_name(const void *a, const void *b) {
  return strcmp(((const entry *)a)->name, ((const entry *)b)->name);
}
static int by_offset(const void *a, const void *b) {
  const entry *x = a, *y = b;
  if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
  if (x->end != y->end) return x->end < y->end ? -1 : 1;
  return strcmp(x->name, y->name);
}

/* The entries, sorted by offset, must tile [0, data_size) exactly:
 * safetensors forbids both overlaps and holes. Leaves r->e sorted so. */
static int check_layout(reader *r) {
  qsort(r->e, r->ne, sizeof *r->e, by_name);
  for (size_t i = 1; i < r->ne; i++)
    if (strcmp(r->e[i - 1].name, r->e[i].name) == 0)
      return fail_tensor(r, r->e[i].name, "appears twice in the header");
  qsort(r->e, r->ne, sizeof *r->e, by_offset);
  int64_t cursor = 0;
  const char *last = NULL;
  for (size_t i = 0; i < r->ne; i++) {
    const entry *e = &r->e[i];
    if (e->begin < cursor) {
      char shown[160];
      return fail_tensor(r, e->name,
                         "data_offsets [%lld, %lld] overlap tensor %s",
                         (long long)e->begin, (long long)e->end,
                         ar_printable(last, shown, sizeof shown));
    }
    if (e->begin > cursor)
      return ar_fail(r->err, AR_FAIL_INPUT,
                     "%s: data section bytes [%lld, %lld) belong to no "
                     "tensor (holes are not allowed)",
                     r->path, (long long)cursor, (long long)e->begin);
    cursor = e->end;
    if (e->end > e->begin) last = e->name;
  }
  if (cursor != r->data_size)
    return ar_fail(r->err, AR_FAIL_INPUT,
                   "%s: data section bytes [%lld, %lld) belong to no tensor "
                   "(holes are not allowed)",
                   r->path, (long long)cursor, (long long)r->data_size);
  return AR_OK;
}

static int by_meta_key(const void *a, const void *b) {
  return strcmp(((const ar_meta *)a)->key, ((const ar_meta *)b)->key);
}

/* s->meta <- __metadata__, an object of string values. */
static int parse_meta(reader *r, const cJSON *m, ar_tensorset *s) {
  if (!cJSON_IsObject(m))
    return ar_fail(r->err, AR_FAIL_INPUT, "%s: __metadata__ is not an object",
                   r->path);
  size_t n = (size_t)cJSON_GetArraySize(m);
  if (n == 0) return AR_OK;
  s->meta = calloc(n, sizeof *s->meta);
  if (!s->meta) return ar_fail(r->err, AR_FAIL_INTERNAL, "out of memory");
  s->metacap = n;
  for (const cJSON *k = m->child; k; k = k->next) {
    char shown[64];
    if (!cJSON_IsString(k))
      return ar_fail(r->err, AR_FAIL_INPUT,
                     "%s: __metadata__ key \"%s\": value is not a string",
                     r->path, ar_printable(k->string, shown, sizeof shown));
    ar_meta *dst = &s->meta[s->nmeta];
    dst->key = strdup(k->string);
    dst->value = strdup(k->valuestring);
    s->nmeta++;
    if (!dst->key || !dst->value)
      return ar_fail(r->err, AR_FAIL_INTERNAL, "out of memory");
  }
  qsort(s->meta, s->nmeta, sizeof *s->meta, by_meta_key);
  for (size_t i = 1; i < s->nmeta; i++)
    if (strcmp(s->meta[i - 1].key, s->meta[i].key) == 0) {
      char shown[64];
      return ar_fail(r->err, AR_FAIL_INPUT,
                     "%s: __metadata__ key \"%s\" appears twice", r->path,
                     ar_printable(s->meta[i].key, shown, sizeof shown));
    }
  return AR_OK;
}

/* r->header, r->data_size <- the length prefix and header text, checked. */
static int read_header(reader *r) {
  struct stat st;
  if (fstat(fileno(r->f), &st) != 0 || !S_ISREG(st.st_mode))
    return ar_fail(r->err, AR_FAIL_INPUT, "%s: not a regular file", r->path);
  int64_t size = (int64_t)st.st_size;
  unsigned char len8[8];
  if (size < 8 || fread(len8, 1, 8, r->f) != 8)
    return ar_fail(r->err, AR_FAIL_INPUT,
                   "%s: %lld bytes, too short for a safetensors header",
                   r->path, (long long)size);
  uint64_t n = ar_le_u64(len8);
  if (n == 0)
    return ar_fail(r->err, AR_FAIL_INPUT, "%s: header length is 0", r->path);
  if (n > HEADER_MAX)
    return ar_fail(r->err, AR_FAIL_INPUT,
                   "%s: header length %llu is absurd (more than %d bytes)",
                   r->path, (unsigned long long)n, HEADER_MAX);
  if ((int64_t)n > size - 8)
    return ar_fail(r->err, AR_FAIL_INPUT,
                   "%s: header length %llu runs past the end of the file "
                   "(%lld bytes)",
                   r->path, (unsigned long long)n, (long long)size);
  r->data_size = size - 8 - (int64_t)n;
  r->header = malloc(n + 1);
  if (!r->header) return ar_fail(r->err, AR_FAIL_INTERNAL, "out of memory");
  if (fread(r->header, 1, n, r->f) != n)
    return ar_fail(r->err, AR_FAIL_INPUT,
                   "%s: read error in the header (file changed while read?)",
                   r->path);
  r->header[n] = '\0';
  if (memchr(r->header, '\0', n))
    return ar_fail(r->err, AR_FAIL_INPUT, "%s: header contains a NUL byte",
                   r->path);
  const char *end = NULL;
  r->root = cJSON_ParseWithOpts(r->header, &end, 1);
  if (!r->root)
    return ar_fail(r->err, AR_FAIL_INPUT,
                   "%s: header is not valid JSON (at byte %lld of %llu)",
                   r->path, end ? (long long)(end - r->header) : -1LL,
                   (unsigned long long)n);
  if (!cJSON_IsObject(r->root))
    return ar_fail(r->err, AR_FAIL_INPUT, "%s: header is not a JSON object",
                   r->path);
  return AR_OK;
}

/* r->e <- the tensor entries in header order; s->meta <- __metadata__. */
static int parse_entries(reader *r, ar_tensorset *s) {
  size_t n = (size_t)cJSON_GetArraySize(r->root);
  r->e = calloc(n ? n : 1, sizeof *r->e);
  if (!r->e) return ar_fail(r->err, AR_FAIL_INTERNAL, "out of memory");
  int rc, seen_meta = 0;
  for (const cJSON *it = r->root->child; it; it = it->next) {
    if (strcmp(it->string, "__metadata__") == 0) {
      if (seen_meta++)
        return ar_fail(r->err, AR_FAIL_INPUT, "%s: __metadata__ appears twice",
                       r->path);
      if ((rc = parse_meta(r, it, s))) return rc;
      continue;
    }
    if ((rc = parse_entry(r, it, &r->e[r->ne++]))) return rc;
  }
  return AR_OK;
}

/* The widened size of all tensors (8 bytes an element), in header order. */
static int check_budget(reader *r, int64_t max_bytes) {
  int64_t total = 0, bytes;
  for (size_t i = 0; max_bytes > 0 && i < r->ne; i++)
    if (!ar_mul_ok(r->e[i].numel, 8, &bytes) ||
        !ar_add_ok(total, bytes, &total) || total > max_bytes)
      return fail_tensor(r, r->e[i].name,
                         "tensors up to this one need more than the %lld "
                         "bytes allowed",
                         (long long)max_bytes);
  return AR_OK;
}

/* dst <- k elements of dtype from little-endian bytes. */
static void decode(ar_tensor *t, int64_t at, const unsigned char *p,
                   size_t k) {
  for (size_t i = 0; i < k; i++) switch (t->dtype) {
      case AR_F64: t->data[at + i] = ar_bits_to_double(ar_le_u64(p + 8 * i)); break;
      case AR_F32: t->data[at + i] = ar_bits_to_float(ar_le_u32(p + 4 * i)); break;
      case AR_F16: t->data[at + i] = ar_f16_to_double(ar_le_u16(p + 2 * i)); break;
      case AR_BF16: t->data[at + i] = ar_bf16_to_double(ar_le_u16(p + 2 * i)); break;
      case AR_I64: t->idata[at + i] = (int64_t)ar_le_u64(p + 8 * i); break;
    }
}

/* t <- its data, read sequentially (the entries tile the data section). */
static int read_data(reader *r, ar_tensor *t, unsigned char *buf, int strict) {
  size_t esz = ar_dtype_size(t->dtype), per = CHUNK / esz;
  for (int64_t done = 0; done < t->numel;) {
    size_t k = (size_t)(t->numel - done) < per ? (size_t)(t->numel - done) : per;
    if (fread(buf, esz, k, r->f) != k)
      return fail_tensor(r, t->name, "read error (file changed while read?)");
    decode(t, done, buf, k);
    done += (int64_t)k;
  }
  for (int64_t i = 0; strict && t->data && i < t->numel; i++)
    if (!isfinite(t->data[i]))
      return fail_tensor(r, t->name, "element %lld is %s", (long long)i,
                         isnan(t->data[i]) ? "NaN"
                         : t->data[i] > 0  ? "+Inf"
                                           : "-Inf");
  return AR_OK;
}

/* s->t <- every entry's tensor, allocated then read in offset order. */
static int load_tensors(reader *r, ar_tensorset *s, int strict) {
  s->t = calloc(r->ne ? r->ne : 1, sizeof *s->t);
  unsigned char *buf = malloc(CHUNK);
  if (!s->t || !buf) {
    free(buf);
    return ar_fail(r->err, AR_FAIL_INTERNAL, "out of memory");
  }
  s->cap = r->ne;
  int rc = AR_OK;
  for (size_t i = 0; i < r->ne && !rc; i++) {
    const entry *e = &r->e[i];
    ar_tensor *t = &s->t[s->count++];
    t->name = strdup(e->name);
    t->dtype = e->dtype;
    t->ndim = e->ndim;
    memcpy(t->shape, e->shape, sizeof t->shape);
    t->numel = e->numel;
    size_t count = e->numel > 0 ? (size_t)e->numel : 1;
    if (ar_dtype_is_float(e->dtype))
      t->data = malloc(count * sizeof(double));
    else
      t->idata = malloc(count * sizeof(int64_t));
    if (!t->name || (!t->data && !t->idata))
      rc = ar_fail(r->err, AR_FAIL_INTERNAL,
                   "%s: out of memory for %lld elements", r->path,
                   (long long)e->numel);
    else
      rc = read_data(r, t, buf, strict);
  }
  free(buf);
  return rc;
}

static int read_file(const char *path, ar_tensorset *s, int64_t max_bytes,
                     int strict, ar_error *err) {
  ar_tensorset_free(s);
  reader r = {.path = path, .err = err};
  int rc;
  r.f = fopen(path, "rb");
  if (!r.f)
    rc = ar_fail(err, AR_FAIL_INPUT, "%s: cannot open: %s", path,
                 strerror(errno));
  else if (!(rc = read_header(&r)) && !(rc = parse_entries(&r, s)) &&
           !(rc = check_budget(&r, max_bytes)) && !(rc = check_layout(&r)))
    rc = load_tensors(&r, s, strict);
  if (r.f) fclose(r.f);
  cJSON_Delete(r.root);
  free(r.header);
  free(r.e);
  if (rc)
    ar_tensorset_free(s);
  else
    ar_tensorset_sort(s);
  return rc;
}

int ar_safetensors_read(const char *path, ar_tensorset *s, int64_t max_bytes,
                        ar_error *err) {
  return read_file(path, s, max_bytes, 1, err);
}

int ar_safetensors_read_lenient(const char *path, ar_tensorset *s,
                                int64_t max_bytes, ar_error *err) {
  return read_file(path, s, max_bytes, 0, err);
}
