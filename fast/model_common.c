/* What the double and float models share and is not written over `real`:
 * thread set-up and the memory estimate. */
#include <omp.h>

#include "model.h"

void fa_set_threads(int threads) {
  if (threads > 0) omp_set_num_threads(threads);
}

/* bytes <- values the model allocates at its width + the result doubles */
int64_t fa_model_bytes(const ar_config *c, int real_bytes) {
  /* counted in double: an overflow shows as a value past 2^62, not a wrap */
  double n = (double)c->n, d = (double)c->d, m = (double)c->mlp,
         L = (double)c->layers, H = (double)c->heads, V = (double)c->vocab;
  int norm = c->norm != AR_NORM_NONE, xent = c->loss == AR_LOSS_XENT;
  double nd = n * d;
  double layer = nd * 4 + H * n                          /* Q K U C, saved */
                 + (norm ? nd + 2 * n : 0)               /* Norm1 */
                 + (m > 0 ? nd + 2 * n * m : 0)          /* Y, P, act(P) */
                 + (m > 0 && norm ? nd + 2 * n : 0);     /* Norm2 */
  double weights = L * (4 * d * d + 4 * d + 2 * d * m + m + d) +
                   (xent ? d * V : nd);
  double vals = (L + 1) * nd + L * layer                 /* forward */
                + (xent ? 2 * n * V + d * V : 0)         /* softmax, dLg, dWu */
                + 7 * nd + n * m + d * (d > m ? d : m)   /* backward */
                + (real_bytes < 8 ? weights + nd : 0);   /* rounded inputs */
  double results = 1 + 2 * L * nd + nd + weights;        /* doubles */
  double bytes = vals * real_bytes + results * 8 + 2 * (m > 2 * d ? m : 2 * d) * 8;
  return bytes < 4.0e18 ? (int64_t)bytes : -1;
}
