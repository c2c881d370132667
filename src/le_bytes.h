/* Little-endian byte order, assembled byte by byte: no unaligned pointer
 * casts, and correct on any host whose double is IEEE binary64. */
#ifndef ATTNREF_LE_BYTES_H
#define ATTNREF_LE_BYTES_H

#include <stdint.h>
#include <string.h>

static inline uint64_t ar_le_u64(const unsigned char *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
  return v;
}
static inline uint32_t ar_le_u32(const unsigned char *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
         (uint32_t)p[3] << 24;
}
static inline uint16_t ar_le_u16(const unsigned char *p) {
  return (uint16_t)(p[0] | p[1] << 8);
}
static inline void ar_put_le_u64(unsigned char *p, uint64_t v) {
  for (int i = 0; i < 8; i++, v >>= 8) p[i] = (unsigned char)(v & 0xff);
}
static inline void ar_put_le_u32(unsigned char *p, uint32_t v) {
  for (int i = 0; i < 4; i++, v >>= 8) p[i] = (unsigned char)(v & 0xff);
}
static inline void ar_put_le_u16(unsigned char *p, uint16_t v) {
  p[0] = (unsigned char)(v & 0xff);
  p[1] = (unsigned char)(v >> 8);
}
static inline double ar_bits_to_double(uint64_t b) {
  double d;
  memcpy(&d, &b, sizeof d);
  return d;
}
static inline uint64_t ar_double_to_bits(double d) {
  uint64_t b;
  memcpy(&b, &d, sizeof b);
  return b;
}
static inline float ar_bits_to_float(uint32_t b) {
  float f;
  memcpy(&f, &b, sizeof f);
  return f;
}
static inline uint32_t ar_float_to_bits(float f) {
  uint32_t b;
  memcpy(&b, &f, sizeof b);
  return b;
}

#endif
