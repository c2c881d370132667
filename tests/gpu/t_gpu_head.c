/* The GPU exact head (gpu/attn_flash.h), double and float, against the
 * naive long-double head of tests/fast (explicit n x n masked softmax) with
 * the same componentwise bounds as t-fast-head: forward O and the saved
 * log-sum-exp, backward dQ dK dU; n around the GPU tiles (64 rows, 32 in
 * double past d_h = 64: 1, tile - 1, tile, tile + 1, several tiles), causal
 * or not, head dimensions 1 to 200 (every register width NB = 1..16 and
 * d_h not a multiple of 16), scores up to ~1000 (the running max), and a
 * head embedded in wider rows (ld > dh) whose other columns must be left
 * untouched. Exits 77 (skip) when there is no CUDA device.
 * Usage: t_gpu_head [seed] [quick] ("quick": fewer shapes, for the CPU
 * emulation of the kernels). */
#include <stdlib.h>
#include <string.h>

#include "gpu/attn_flash.h"
#include "gpu/gpu_rt.h"
#include "gpuutil.h"
#include "headcheck.h"

/* one spec at width `bits` (gpu_head_exact64 / gpu_head_exact32), with the
 * checks and bounds of t-fast-head */
static void run_spec(const head_spec *s, uint64_t seed, int bits) {
  exact_head_check(s, seed, bits, &gpu_head_exact64, &gpu_head_exact32,
                   "gpu-", gpu_last_error);
}

int main(int argc, char **argv) {
  uint64_t seed = argc > 1 ? strtoull(argv[1], NULL, 10) : 20261124;
  int quick = argc > 2 && strcmp(argv[2], "quick") == 0;
  gpu_test_require_device("t_gpu_head");
  /* tiles: 64 rows (32 in double past d_h = 64) */
  const int64_t ns[] = {1, 2, 31, 32, 33, 63, 64, 65, 130};
  const int64_t dhs[] = {1, 4, 16, 17, 40, 64, 100, 200};
  const int64_t qn[] = {1, 33, 65}, qdh[] = {1, 17, 40};
  const int64_t *N = quick ? qn : ns, *D = quick ? qdh : dhs;
  size_t nn = quick ? 3 : sizeof ns / sizeof ns[0];
  size_t nd = quick ? 3 : sizeof dhs / sizeof dhs[0];
  int runs = 0;
  for (size_t a = 0; a < nn; a++)
    for (size_t b = 0; b < nd; b++)
      for (int causal = 0; causal < 2; causal++)
        for (int bits = 64; bits >= 32; bits -= 32) {
          head_spec s = {N[a], D[b], causal, 1.0};
          run_spec(&s, seed + (uint64_t)runs++, bits);
        }
  /* register widths 8 and 16 at one n even when quick */
  for (int bits = 64; bits >= 32 && quick; bits -= 32) {
    head_spec s = {40, bits == 64 ? 100 : 200, 1, 1.0};
    run_spec(&s, seed + (uint64_t)runs++, bits);
  }
  /* scores up to ~1000: the running max keeps exp finite */
  for (int causal = 0; causal < 2; causal++)
    for (int bits = 64; bits >= 32; bits -= 32) {
      head_spec s = {quick ? 70 : 300, 8, causal, 300.0};
      run_spec(&s, seed + (uint64_t)runs++, bits);
    }
  printf("t_gpu_head (%s): %d head runs, %d failures\n", gpu_device_name(),
         runs, t_failures);
  return t_failures ? 1 : 0;
}
