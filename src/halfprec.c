/* IEEE binary16 and bfloat16 <-> double, written out by hand (no compiler
 * _Float16 needed): widening is exact, narrowing rounds to nearest, ties to
 * even, with subnormals and overflow to infinity. The rounding is done on
 * integers, so it does not depend on the floating-point environment. */
#include <math.h>
#include <stdint.h>

#include "safetensors.h"

/* A small binary format: mbits stored mantissa bits, ebits exponent bits. */
typedef struct {
  int mbits, ebits;
} small_fmt;

static const small_fmt F16 = {10, 5}, BF16 = {7, 8};

/* x <- nearest integer to v >= 0, ties to even (v < 2^52, so v - floor(v) is
 * exact). */
static double round_even(double v) {
  double fl = floor(v), r = v - fl;
  if (r > 0.5 || (r == 0.5 && fmod(fl, 2.0) != 0.0)) return fl + 1.0;
  return fl;
}

/* bits <- RNE(x) in format f. */
static uint16_t narrow(double x, small_fmt f) {
  const int bias = (1 << (f.ebits - 1)) - 1, emin = 1 - bias, emax = bias;
  const uint16_t sign = signbit(x) ? (uint16_t)(1u << (f.mbits + f.ebits)) : 0;
  const uint16_t inf = (uint16_t)(((1u << f.ebits) - 1) << f.mbits);
  if (isnan(x)) return (uint16_t)(sign | inf | (1u << (f.mbits - 1)));
  double ax = fabs(x);
  if (isinf(ax)) return sign | inf;
  if (ax < ldexp(1.0, emin)) {
    /* Subnormal (or zero): units of 2^(emin - mbits). Scaling up by a power of
     * two is exact; q == 2^mbits is the smallest normal, whose bit pattern
     * the same expression gives. */
    double q = round_even(ldexp(ax, f.mbits - emin));
    return (uint16_t)(sign | (uint16_t)q);
  }
  int k;
  frexp(ax, &k); /* ax = m * 2^k, m in [0.5, 1) */
  int e = k - 1;
  double m = round_even(ldexp(ax, f.mbits - e)); /* in [2^mbits, 2^(mbits+1)] */
  if (m == ldexp(1.0, f.mbits + 1)) {
    m = ldexp(1.0, f.mbits);
    e++;
  }
  if (e > emax) return sign | inf;
  uint32_t frac = (uint32_t)m - (1u << f.mbits);
  return (uint16_t)(sign | (uint32_t)(e + bias) << f.mbits | frac);
}

/* x <- the exact value of bits in format f. */
static double widen(uint16_t h, small_fmt f) {
  const int bias = (1 << (f.ebits - 1)) - 1;
  uint32_t frac = h & ((1u << f.mbits) - 1);
  uint32_t e = (h >> f.mbits) & ((1u << f.ebits) - 1);
  double v;
  if (e == 0)
    v = ldexp((double)frac, 1 - bias - f.mbits);
  else if (e == (1u << f.ebits) - 1)
    v = frac ? NAN : INFINITY;
  else
    v = ldexp((double)(frac | (1u << f.mbits)), (int)e - bias - f.mbits);
  return (h >> (f.mbits + f.ebits)) & 1 ? -v : v;
}

uint16_t ar_double_to_f16(double x) { return narrow(x, F16); }
uint16_t ar_double_to_bf16(double x) { return narrow(x, BF16); }
double ar_f16_to_double(uint16_t h) { return widen(h, F16); }
double ar_bf16_to_double(uint16_t h) { return widen(h, BF16); }
