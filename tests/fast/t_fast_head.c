/* The exact tiled head (fast/attn_exact.h), double and float, against the
 * naive long-double head with explicit n x n masked softmax: forward O and
 * saved log-sum-exp, backward dQ dK dU, for n around the tile size (1, n <
 * tile, n = tile, tile + 1, several tiles), causal or not, head dimensions
 * 1 to 16, scores up to ~1000 (where exp without the running max
 * overflows), and a head embedded in wider rows (ld > dh) whose other
 * columns must be left untouched. Usage: t_fast_head [seed]. */
#include <stdlib.h>

#include "fast/attn_exact.h"
#include "headcheck.h"

/* Runs one spec at width `bits` (64: fa_head_exact; 32: fa_head_exact_f32). */
static void run_spec(const head_spec *s, uint64_t seed, int bits) {
  exact_head_check(s, seed, bits, &fa_head_exact, &fa_head_exact_f32, "",
                   NULL);
}

int main(int argc, char **argv) {
  uint64_t seed = argc > 1 ? strtoull(argv[1], NULL, 10) : 20261123;
  const int64_t T = FA_EXACT_TILE_ROWS;
  const int64_t ns[] = {1, 2, 5, T - 1, T, T + 1, 2 * T + 3};
  const int64_t dhs[] = {1, 4, 16};
  int runs = 0;
  for (size_t a = 0; a < sizeof ns / sizeof ns[0]; a++)
    for (size_t b = 0; b < sizeof dhs / sizeof dhs[0]; b++)
      for (int causal = 0; causal < 2; causal++)
        for (int bits = 64; bits >= 32; bits -= 32) {
          head_spec s = {ns[a], dhs[b], causal, 1.0};
          run_spec(&s, seed + (uint64_t)runs++, bits);
        }
  /* scores up to ~1000: the running max keeps exp finite */
  for (int causal = 0; causal < 2; causal++)
    for (int bits = 64; bits >= 32; bits -= 32) {
      head_spec s = {T + 40, 8, causal, 300.0};
      run_spec(&s, seed + (uint64_t)runs++, bits);
    }
  printf("t_fast_head: %d head runs, %d failures\n", runs, t_failures);
  return t_failures ? 1 : 0;
}
