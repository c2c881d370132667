/* The whole model's hand-derived backward against central finite
 * differences of its forward loss, in MPFR at 256 bits, on configs that
 * together cover every feature (heads > 1, causal, residual off, layernorm,
 * rmsnorm, relu and gelu MLPs, each loss, explicit scale, 3 layers):
 *   1. every gradient entry of a 256-bit run, incl. grad.act.layers.{l}
 *      (perturbing that layer's output and recomputing the layers above),
 *      agrees with (L(v+h) - L(v-h))/2h, h = 2^-60, to 1e-25 relative;
 *   2. the certified doubles ar_path_ref writes are within half an ulp
 *      (plus the FD error) of the same finite differences, and the loss and
 *      activations round the 256-bit forward. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ref/model.h"
#include "ref/ref.h"
#include "tcase.h"
#include "testutil.h"

#define HBITS 60
#define PREC 256

static long checked;

/* loss(v +- h) for the value v, recomputing from layer `first` */
static void central(ref_run *f, mpfr_ptr v, int64_t first, mpfr_ptr fd,
                    ar_error *err) {
  mpfr_t v0, lp;
  mpfr_init2(v0, mpfr_get_prec(v));
  mpfr_init2(lp, PREC);
  mpfr_set(v0, v, MPFR_RNDN);
  mpfr_t h;
  mpfr_init2(h, 2);
  mpfr_set_ui_2exp(h, 1, -HBITS, MPFR_RNDN);
  mpfr_add(v, v0, h, MPFR_RNDN); /* exact: v has 53 significant bits */
  ref_run_forward_from(f, first, err);
  mpfr_set(lp, &f->loss->v[0], MPFR_RNDN);
  mpfr_sub(v, v0, h, MPFR_RNDN);
  ref_run_forward_from(f, first, err);
  mpfr_sub(fd, lp, &f->loss->v[0], MPFR_RNDN);
  mpfr_mul_2si(fd, fd, HBITS - 1, MPFR_RNDN);
  mpfr_set(v, v0, MPFR_RNDN);
  mpfr_clears(v0, lp, h, (mpfr_ptr)0);
}

/* |fd - g| <= 1e-25 max(|g|, 1e-3) in MPFR; and the certified double
 * (NULL to skip) within ulp/2 + 1e-25 of fd */
static void check(const char *what, const char *name, int64_t k,
                  mpfr_srcptr fd, mpfr_srcptr g, const double *dbl,
                  const char *desc, uint64_t seed) {
  mpfr_t diff, tol;
  mpfr_inits2(PREC, diff, tol, (mpfr_ptr)0);
  mpfr_sub(diff, fd, g, MPFR_RNDN);
  mpfr_abs(diff, diff, MPFR_RNDN);
  mpfr_abs(tol, g, MPFR_RNDN);
  if (mpfr_cmp_d(tol, 1e-3) < 0) mpfr_set_d(tol, 1e-3, MPFR_RNDN);
  mpfr_mul_d(tol, tol, 1e-25, MPFR_RNDN);
  checked++;
  if (mpfr_cmp(diff, tol) > 0) {
    t_failures++;
    mpfr_fprintf(stderr,
                 "FAIL %s: %s[%lld]: adjoint %.30Rg, finite difference "
                 "%.30Rg (|diff| %.3Rg)\n  seed %llu, %s\n",
                 what, name, (long long)k, g, fd, diff,
                 (unsigned long long)seed, desc);
  }
  if (dbl) {
    /* |dbl - fd| <= 2^-53 |fd| + 1e-25 max(|fd|, 1e-3) */
    mpfr_set_d(diff, *dbl, MPFR_RNDN);
    mpfr_sub(diff, diff, fd, MPFR_RNDN);
    mpfr_abs(diff, diff, MPFR_RNDN);
    mpfr_abs(tol, fd, MPFR_RNDN);
    mpfr_mul_2si(tol, tol, -53, MPFR_RNDN);
    mpfr_t slack;
    mpfr_init2(slack, 64);
    mpfr_abs(slack, fd, MPFR_RNDN);
    if (mpfr_cmp_d(slack, 1e-3) < 0) mpfr_set_d(slack, 1e-3, MPFR_RNDN);
    mpfr_mul_d(slack, slack, 1e-25, MPFR_RNDN);
    mpfr_add(tol, tol, slack, MPFR_RNDN);
    mpfr_clear(slack);
    if (mpfr_cmp(diff, tol) > 0) {
      t_failures++;
      mpfr_fprintf(stderr,
                   "FAIL %s (certified double): %s[%lld]: %.17g, finite "
                   "difference %.30Rg\n  seed %llu, %s\n",
                   what, name, (long long)k, *dbl, fd,
                   (unsigned long long)seed, desc);
    }
  }
  mpfr_clears(diff, tol, (mpfr_ptr)0);
}

static const double *find_data(const ar_tensorset *out, const char *name,
                               int64_t numel, const char *desc,
                               uint64_t seed) {
  ar_tensor *t = ar_tensorset_find(out, name);
  if (!t || t->numel != numel || !t->data) {
    t_failures++;
    fprintf(stderr, "FAIL: output %s missing or of the wrong size\n  seed %llu, %s\n",
            name, (unsigned long long)seed, desc);
    return NULL;
  }
  return t->data;
}

static void run_config(const ar_config *c, uint64_t seed) {
  char desc[512];
  tcase_describe(c, desc, sizeof desc);
  tcase t;
  if (tcase_make(&t, c, seed, "t-model-fd")) {
    fprintf(stderr, "FAIL: out of memory making the case\n");
    t_failures++;
    return;
  }
  ar_error err;
  ar_error_clear(&err);
  ar_path_options o;
  ar_path_options_defaults(&o);
  ar_tensorset out;
  ar_tensorset_init(&out);
  int before = t_failures;
  if (ar_path_run(&ar_path_ref, &t.c, &o, &out, &err)) {
    fprintf(stderr, "FAIL: ar_path_ref: %s\n  seed %llu, %s\n", err.msg,
            (unsigned long long)seed, desc);
    t_failures++;
    goto done;
  }
  ref_run *r = ref_run_new(&t.c, PREC, &err);
  ref_run *f = ref_run_new(&t.c, PREC, &err);
  if (!r || !f || ref_run_forward(r, &err) || ref_run_backward(r, &err) ||
      ref_run_forward(f, &err)) {
    fprintf(stderr, "FAIL: 256-bit run: %s\n", err.msg);
    t_failures++;
    ref_run_free(r);
    ref_run_free(f);
    goto done;
  }
  mpfr_t fd;
  mpfr_init2(fd, PREC);
  char name[128];
  /* loss and activations: the certified doubles round the 256-bit values */
  const double *lossd = find_data(&out, "loss", 1, desc, seed);
  if (lossd && *lossd != mpfr_get_d(&r->loss->v[0], MPFR_RNDN)) {
    t_failures++;
    fprintf(stderr, "FAIL: loss %.17g is not RN(256-bit loss)\n  seed %llu, %s\n",
            *lossd, (unsigned long long)seed, desc);
  }
  for (int64_t l = 0; l < c->layers; l++) {
    snprintf(name, sizeof name, "act.layers.%lld", (long long)l);
    const double *a = find_data(&out, name, c->n * c->d, desc, seed);
    for (int64_t k = 0; a && k < c->n * c->d; k++)
      if (a[k] != mpfr_get_d(&r->layer[l].out->v[k], MPFR_RNDN)) {
        t_failures++;
        fprintf(stderr, "FAIL: %s[%lld] is not RN(256-bit value)\n", name,
                (long long)k);
        break;
      }
  }
  /* every input's gradient */
  for (int i = 0; i < f->nin; i++) {
    ref_input *e = &f->in[i];
    snprintf(name, sizeof name, "grad.%s", e->name);
    int64_t count = e->val->rows * e->val->cols;
    const double *dbl = find_data(&out, name, count, desc, seed);
    for (int64_t k = 0; k < count; k++) {
      central(f, &e->val->v[k], 0, fd, &err);
      check("input gradient", name, k, fd, &r->in[i].grad->v[k],
            dbl ? &dbl[k] : NULL, desc, seed);
    }
  }
  /* dL/d(output of layer l): perturb it, recompute layers l+1.. and loss */
  for (int64_t l = 0; l < c->layers; l++) {
    snprintf(name, sizeof name, "grad.act.layers.%lld", (long long)l);
    const double *dbl = find_data(&out, name, c->n * c->d, desc, seed);
    ref_run_forward(f, &err); /* fresh activations below layer l */
    for (int64_t k = 0; k < c->n * c->d; k++) {
      central(f, &f->layer[l].out->v[k], l + 1, fd, &err);
      check("activation gradient", name, k, fd, &r->gact[l]->v[k],
            dbl ? &dbl[k] : NULL, desc, seed);
    }
  }
  if (err.code) {
    t_failures++;
    fprintf(stderr, "FAIL: %s\n", err.msg);
  }
  mpfr_clear(fd);
  ref_run_free(r);
  ref_run_free(f);
  printf("%s %s (seed %llu)\n", t_failures == before ? "ok  " : "FAIL", desc,
         (unsigned long long)seed);
done:
  ar_tensorset_free(&out);
  tcase_free(&t);
}

int main(int argc, char **argv) {
  uint64_t seed = argc > 1 ? strtoull(argv[1], NULL, 0) : 20261123;
  const ar_config configs[] = {
      tcase_config(4, 4, 2, 1, 1, 1, AR_NORM_NONE, 0, AR_ACT_RELU, AR_LOSS_MSE, 0, 0),
      tcase_config(5, 4, 1, 2, 0, 0, AR_NORM_LAYER, 6, AR_ACT_RELU, AR_LOSS_LINEAR, 0, 0),
      tcase_config(3, 4, 2, 3, 1, 1, AR_NORM_RMS, 5, AR_ACT_GELU, AR_LOSS_XENT, 5, 0),
      tcase_config(5, 2, 2, 2, 1, 0, AR_NORM_NONE, 3, AR_ACT_GELU, AR_LOSS_MSE, 0, 0.7),
      tcase_config(4, 4, 4, 3, 0, 1, AR_NORM_LAYER, 6, AR_ACT_GELU, AR_LOSS_XENT, 3, 0),
      tcase_config(5, 3, 1, 1, 1, 1, AR_NORM_RMS, 4, AR_ACT_RELU, AR_LOSS_LINEAR, 0, 1.3),
      tcase_config(5, 4, 2, 3, 1, 0, AR_NORM_LAYER, 0, AR_ACT_RELU, AR_LOSS_MSE, 0, 0),
  };
  int count = (int)(sizeof configs / sizeof configs[0]);
  for (int i = 0; i < count; i++) run_config(&configs[i], seed + (uint64_t)i);
  printf("%ld gradient entries checked, %d failures\n", checked, t_failures);
  return t_failures ? 1 : 0;
}
