/* The precision loop: two runs, outputs rounded to double must agree. */
#include "certify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One output tensor of a run. */
typedef struct ref_out {
  char name[96];
  int ndim;
  int64_t shape[2];
  const mpmat *m;
} ref_out;

mpfr_prec_t ref_check_prec(mpfr_prec_t p) { return p + (p / 2 > 64 ? p / 2 : 64); }

/* The outputs of r: forward (loss, act.layers.l), then if asked backward
 * (grad.<input>, grad.act.layers.l). Returns the count; list is malloc'd. */
static int list_outputs(const ref_run *r, int with_backward, ref_out **list) {
  int64_t L = r->cfg->layers;
  int cap = (int)(1 + L + (with_backward ? r->nin + L : 0));
  ref_out *o = calloc((size_t)cap, sizeof *o);
  int k = 0;
  if (!o) return -1;
  snprintf(o[k].name, sizeof o[k].name, "loss");
  o[k].ndim = 0;
  o[k++].m = r->loss;
  for (int64_t l = 0; l < L; l++, k++) {
    snprintf(o[k].name, sizeof o[k].name, "act.layers.%lld", (long long)l);
    o[k].ndim = 2;
    o[k].shape[0] = r->cfg->n;
    o[k].shape[1] = r->cfg->d;
    o[k].m = r->layer[l].out;
  }
  if (with_backward) {
    for (int i = 0; i < r->nin; i++, k++) {
      snprintf(o[k].name, sizeof o[k].name, "grad.%s", r->in[i].name);
      o[k].ndim = r->in[i].ndim;
      o[k].shape[0] = r->in[i].shape[0];
      o[k].shape[1] = r->in[i].shape[1];
      o[k].m = r->in[i].grad;
    }
    for (int64_t l = 0; l < L; l++, k++) {
      snprintf(o[k].name, sizeof o[k].name, "grad.act.layers.%lld",
               (long long)l);
      o[k].ndim = 2;
      o[k].shape[0] = r->cfg->n;
      o[k].shape[1] = r->cfg->d;
      o[k].m = r->gact[l];
    }
  }
  *list = o;
  return k;
}

/* hi <- RN(x); lo <- RN(x - hi) (x - hi is exact in tmp: tmp has 64 more
 * bits than x and |x - hi| <= ulp(hi)/2) */
static void round_dd(mpfr_ptr tmp, mpfr_srcptr x, double *hi, double *lo) {
  ar_ref_cnt.other += 2;
  *hi = mpfr_get_d(x, RND);
  if (lo) {
    ar_ref_cnt.add++;
    if (mpfr_get_prec(tmp) != mpfr_get_prec(x) + 64)
      mpfr_set_prec(tmp, mpfr_get_prec(x) + 64);
    mpfr_sub_d(tmp, x, *hi, RND);
    *lo = mpfr_get_d(tmp, RND);
  }
}

/* 0 when every element of a and b rounds to the same double (and low part);
 * else 1 with *bad and *idx naming the first that does not, or 2 when an
 * element of b is not a finite double (NaN, or beyond DBL_MAX): more
 * precision cannot help there. */
static int disagree(const ref_out *oa, const ref_out *ob, int count, int dd,
                    mpfr_ptr tmp, int *bad, int64_t *idx) {
  for (int t = 0; t < count; t++) {
    const mpmat *a = oa[t].m, *b = ob[t].m;
    for (int64_t k = 0; k < a->rows * a->cols; k++) {
      double ha, la, hb, lb;
      round_dd(tmp, &a->v[k], &ha, dd ? &la : NULL);
      round_dd(tmp, &b->v[k], &hb, dd ? &lb : NULL);
      if (!(hb - hb == 0)) {
        *bad = t;
        *idx = k;
        return 2;
      }
      /* == also equates NaNs away from agreement: NaN never agrees */
      if (!(ha == hb) || (dd && !(la == lb))) {
        *bad = t;
        *idx = k;
        return 1;
      }
    }
  }
  return 0;
}

/* Leading bits on which a (p run) and b (p2 run) agree, minimised over the
 * elements with b != 0: floor(-log2(|a - b|/|b|)), capped at p. */
static long agreement_bits(const ref_out *oa, const ref_out *ob, int count,
                           mpfr_prec_t p, mpfr_ptr tmp) {
  long best = (long)p;
  mpfr_t rel;
  mpfr_init2(rel, 64);
  for (int t = 0; t < count; t++) {
    const mpmat *a = oa[t].m, *b = ob[t].m;
    for (int64_t k = 0; k < a->rows * a->cols; k++) {
      mpfr_srcptr x = &a->v[k], y = &b->v[k];
      if (mpfr_zero_p(y) || mpfr_equal_p(x, y)) continue;
      ar_ref_cnt.add++;
      ar_ref_cnt.div++;
      mpfr_sub(rel, x, y, RND);
      mpfr_div(rel, rel, y, RND);
      /* |rel| = m 2^e, m in [1/2, 1): -log2|rel| in (-e, 1-e] */
      long e = (long)mpfr_get_exp(rel);
      long bits = -e;
      mpfr_abs(rel, rel, RND);
      if (mpfr_cmp_ui_2exp(rel, 1, e - 1) == 0) bits = 1 - e;
      if (bits < 0) bits = 0;
      if (bits < best) best = bits;
    }
  }
  (void)tmp;
  mpfr_clear(rel);
  return best;
}

void ref_state_free(ref_state *s) {
  if (!s) return;
  ref_run_free(s->a);
  ref_run_free(s->b);
  free(s);
}

static int make_runs(ref_state *s, ar_error *err) {
  s->p2 = ref_check_prec(s->p);
  s->a = ref_run_new(s->cs, s->p, err);
  if (!s->a) return err->code;
  s->b = ref_run_new(s->cs, s->p2, err);
  if (!s->b) return err->code;
  s->a->progress = s->b->progress = &s->pr;
  int rc = ref_run_forward(s->a, err);
  if (!rc) rc = ref_run_forward(s->b, err);
  s->backward_done = 0;
  return rc;
}

int ref_certify(ref_state *s, int with_backward, ar_error *err) {
  mpfr_t tmp;
  mpfr_init2(tmp, 64);
  int rc = AR_OK;
  for (;;) {
    if (!s->a && (rc = make_runs(s, err))) break;
    if (with_backward && !s->backward_done) {
      if ((rc = ref_run_backward(s->a, err))) break;
      if ((rc = ref_run_backward(s->b, err))) break;
      s->backward_done = 1;
    }
    ref_out *oa = NULL, *ob = NULL;
    int na = list_outputs(s->a, with_backward, &oa);
    int nb = list_outputs(s->b, with_backward, &ob);
    if (na < 0 || nb < 0) {
      free(oa);
      free(ob);
      rc = ar_fail(err, AR_FAIL_INTERNAL, "out of memory");
      break;
    }
    int bad = 0;
    int64_t idx = 0;
    int differ = disagree(oa, ob, na, s->double_double, tmp, &bad, &idx);
    char what[160];
    if (differ)
      snprintf(what, sizeof what, "%s element %lld", ob[bad].name,
               (long long)idx);
    free(oa);
    free(ob);
    if (!differ) break;
    if (differ == 2) {
      rc = ar_fail(err, AR_FAIL_INPUT,
                   "%s: tensor %s is not a finite double (NaN or beyond "
                   "DBL_MAX): the inputs are out of range for this model",
                   s->cs->source ? s->cs->source : "case", what);
      break;
    }
    if (s->p >= REF_MAX_PREC) {
      rc = ar_fail(err, AR_FAIL_INTERNAL,
                   "%s: tensor %s: the %ld- and %ld-bit values still round "
                   "to different doubles; no correctly rounded result up to "
                   "%d bits",
                   s->cs->source ? s->cs->source : "case", what, (long)s->p,
                   (long)s->p2, REF_MAX_PREC);
      break;
    }
    mpfr_prec_t next = 2 * s->p > REF_MAX_PREC ? REF_MAX_PREC : 2 * s->p;
    ref_progress_say(&s->pr, "%s differs at %ld/%ld bits, raising to %ld bits",
                     what, (long)s->p, (long)s->p2, (long)next);
    ref_run_free(s->a);
    ref_run_free(s->b);
    s->a = s->b = NULL;
    s->p = next;
  }
  mpfr_clear(tmp);
  return rc;
}

static int set_meta_long(ar_tensorset *out, const char *key, long v,
                         ar_error *err) {
  char buf[32];
  snprintf(buf, sizeof buf, "%ld", v);
  return ar_tensorset_set_meta(out, key, buf, err);
}

int ref_write_outputs(ref_state *s, int with_backward, ar_tensorset *out,
                      ar_error *err) {
  ref_out *oa = NULL, *ob = NULL;
  int na = list_outputs(s->a, with_backward, &oa);
  int nb = list_outputs(s->b, with_backward, &ob);
  int rc = AR_OK;
  const char *src = s->cs->source ? s->cs->source : "case";
  mpfr_t tmp;
  mpfr_init2(tmp, 64);
  if (na < 0 || nb < 0) {
    rc = ar_fail(err, AR_FAIL_INTERNAL, "out of memory");
    goto done;
  }
  for (int t = 0; t < nb && !rc; t++) {
    const mpmat *m = ob[t].m;
    ar_tensor *hi = ar_tensorset_add(out, ob[t].name, AR_F64, ob[t].ndim,
                                     ob[t].shape, err);
    ar_tensor *lo = NULL;
    if (hi && s->double_double) {
      char name[128];
      snprintf(name, sizeof name, "%s@lo", ob[t].name);
      lo = ar_tensorset_add(out, name, AR_F64, ob[t].ndim, ob[t].shape, err);
      /* ar_tensorset_add may move the array hi points into */
      hi = ar_tensorset_find(out, ob[t].name);
    }
    if (!hi || (s->double_double && !lo)) {
      rc = err->code ? err->code : AR_FAIL_INTERNAL;
      break;
    }
    for (int64_t k = 0; k < m->rows * m->cols; k++) {
      double h, l = 0;
      round_dd(tmp, &m->v[k], &h, lo ? &l : NULL);
      if (!(h - h == 0)) {
        rc = ar_fail(err, AR_FAIL_INPUT,
                     "%s: tensor %s: element %lld is %s (out of the double "
                     "range: inputs too large)",
                     src, ob[t].name, (long long)k,
                     mpfr_nan_p(&m->v[k]) ? "NaN" : "beyond DBL_MAX");
        break;
      }
      hi->data[k] = h;
      if (lo) lo->data[k] = l;
    }
  }
  if (rc) goto done;
  long bits = agreement_bits(oa, ob, na, s->p, tmp);
  char *cfg = ar_config_to_json(&s->cs->cfg);
  if (!cfg) {
    rc = ar_fail(err, AR_FAIL_INTERNAL, "out of memory");
    goto done;
  }
  if ((rc = ar_tensorset_set_meta(out, AR_CONFIG_KEY, cfg, err)) == AR_OK &&
      (rc = ar_tensorset_set_meta(out, AR_META_PATH, "ref", err)) == AR_OK &&
      (rc = set_meta_long(out, AR_META_PREC, (long)s->p, err)) == AR_OK &&
      (rc = set_meta_long(out, AR_META_CHECK_PREC, (long)s->p2, err)) == AR_OK)
    rc = set_meta_long(out, AR_META_CERTIFIED_BITS, bits, err);
  free(cfg);
done:
  mpfr_clear(tmp);
  free(oa);
  free(ob);
  return rc;
}
