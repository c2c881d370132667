/* exp for the attention tiles, written so that a loop of it vectorizes (no
 * branches, no libm call): the softmax spends one exp per score, as many as
 * the multiply-adds of a head dimension's worth of matrix product, so a
 * scalar libm call would cost as much as the products themselves.
 *
 * exp(x) = 2^k exp(r), k = round(x / ln 2), r = x - k ln 2 (|r| <= ln2/2),
 * exp(r) by its Taylor polynomial (degree 13 in double, 7 in float: the
 * truncation is below half an ulp), 2^k built in the exponent bits.
 * Arguments below the smallest normal result give 0 (the tiles only take
 * exp of scores minus their row maximum, so such terms are below 2^-1021 of
 * the row's sum). The domain is x <= 709 (double), x <= 88 (float): the
 * tiles' arguments are never above 0 (up to rounding). Max error about
 * 1 ulp (tests/fast/t_fast_vexp.c). */
#ifndef ATTNREF_FAST_VEXP_H
#define ATTNREF_FAST_VEXP_H

#include <stdint.h>
#include <string.h>

/* exp(x) in double for x <= 709, 0 for x <= -708 */
static inline __attribute__((always_inline)) double fa_exp64(double x) {
  const double shift = 0x1.8p52; /* t = x/ln2 + shift holds round(x/ln2) in its low bits */
  const double ln2_hi = 0x1.62e42fee00000p-1; /* k * ln2_hi exact for |k| < 2^11 */
  const double ln2_lo = 0x1.a39ef35793c76p-33;
  double xc = x > -708.0 ? x : -708.0; /* keeps 2^k normal; a max */
  double t = xc * 0x1.71547652b82fep0 + shift;
  double kd = t - shift;
  double r = (xc - kd * ln2_hi) - kd * ln2_lo;
  double p = 1.0 / 6227020800.0; /* 1/13! */
  p = p * r + 1.0 / 479001600.0;
  p = p * r + 1.0 / 39916800.0;
  p = p * r + 1.0 / 3628800.0;
  p = p * r + 1.0 / 362880.0;
  p = p * r + 1.0 / 40320.0;
  p = p * r + 1.0 / 5040.0;
  p = p * r + 1.0 / 720.0;
  p = p * r + 1.0 / 120.0;
  p = p * r + 1.0 / 24.0;
  p = p * r + 1.0 / 6.0;
  p = p * r + 0.5;
  p = p * r + 1.0;
  p = p * r + 1.0;
  int64_t tb, sb;
  memcpy(&tb, &t, sizeof tb);
  memcpy(&sb, &shift, sizeof sb);
  int64_t eb = (tb - sb + 1023) << 52; /* bits of 2^k */
  double two_k;
  memcpy(&two_k, &eb, sizeof two_k);
  double e = p * two_k;
  return x > -708.0 ? e : 0.0;
}

/* exp(x) in float for x <= 88, 0 for x <= -87 */
static inline __attribute__((always_inline)) float fa_exp32(float x) {
  const float shift = 0x1.8p23f;
  const float ln2_hi = 0x1.62e4p-1f; /* k * ln2_hi exact for |k| < 2^8 */
  const float ln2_lo = 0x1.7f7d1cp-20f;
  float xc = x > -87.0f ? x : -87.0f;
  float t = xc * 0x1.715476p0f + shift;
  float kd = t - shift;
  float r = (xc - kd * ln2_hi) - kd * ln2_lo;
  float p = 1.0f / 5040.0f;
  p = p * r + 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  int32_t tb, sb;
  memcpy(&tb, &t, sizeof tb);
  memcpy(&sb, &shift, sizeof sb);
  int32_t eb = (int32_t)((uint32_t)(tb - sb + 127) << 23);
  float two_k;
  memcpy(&two_k, &eb, sizeof two_k);
  float e = p * two_k;
  return x > -87.0f ? e : 0.0f;
}

#endif
