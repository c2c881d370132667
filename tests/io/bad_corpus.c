/* The bad-file corpus: structural damage written byte by byte (the library
 * writer cannot produce it), semantic damage written by the library writer
 * from a good case with one thing changed. */
#include "bad_corpus.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "src/case.h"
#include "src/config.h"
#include "src/safetensors.h"

#define F64X1(off) "{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[" off "]}"

/* Structural: a header text (possibly broken) then data_len zero bytes, or
 * raw bytes given exactly. */
static const struct {
  const char *name, *header;
  int data_len;
  uint64_t len_override; /* header length field when nonzero */
} raw[] = {
    {"header-not-json", "{\"x\": {\"dtype\": \"F64\", ", 8, 0},
    {"header-not-object", "[1, 2, 3]", 0, 0},
    {"header-length-past-eof", "{}", 0, 1000},
    {"header-length-absurd", "{}", 0, (uint64_t)1 << 62},
    {"entry-not-object", "{\"x\": 5}", 0, 0},
    {"unknown-dtype", "{\"x\":{\"dtype\":\"F8\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1, 0},
    {"dtype-not-string", "{\"x\":{\"dtype\":64,\"shape\":[1],\"data_offsets\":[0,8]}}", 8, 0},
    {"shape-negative", "{\"x\":{\"dtype\":\"F64\",\"shape\":[-1],\"data_offsets\":[0,8]}}", 8, 0},
    {"shape-fraction", "{\"x\":{\"dtype\":\"F64\",\"shape\":[1.5],\"data_offsets\":[0,8]}}", 8, 0},
    {"shape-not-array", "{\"x\":{\"dtype\":\"F64\",\"shape\":1,\"data_offsets\":[0,8]}}", 8, 0},
    {"shape-too-many-dims",
     "{\"x\":{\"dtype\":\"F64\",\"shape\":[1,1,1,1,1,1,1,1,1],\"data_offsets\":[0,8]}}", 8, 0},
    {"shape-overflow",
     "{\"x\":{\"dtype\":\"F64\",\"shape\":[1099511627776,1099511627776],"
     "\"data_offsets\":[0,8]}}", 8, 0},
    {"offsets-not-pair", "{\"x\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0]}}", 8, 0},
    {"offsets-end-before-begin", "{\"x\":{\"dtype\":\"F64\",\"shape\":[0],\"data_offsets\":[8,0]}}", 8, 0},
    {"offsets-out-of-range", "{\"x\":" F64X1("0,8") "}", 4, 0},
    {"offsets-huge", "{\"x\":" F64X1("18446744073709551608,18446744073709551616") "}", 8, 0},
    {"shape-size-mismatch", "{\"x\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, 0},
    {"overlapping", "{\"a\":" F64X1("0,8") ",\"b\":{\"dtype\":\"F32\",\"shape\":[2],"
                    "\"data_offsets\":[4,12]}}", 12, 0},
    {"hole", "{\"a\":" F64X1("0,8") ",\"b\":" F64X1("16,24") "}", 24, 0},
    {"trailing-bytes", "{\"a\":" F64X1("0,8") "}", 16, 0},
    {"duplicate-tensor", "{\"a\":" F64X1("0,8") ",\"a\":" F64X1("8,16") "}", 16, 0},
    {"entry-unknown-key",
     "{\"x\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8],\"strides\":[1]}}", 8, 0},
    {"entry-missing-dtype", "{\"x\":{\"shape\":[1],\"data_offsets\":[0,8]}}", 8, 0},
    {"metadata-not-object", "{\"__metadata__\":[\"a\"],\"x\":" F64X1("0,8") "}", 8, 0},
    {"metadata-not-string",
     "{\"__metadata__\":{\"attnref.config\":{\"n\":1}},\"x\":" F64X1("0,8") "}", 8, 0},
    {"deep-nesting", NULL, 0, 0}, /* header built below */
};

/* What each file's message must contain, in the order they are written. */
const bad_file bad_corpus[] = {
    {"empty", "too short", 0},
    {"truncated-length", "too short", 0},
    {"header-length-zero", "header length is 0", 0},
    {"truncated-data", "past the end of the data section", 0},
    {"header-not-json", "not valid JSON", 0},
    {"header-not-object", "not a JSON object", 0},
    {"header-length-past-eof", "runs past the end of the file", 0},
    {"header-length-absurd", "absurd", 0},
    {"entry-not-object", "tensor x: header entry is not an object", 0},
    {"unknown-dtype", "tensor x: unknown dtype \"F8\"", 0},
    {"dtype-not-string", "tensor x: dtype is not a string", 0},
    {"shape-negative", "tensor x: shape", 0},
    {"shape-fraction", "tensor x: shape", 0},
    {"shape-not-array", "tensor x: shape", 0},
    {"shape-too-many-dims", "tensor x: shape has 9 dimensions", 0},
    {"shape-overflow", "tensor x: shape overflows", 0},
    {"offsets-not-pair", "tensor x: data_offsets", 0},
    {"offsets-end-before-begin", "tensor x: data_offsets [8, 0] end before begin", 0},
    {"offsets-out-of-range", "tensor x: data_offsets [0, 8] past the end", 0},
    {"offsets-huge", "tensor x: data_offsets", 0},
    {"shape-size-mismatch", "tensor x: shape 2 of F64 needs 16 bytes", 0},
    {"overlapping", "tensor b: data_offsets [4, 12] overlap tensor a", 0},
    {"hole", "bytes [8, 16) belong to no tensor", 0},
    {"trailing-bytes", "bytes [8, 16) belong to no tensor", 0},
    {"duplicate-tensor", "tensor a: appears twice", 0},
    {"entry-unknown-key", "tensor x: unexpected or repeated key \"strides\"", 0},
    {"entry-missing-dtype", "tensor x: missing \"dtype\"", 0},
    {"metadata-not-object", "__metadata__ is not an object", 0},
    {"metadata-not-string", "__metadata__ key \"attnref.config\": value is not a string", 0},
    {"deep-nesting", "not valid JSON", 0},
    {"header-nul-byte", "NUL byte", 0},
    /* semantic, written by the library writer */
    {"nan-in-x", "tensor x: element 2 is NaN", 1},
    {"inf-in-weight", "tensor layers.1.wv: element 5 is +Inf", 1},
    {"f16-overflow-in-weight", "tensor layers.0.mlp.w1: element 0 is -Inf", 1},
    {"missing-config", "no \"attnref.config\"", 1},
    {"config-not-json", "config is not valid JSON", 1},
    {"config-unknown-key", "config key \"nomr\": unknown key", 1},
    {"config-size-overflow", "n*n*heads", 1},
    {"config-heads", "not divisible by heads", 1},
    {"missing-tensor", "missing tensor layers.1.mlp.b2", 1},
    {"wrong-shape", "tensor layers.1.wq: shape 4x5, expected 4x4", 1},
    {"scalar-for-vector", "tensor layers.0.norm1.bias: shape [], expected 4", 1},
    {"label-out-of-range", "tensor labels: element 1 = 5 is out of range [0, 5)", 1},
    {"label-negative", "tensor labels: element 0 = -1 is out of range", 1},
    {"labels-not-i64", "tensor labels: dtype F64, expected I64", 1},
    {"weight-is-i64", "tensor layers.0.wo: dtype I64", 1},
    {"unexpected-tensor", "unexpected tensor layers.0.wqq", 1},
    {"unexpected-layer", "unexpected tensor layers.2.wq", 1},
    {"unexpected-leading-zero", "unexpected tensor layers.01.wq", 1},
    {"unexpected-loss-tensor", "unexpected tensor cotangent", 1},
    {"hostile-name", "unexpected tensor x\\x0ay", 1},
    {"long-name", "unexpected tensor aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 1},
};
const int bad_corpus_count = (int)(sizeof bad_corpus / sizeof bad_corpus[0]);

static int write_file(const char *dir, const char *name, const void *p,
                      size_t n) {
  char path[1024];
  snprintf(path, sizeof path, "%s/%s.safetensors", dir, name);
  FILE *f = fopen(path, "wb");
  if (!f) return 1;
  int ok = fwrite(p, 1, n, f) == n;
  return !(fclose(f) == 0 && ok);
}

/* len8 header data..., as one buffer. */
static int write_raw(const char *dir, const char *name, const char *header,
                     size_t hlen, size_t data_len, uint64_t len_field) {
  size_t n = 8 + hlen + data_len;
  unsigned char *p = calloc(n, 1);
  if (!p) return 1;
  uint64_t len = len_field ? len_field : hlen;
  for (int i = 0; i < 8; i++) p[i] = (unsigned char)(len >> (8 * i));
  memcpy(p + 8, header, hlen);
  int rc = write_file(dir, name, p, n);
  free(p);
  return rc;
}

static const char *CONFIG =
    "{\"n\":3,\"d\":4,\"heads\":2,\"layers\":2,\"norm\":\"layernorm\","
    "\"mlp\":3,\"activation\":\"gelu\",\"loss\":\"xent\",\"vocab\":5}";

int good_case(ar_tensorset *s) {
  ar_error err = {0};
  ar_config c;
  ar_tensorset_init(s);
  if (ar_config_parse(CONFIG, "good case", &c, &err)) return 1;
  char **names;
  int count = ar_case_input_names(&c, &names, &err);
  if (count < 0) return 1;
  for (int i = 0; i < count; i++) {
    int64_t dims[AR_MAX_DIMS];
    int ndim = ar_case_input_shape(&c, names[i], dims);
    int is_labels = strcmp(names[i], "labels") == 0;
    ar_tensor *t = ar_tensorset_add(s, names[i], is_labels ? AR_I64 : AR_F64,
                                    ndim, dims, &err);
    for (int64_t k = 0; t && k < t->numel; k++) {
      if (is_labels)
        t->idata[k] = (k * 3) % c.vocab;
      else
        t->data[k] = sin((double)(i * 31 + k)) * 0.5;
    }
  }
  ar_names_free(names, count);
  ar_tensorset_set_meta(s, AR_CONFIG_KEY, CONFIG, &err);
  return err.code != 0;
}

/* A good case with one change, written by the library writer. */
static int write_variant(const char *dir, const char *name) {
  ar_tensorset s;
  ar_error err = {0};
  if (good_case(&s)) return 1;
  int64_t d45[2] = {4, 5}, n3 = 3;
  if (!strcmp(name, "nan-in-x")) ar_tensorset_find(&s, "x")->data[2] = NAN;
  if (!strcmp(name, "inf-in-weight"))
    ar_tensorset_find(&s, "layers.1.wv")->data[5] = INFINITY;
  if (!strcmp(name, "f16-overflow-in-weight")) {
    ar_tensor *t = ar_tensorset_find(&s, "layers.0.mlp.w1");
    t->dtype = AR_F16;
    t->data[0] = -1e5; /* beyond 65504: rounds to -Inf when written */
  }
  if (!strcmp(name, "missing-config")) {
    for (size_t i = 0; i < s.nmeta; i++) free(s.meta[i].key), free(s.meta[i].value);
    s.nmeta = 0;
  }
  if (!strcmp(name, "config-not-json"))
    ar_tensorset_set_meta(&s, AR_CONFIG_KEY, "{\"n\":3,", &err);
  if (!strcmp(name, "config-unknown-key"))
    ar_tensorset_set_meta(&s, AR_CONFIG_KEY,
                          "{\"n\":3,\"d\":4,\"heads\":2,\"layers\":2,"
                          "\"nomr\":\"layernorm\"}",
                          &err);
  if (!strcmp(name, "config-size-overflow"))
    ar_tensorset_set_meta(&s, AR_CONFIG_KEY,
                          "{\"n\":1099511627776,\"d\":4,\"heads\":2,"
                          "\"layers\":2}",
                          &err);
  if (!strcmp(name, "config-heads"))
    ar_tensorset_set_meta(&s, AR_CONFIG_KEY,
                          "{\"n\":3,\"d\":4,\"heads\":3,\"layers\":2}", &err);
  if (!strcmp(name, "missing-tensor")) {
    ar_tensor *t = ar_tensorset_find(&s, "layers.1.mlp.b2");
    free(t->name);
    free(t->data);
    *t = s.t[--s.count];
  }
  if (!strcmp(name, "wrong-shape")) ar_tensorset_add(&s, "layers.1.wq", AR_F64, 2, d45, &err);
  if (!strcmp(name, "scalar-for-vector"))
    ar_tensorset_add_scalar(&s, "layers.0.norm1.bias", 1.0, &err);
  if (!strcmp(name, "label-out-of-range")) ar_tensorset_find(&s, "labels")->idata[1] = 5;
  if (!strcmp(name, "label-negative")) ar_tensorset_find(&s, "labels")->idata[0] = -1;
  if (!strcmp(name, "labels-not-i64")) ar_tensorset_add(&s, "labels", AR_F64, 1, &n3, &err);
  if (!strcmp(name, "weight-is-i64")) {
    int64_t d44[2] = {4, 4};
    ar_tensorset_add(&s, "layers.0.wo", AR_I64, 2, d44, &err);
  }
  if (!strcmp(name, "unexpected-tensor")) ar_tensorset_add_scalar(&s, "layers.0.wqq", 0, &err);
  if (!strcmp(name, "unexpected-layer")) ar_tensorset_add_scalar(&s, "layers.2.wq", 0, &err);
  if (!strcmp(name, "unexpected-leading-zero"))
    ar_tensorset_add_scalar(&s, "layers.01.wq", 0, &err);
  if (!strcmp(name, "unexpected-loss-tensor"))
    ar_tensorset_add_matrix(&s, "cotangent", 3, 4, &err);
  if (!strcmp(name, "hostile-name")) ar_tensorset_add_scalar(&s, "x\ny", 0, &err);
  if (!strcmp(name, "long-name")) { /* cut short in the message */
    char longname[2000];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    ar_tensorset_add_scalar(&s, longname, 0, &err);
  }
  char path[1024];
  snprintf(path, sizeof path, "%s/%s.safetensors", dir, name);
  int rc = err.code || ar_safetensors_write(path, &s, &err);
  if (rc) fprintf(stderr, "corpus %s: %s\n", name, err.msg);
  ar_tensorset_free(&s);
  return rc;
}

/* The good case's bytes with the data cut short by 4 bytes. */
static int write_truncated_data(const char *dir) {
  char path[1024];
  ar_tensorset s;
  ar_error err = {0};
  if (good_case(&s)) return 1;
  snprintf(path, sizeof path, "%s/truncated-data.safetensors", dir);
  int rc = ar_safetensors_write(path, &s, &err);
  ar_tensorset_free(&s);
  FILE *f = fopen(path, "rb");
  if (rc || !f) return 1;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fclose(f);
  return truncate(path, n - 4) != 0;
}

int write_bad_corpus(const char *dir) {
  int failed = 0;
  failed += write_file(dir, "empty", "", 0);
  failed += write_file(dir, "truncated-length", "\x10\x00\x00\x00\x00", 5);
  failed += write_raw(dir, "header-length-zero", "", 0, 8, 0);
  failed += write_truncated_data(dir);
  for (size_t i = 0; i < sizeof raw / sizeof raw[0]; i++) {
    if (!raw[i].header) continue;
    failed += write_raw(dir, raw[i].name, raw[i].header, strlen(raw[i].header),
                        (size_t)raw[i].data_len, raw[i].len_override);
  }
  /* Nesting deeper than the JSON parser allows must fail, not recurse. */
  enum { DEPTH = 5000 };
  char *deep = malloc(2 * DEPTH + 16);
  if (!deep) return failed + 1;
  size_t at = 0;
  at += (size_t)sprintf(deep, "{\"x\":");
  for (int i = 0; i < DEPTH; i++) deep[at++] = '[';
  for (int i = 0; i < DEPTH; i++) deep[at++] = ']';
  deep[at++] = '}';
  failed += write_raw(dir, "deep-nesting", deep, at, 0, 0);
  free(deep);
  static const char nul[] = "{\"x\":{\"dtype\":\"F64\"\0,\"shape\":[1],\"data_offsets\":[0,8]}}";
  failed += write_raw(dir, "header-nul-byte", nul, sizeof nul - 1, 8, 0);
  for (int i = 0; i < bad_corpus_count; i++)
    if (bad_corpus[i].variant) failed += write_variant(dir, bad_corpus[i].name);
  return failed;
}
