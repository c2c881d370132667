/* safetensors files: 8-byte little-endian header length N, N bytes of JSON
 * header {"name": {"dtype","shape","data_offsets":[b,e]}, "__metadata__":{..}},
 * then the raw little-endian data. Readers validate everything; writers are
 * atomic (temp file in the same folder, then rename). */
#ifndef ATTNREF_SAFETENSORS_H
#define ATTNREF_SAFETENSORS_H

#include "tensor.h"

/* Reads path into s (which must be initialised and is cleared first).
 * Checks: file readable, length header present and within the file, header is
 * a JSON object, every entry has a known dtype, a shape of non-negative dims
 * whose byte size matches its data_offsets, offsets in range, sorted, not
 * overlapping and covering the data section; floating values finite (NaN/Inf
 * is an input error naming the tensor and index). Errors: AR_FAIL_INPUT with
 * "PATH: tensor NAME: ...". max_bytes bounds the total widened size (0 = none). */
int ar_safetensors_read(const char *path, ar_tensorset *s, int64_t max_bytes,
                        ar_error *err);

/* As above but NaN/Inf values are accepted (candidates under check may hold
 * them; check reports them as failures instead). */
int ar_safetensors_read_lenient(const char *path, ar_tensorset *s,
                                int64_t max_bytes, ar_error *err);

/* Writes s to path atomically; each tensor in its own dtype (F64 data is
 * written as is; F32/F16/BF16 tensors are rounded to nearest-even from the
 * doubles held). Tensors are written sorted by name. */
int ar_safetensors_write(const char *path, const ar_tensorset *s,
                         ar_error *err);

/* Rounding helpers used by the writer and by check (ULPs): */
uint16_t ar_double_to_f16(double x);   /* RNE */
uint16_t ar_double_to_bf16(double x);  /* RNE */
double ar_f16_to_double(uint16_t h);
double ar_bf16_to_double(uint16_t h);

#endif
