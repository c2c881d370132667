/* The harness's measurements: running a path quietly and timed, errors of
 * results against the truth, element-wise bound ratios, log-log slopes
 * (bounds.h). */
#include <cjson/cJSON.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bounds.h"

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int bd_run(const ar_path *p, const ar_tensorset *cs, const ar_path_options *o,
           FILE *log, ar_tensorset *out, double *seconds, ar_error *err) {
  ar_case c;
  memset(&c, 0, sizeof c);
  int rc = ar_case_bind(cs, "bounds case", &c, err);
  if (rc) return rc;
  /* the path's stderr (approx's per-layer lines, ref's precision notes) goes
   * to the log: fd 2 is pointed there for the duration of the run */
  fflush(stderr);
  if (log) fflush(log);
  int saved = dup(2);
  int target = log ? fileno(log) : open("/dev/null", O_WRONLY);
  if (saved >= 0 && target >= 0) dup2(target, 2);
  double t0 = now();
  rc = ar_path_run(p, &c, o, out, err);
  *seconds = now() - t0;
  fflush(stderr);
  if (saved >= 0) {
    dup2(saved, 2);
    close(saved);
  }
  if (!log && target >= 0) close(target);
  ar_case_release(&c);
  return rc;
}

bd_err bd_compare(const ar_tensorset *truth, const ar_tensorset *cand,
                  const char *name) {
  bd_err e = {0, NAN, NAN, NAN, NAN};
  const ar_tensor *t = ar_tensorset_find(truth, name);
  const ar_tensor *c = ar_tensorset_find(cand, name);
  if (!t || !c || !t->data || !c->data || t->numel != c->numel) return e;
  double mx = 0, mt = 0, sd = 0, st = 0;
  for (int64_t i = 0; i < t->numel; i++) {
    double d = fabs(c->data[i] - t->data[i]);
    if (!(d <= mx)) mx = d; /* NaN propagates */
    if (fabs(t->data[i]) > mt) mt = fabs(t->data[i]);
    sd += d * d;
    st += t->data[i] * t->data[i];
  }
  e.present = 1;
  e.max_abs = mx;
  e.max_truth = mt;
  e.normwise = st > 0 ? sqrt(sd) / sqrt(st) : (sd > 0 ? INFINITY : 0);
  e.rel_max = mt > 0 ? mx / mt : (mx > 0 ? INFINITY : 0);
  return e;
}

int bd_bound_ratio(const ar_tensorset *truth, const ar_tensorset *cand,
                   const ar_tensorset *bounds, const ar_tensorset *mags,
                   const char *name, double floor_rel, double *ratio,
                   double *bmax) {
  const ar_tensor *t = ar_tensorset_find(truth, name);
  const ar_tensor *c = ar_tensorset_find(cand, name);
  const ar_tensor *b = ar_tensorset_find(bounds, name);
  const ar_tensor *m = mags ? ar_tensorset_find(mags, name) : NULL;
  if (!t || !c || !b || t->numel != c->numel || t->numel != b->numel ||
      (mags && (!m || m->numel != t->numel)))
    return -1;
  double r = 0, mb = 0, mt = 0;
  for (int64_t i = 0; i < t->numel; i++) mt = fmax(mt, fabs(t->data[i]));
  for (int64_t i = 0; i < t->numel; i++) {
    double d = fabs(c->data[i] - t->data[i]);
    /* a rounding of a sum is at most u times the sum of its terms'
     * magnitudes; |t| covers what m leaves out (the residual's X) */
    double den =
        b->data[i] + floor_rel * (m ? m->data[i] + fabs(t->data[i]) : mt);
    double q = d == 0 ? 0 : (den > 0 ? d / den : INFINITY);
    if (!(q <= r)) r = q;
    if (b->data[i] > mb) mb = b->data[i];
  }
  *ratio = r;
  *bmax = mb;
  return 0;
}

double bd_meta_layer(const ar_tensorset *out, const char *key, int64_t l) {
  const char *v = ar_tensorset_get_meta(out, key);
  if (!v) return NAN;
  cJSON *j = cJSON_Parse(v);
  double r = NAN;
  if (cJSON_IsArray(j)) {
    cJSON *e = cJSON_GetArrayItem(j, (int)l);
    if (cJSON_IsNumber(e)) r = e->valuedouble;
  } else if (cJSON_IsNumber(j) && l == 0) {
    r = j->valuedouble;
  }
  cJSON_Delete(j);
  return r;
}

double bd_rounding_allowance(int g, double R) {
  return 0x1p-53 * 8.0 * (double)(g + 2) * exp(2 * R);
}

double bd_loglog_slope(const double *x, const double *y, int k) {
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  int m = 0;
  for (int i = 0; i < k; i++) {
    if (!(y[i] > 0) || !isfinite(y[i]) || !(x[i] > 0)) continue;
    double a = log(x[i]), b = log(y[i]);
    sx += a, sy += b, sxx += a * a, sxy += a * b;
    m++;
  }
  if (m < 2) return NAN;
  double den = m * sxx - sx * sx;
  return den != 0 ? (m * sxy - sx * sy) / den : NAN;
}
