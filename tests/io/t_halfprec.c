/* f16/bf16 <-> double: widening is exact and narrowing is round to nearest,
 * ties to even, with subnormals and overflow to infinity. Checked against
 * IEEE facts (known encodings), exhaustively over all 2^16 patterns, and on
 * random and tie-point doubles against a second, integer-only rounding
 * written here from the double's bits (and the compiler's _Float16 when it
 * has one). */
#include <math.h>
#include <string.h>

#include "src/safetensors.h"
#include "testutil.h"

typedef struct {
  int mbits, ebits;
} fmt;
static const fmt F16 = {10, 5}, BF16 = {7, 8};

/* RNE of x into fmt, done on the integer significand of x. */
static uint16_t ref_narrow(double x, fmt f) {
  uint64_t b;
  memcpy(&b, &x, 8);
  int bias = (1 << (f.ebits - 1)) - 1, emin = 1 - bias, emax = bias;
  uint16_t sign = (uint16_t)((b >> 63) << (f.mbits + f.ebits));
  uint16_t inf = (uint16_t)(((1u << f.ebits) - 1) << f.mbits);
  int be = (int)((b >> 52) & 0x7ff);
  uint64_t m = b & ((1ULL << 52) - 1);
  if (be == 0x7ff) return m ? (uint16_t)(sign | inf | 1u << (f.mbits - 1)) : sign | inf;
  int e = be ? be - 1023 : -1022; /* x = m * 2^(e-52) */
  if (be) m |= 1ULL << 52;
  if (m == 0) return sign;
  while (m < (1ULL << 52)) m <<= 1, e--; /* normalise double subnormals */
  int q = (e > emin ? e : emin) - f.mbits; /* result quantum 2^q */
  int s = q - (e - 52);                     /* right shift, > 0 */
  uint64_t r;
  if (s >= 64) {
    r = 0;
  } else {
    r = m >> s;
    uint64_t rem = m & ((1ULL << s) - 1), half = 1ULL << (s - 1);
    if (rem > half || (rem == half && (r & 1))) r++;
  }
  if (e < emin) return (uint16_t)(sign | r); /* r <= 2^mbits: subnormal or min normal */
  if (r == (1ULL << (f.mbits + 1))) r >>= 1, e++;
  if (e > emax) return sign | inf;
  return (uint16_t)(sign | (e + bias) << f.mbits | (r - (1ULL << f.mbits)));
}

static int is_nan16(uint16_t h, fmt f) {
  uint16_t inf = (uint16_t)(((1u << f.ebits) - 1) << f.mbits);
  return (h & inf) == inf && (h & ((1u << f.mbits) - 1));
}

static void known_cases(void) {
  const struct {
    double x;
    uint16_t f16, bf16;
  } k[] = {
      {1.0, 0x3c00, 0x3f80},
      {-2.0, 0xc000, 0xc000},
      {0.0, 0x0000, 0x0000},
      {-0.0, 0x8000, 0x8000},
      {1.0 + 0x1p-11, 0x3c00, 0x3f80},      /* f16 tie -> even (down) */
      {1.0 + 3 * 0x1p-11, 0x3c02, 0x3f80},  /* f16 tie -> even (up) */
      {1.0 + 0x1p-8, 0x3c04, 0x3f80},       /* bf16 tie -> even (down) */
      {1.0 + 3 * 0x1p-8, 0x3c0c, 0x3f82},   /* bf16 tie -> even (up) */
      {1.0 + 0x1p-11 + 0x1p-40, 0x3c01, 0x3f80}, /* just above the tie */
      {65504.0, 0x7bff, 0x4780},            /* f16 max */
      {65519.99, 0x7bff, 0x4780},
      {65520.0, 0x7c00, 0x4780}, /* tie between max and 2^16: even is inf */
      {-1e6, 0xfc00, 0xc974},
      {0x1p-24, 0x0001, 0x3380},            /* f16 smallest subnormal */
      {0x1p-25, 0x0000, 0x3300},            /* tie 0 / 2^-24 -> 0 */
      {0x1p-25 * 1.0000001, 0x0001, 0x3300},
      {3 * 0x1p-25, 0x0002, 0x33c0},        /* tie 1 / 2 units -> 2 */
      {1023 * 0x1p-24, 0x03ff, 0x3880}, /* largest f16 subnormal */
      {1023.5 * 0x1p-24, 0x0400, 0x3880},   /* tie -> min normal */
      {0x1p-14, 0x0400, 0x3880},
      {0x1p-133, 0x0000, 0x0001},           /* bf16 smallest subnormal */
      {0x1p-134, 0x0000, 0x0000},           /* bf16 tie -> 0 */
      {3 * 0x1p-134, 0x0000, 0x0002},
      {0x1.fep127, 0x7c00, 0x7f7f},         /* bf16 max */
      {0x1.ffp127, 0x7c00, 0x7f80},         /* tie with 2^128: even is inf */
      {0x1p-1074, 0x0000, 0x0000},
      {-0x1p-1074, 0x8000, 0x8000},
      {1e300, 0x7c00, 0x7f80},
      {INFINITY, 0x7c00, 0x7f80},
      {-INFINITY, 0xfc00, 0xff80},
  };
  for (size_t i = 0; i < sizeof k / sizeof k[0]; i++) {
    uint16_t h = ar_double_to_f16(k[i].x), b = ar_double_to_bf16(k[i].x);
    CHECK(h == k[i].f16, "f16(%a) = %#06x, expected %#06x", k[i].x, h, k[i].f16);
    CHECK(b == k[i].bf16, "bf16(%a) = %#06x, expected %#06x", k[i].x, b,
          k[i].bf16);
  }
  CHECK(is_nan16(ar_double_to_f16(NAN), F16), "f16(NaN) is NaN");
  CHECK(is_nan16(ar_double_to_bf16(-NAN), BF16), "bf16(NaN) is NaN");
  CHECK(ar_f16_to_double(0x0001) == 0x1p-24, "f16 0x0001");
  CHECK(ar_f16_to_double(0x3555) == 0.333251953125, "f16 0x3555");
  CHECK(ar_f16_to_double(0xfbff) == -65504.0, "f16 0xfbff");
  CHECK(ar_bf16_to_double(0x0001) == 0x1p-133, "bf16 0x0001");
  CHECK(ar_bf16_to_double(0x7f7f) == 0x1.fep127, "bf16 max");
  CHECK(isinf(ar_f16_to_double(0x7c00)) && isnan(ar_f16_to_double(0x7e00)), "f16 specials");
}

/* Every pattern: widen is exact (against bf16 as the top of a float, and
 * _Float16), narrow(widen(h)) == h. */
static void exhaustive(void) {
  for (uint32_t h = 0; h < 65536; h++) {
    double w = ar_f16_to_double((uint16_t)h), v = ar_bf16_to_double((uint16_t)h);
    uint32_t fb = h << 16;
    float f;
    memcpy(&f, &fb, 4);
    CHECK(isnan(v) ? isnan(f) : v == f && !signbit(v) == !signbit(f),
          "bf16 %#06x widened to %a", h, v);
#ifdef __FLT16_MAX__
    _Float16 x;
    uint16_t hh = (uint16_t)h;
    memcpy(&x, &hh, 2);
    CHECK(isnan(w) ? isnan((double)x) : w == (double)x, "f16 %#06x widened to %a", h, w);
#endif
    if (!isnan(w))
      CHECK(ar_double_to_f16(w) == h, "f16 %#06x does not round-trip", h);
    if (!isnan(v))
      CHECK(ar_double_to_bf16(v) == h, "bf16 %#06x does not round-trip", h);
  }
}

/* Random doubles around each format's range, and exact midpoints between
 * neighbours (ties) and a double-ulp either side of them. */
static void random_against_reference(uint64_t seed) {
  uint64_t rng = seed;
  for (int i = 0; i < 2000000; i++) {
    const fmt *f = i & 1 ? &F16 : &BF16;
    uint16_t (*narrow)(double) = i & 1 ? ar_double_to_f16 : ar_double_to_bf16;
    double (*widen)(uint16_t) = i & 1 ? ar_f16_to_double : ar_bf16_to_double;
    double x;
    if (i % 4 < 2) {
      int span = f == &F16 ? 50 : 280;
      int e = (int)(t_rand(&rng) % (uint64_t)span) - span / 2 - 5;
      x = ldexp(1.0 + t_uniform(&rng), e) * (t_rand(&rng) & 1 ? -1 : 1);
    } else {
      uint16_t h = (uint16_t)t_rand(&rng);
      double a = widen(h), b = widen((uint16_t)(h + 1));
      if (!isfinite(a) || !isfinite(b) || signbit(a) != signbit(b)) continue;
      x = a / 2 + b / 2; /* exact: both are far from double's limits */
      int nudge = (int)(t_rand(&rng) % 3);
      if (nudge == 1) x = nextafter(x, INFINITY);
      if (nudge == 2) x = nextafter(x, -INFINITY);
    }
    uint16_t got = narrow(x), want = ref_narrow(x, *f);
    CHECK(got == want, "seed %llu: %s(%a) = %#06x, reference %#06x",
          (unsigned long long)seed, f == &F16 ? "f16" : "bf16", x, got, want);
#ifdef __FLT16_MAX__
    if (f == &F16) {
      _Float16 c = (_Float16)x;
      uint16_t cb;
      memcpy(&cb, &c, 2);
      CHECK(got == cb, "f16(%a) = %#06x, compiler %#06x", x, got, cb);
    }
#endif
    if (t_failures > 20) return;
  }
}

int main(void) {
  uint64_t seed = t_seed("t-halfprec");
  known_cases();
  exhaustive();
  random_against_reference(seed);
  return t_done("t-halfprec");
}
