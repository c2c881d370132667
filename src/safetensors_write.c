/* safetensors writer: header via cJSON (sizes written as plain integers, as
 * strict readers expect), tensors sorted by name and packed contiguously, the
 * header padded with spaces to a multiple of 8 bytes as the HuggingFace
 * library does. The file appears whole or not at all (atomic_file.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "atomic_file.h"
#include "le_bytes.h"
#include "printable.h"
#include "safetensors.h"

#define CHUNK (1 << 20) /* bytes encoded at a time */

static int by_name(const void *a, const void *b) {
  return strcmp((*(const ar_tensor *const *)a)->name,
                (*(const ar_tensor *const *)b)->name);
}

/* A cJSON array of integers printed with %lld, never in exponent form. */
static cJSON *int_array(const int64_t *v, int n) {
  cJSON *a = cJSON_CreateArray();
  for (int i = 0; a && i < n; i++) {
    char num[24];
    snprintf(num, sizeof num, "%lld", (long long)v[i]);
    cJSON *item = cJSON_CreateRaw(num);
    if (!item || !cJSON_AddItemToArray(a, item)) {
      cJSON_Delete(item);
      cJSON_Delete(a);
      return NULL;
    }
  }
  return a;
}

/* Returns the header JSON (malloc'd, padded to a multiple of 8 bytes with
 * spaces) for the tensors in order; NULL with err set on failure. */
static char *make_header(const char *path, const ar_tensorset *s,
                         ar_tensor *const *order, size_t *len, ar_error *err) {
  cJSON *root = cJSON_CreateObject(), *meta = NULL;
  int ok = root != NULL;
  if (ok && s->nmeta) {
    ok = (meta = cJSON_AddObjectToObject(root, "__metadata__")) != NULL;
    for (size_t i = 0; ok && i < s->nmeta; i++)
      ok = cJSON_AddStringToObject(meta, s->meta[i].key, s->meta[i].value) !=
           NULL;
  }
  int64_t offset = 0;
  for (size_t i = 0; ok && i < s->count; i++) {
    const ar_tensor *t = order[i];
    int64_t bytes, offs[2];
    if (!ar_mul_ok(t->numel, (int64_t)ar_dtype_size(t->dtype), &bytes) ||
        !ar_add_ok(offset, bytes, &offs[1])) {
      cJSON_Delete(root);
      ar_fail(err, AR_FAIL_INPUT, "%s: tensor %s: size overflows", path,
              t->name);
      return NULL;
    }
    offs[0] = offset;
    offset = offs[1];
    cJSON *e = cJSON_AddObjectToObject(root, t->name);
    ok = e && cJSON_AddStringToObject(e, "dtype", ar_dtype_name(t->dtype));
    cJSON *shape = ok ? int_array(t->shape, t->ndim) : NULL;
    ok = shape && cJSON_AddItemToObject(e, "shape", shape);
    cJSON *offsets = ok ? int_array(offs, 2) : NULL;
    ok = offsets && cJSON_AddItemToObject(e, "data_offsets", offsets);
  }
  char *text = ok ? cJSON_PrintUnformatted(root) : NULL;
  cJSON_Delete(root);
  size_t n = text ? strlen(text) : 0, padded = (n + 7) / 8 * 8;
  char *out = text ? realloc(text, padded + 1) : NULL;
  if (!out) {
    free(text);
    ar_fail(err, AR_FAIL_INTERNAL, "%s: out of memory writing header", path);
    return NULL;
  }
  memset(out + n, ' ', padded - n);
  out[padded] = '\0';
  *len = padded;
  return out;
}

/* buf <- k elements of t from element at, little-endian in t's dtype. */
static void encode(const ar_tensor *t, int64_t at, unsigned char *p, size_t k) {
  for (size_t i = 0; i < k; i++) {
    switch (t->dtype) {
      case AR_F64:
        ar_put_le_u64(p + 8 * i, ar_double_to_bits(t->data[at + i]));
        break;
      case AR_F32: /* C's conversion rounds to nearest even by default */
        ar_put_le_u32(p + 4 * i, ar_float_to_bits((float)t->data[at + i]));
        break;
      case AR_F16:
        ar_put_le_u16(p + 2 * i, ar_double_to_f16(t->data[at + i]));
        break;
      case AR_BF16:
        ar_put_le_u16(p + 2 * i, ar_double_to_bf16(t->data[at + i]));
        break;
      case AR_I64:
        ar_put_le_u64(p + 8 * i, (uint64_t)t->idata[at + i]);
        break;
    }
  }
}

/* The bytes of the file: length, header, then each tensor's data in order. */
typedef struct body {
  const char *header;
  size_t hlen;
  ar_tensor *const *order;
  size_t count;
} body;

static int write_body(FILE *f, void *ctx) {
  const body *b = ctx;
  unsigned char len8[8], *buf = malloc(CHUNK);
  if (!buf) return 0;
  ar_put_le_u64(len8, (uint64_t)b->hlen);
  int ok = fwrite(len8, 1, 8, f) == 8 &&
           fwrite(b->header, 1, b->hlen, f) == b->hlen;
  for (size_t i = 0; ok && i < b->count; i++) {
    const ar_tensor *t = b->order[i];
    size_t esz = ar_dtype_size(t->dtype), per = CHUNK / esz;
    for (int64_t done = 0; ok && done < t->numel;) {
      size_t k = (size_t)(t->numel - done) < per ? (size_t)(t->numel - done)
                                                 : per;
      encode(t, done, buf, k);
      ok = fwrite(buf, esz, k, f) == k;
      done += (int64_t)k;
    }
  }
  free(buf);
  return ok;
}

/* Tensors must be nameable in a header and hold the array their dtype says. */
static int check_tensors(const char *path, const ar_tensorset *s,
                         ar_error *err) {
  for (size_t i = 0; i < s->count; i++) {
    const ar_tensor *t = &s->t[i];
    char shown[160];
    if (!t->name || !*t->name || strcmp(t->name, "__metadata__") == 0)
      return ar_fail(err, AR_FAIL_INTERNAL, "%s: tensor %zu has no usable name",
                     path, i);
    if (ar_dtype_is_float(t->dtype) ? !t->data : !t->idata)
      return ar_fail(err, AR_FAIL_INTERNAL, "%s: tensor %s: no data", path,
                     ar_printable(t->name, shown, sizeof shown));
  }
  return AR_OK;
}

int ar_safetensors_write(const char *path, const ar_tensorset *s,
                         ar_error *err) {
  int rc = check_tensors(path, s, err);
  if (rc) return rc;
  ar_tensor **order = malloc((s->count ? s->count : 1) * sizeof *order);
  if (!order) return ar_fail(err, AR_FAIL_INTERNAL, "out of memory");
  for (size_t i = 0; i < s->count; i++) order[i] = &s->t[i];
  qsort(order, s->count, sizeof *order, by_name);
  size_t hlen = 0;
  char *header = make_header(path, s, order, &hlen, err);
  if (!header) {
    rc = err && err->code ? err->code : AR_FAIL_INTERNAL;
    goto done;
  }
  body b = {header, hlen, order, s->count};
  rc = ar_atomic_write(path, write_body, &b, err);
done:
  free(order);
  free(header);
  return rc;
}
