/* MLP activations: relu (relu'(0) = 0) and exact gelu(x) = x Phi(x). The
 * MLP's two linear maps are linear_forward/backward (op_matmul.c). */
#include "ops.h"

/* Hact (n x m) <- act(Hpre); gelu keeps aux = Phi(Hpre) */
void act_forward(mpctx *c, ar_act act, mpmat *Hact, mpmat *aux,
                 const mpmat *Hpre) {
  int64_t count = Hpre->rows * Hpre->cols;
  for (int64_t k = 0; k < count; k++) {
    mpfr_ptr x = &Hpre->v[k];
    if (act == AR_ACT_RELU) {
      ar_ref_cnt.other++;
      if (mpfr_sgn(x) > 0)
        mpfr_set(&Hact->v[k], x, RND);
      else
        mpfr_set_zero(&Hact->v[k], 1);
    } else {
      /* Phi(x) = (1 + erf(x/sqrt2))/2 = erfc(-x/sqrt2)/2: erfc has no
       * cancellation for x << 0, where 1 + erf would */
      mpfr_ptr phi = &aux->v[k];
      c_mul(phi, x, c->ninv_sqrt2);
      c_erfc(phi, phi);
      c_mul_2si(phi, phi, -1);
      c_mul(&Hact->v[k], x, phi);
    }
  }
}

/* relu: y = x [x > 0]  =>  dx = dy [x > 0] (relu'(0) = 0).
 * gelu: y = x Phi(x)   =>  dx = dy (Phi(x) + x phi(x)),
 *   phi(x) = Phi'(x) = exp(-x^2/2)/sqrt(2 pi); Phi + x phi is one fma. */
void act_backward(mpctx *c, ar_act act, mpmat *dHpre, const mpmat *dHact,
                  const mpmat *Hpre, const mpmat *aux) {
  int64_t count = Hpre->rows * Hpre->cols;
  mpfr_ptr t = c->t[0];
  for (int64_t k = 0; k < count; k++) {
    mpfr_ptr x = &Hpre->v[k];
    if (act == AR_ACT_RELU) {
      ar_ref_cnt.other++;
      if (mpfr_sgn(x) > 0)
        mpfr_set(&dHpre->v[k], &dHact->v[k], RND);
      else
        mpfr_set_zero(&dHpre->v[k], 1);
    } else {
      /* t = exp(-x^2/2)/sqrt(2 pi); t = Phi + x t; dx = dy t */
      c_mul(t, x, x);
      c_mul_2si(t, t, -1);
      c_neg(t, t);
      c_exp(t, t);
      c_mul(t, t, c->inv_sqrt2pi);
      c_fma(t, x, t, &aux->v[k]);
      c_mul(&dHpre->v[k], &dHact->v[k], t);
    }
  }
}
