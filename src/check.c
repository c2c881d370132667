/* Tensor-by-tensor comparison against the truth, and its reports (table,
 * JSON, JUnit XML). */
#include "check.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

/* rtol/atol: the last three start from torch.testing.assert_close's table;
 * fp64 is strict enough that a 1e-10 relative error fails. */
const ar_check_profile ar_check_profiles[] = {
    {"fp64", 1e-11, 1e-11}, {"fp32", 1.3e-6, 1e-5}, {"tf32", 1e-3, 1e-4},
    {"fp16", 1e-3, 1e-5},   {"bf16", 1.6e-2, 1e-5}, {NULL, 0, 0},
};

const ar_check_profile *ar_check_profile_find(const char *name) {
  for (const ar_check_profile *p = ar_check_profiles; p->name; p++)
    if (strcmp(p->name, name) == 0) return p;
  return NULL;
}

/* ulp <- 2^(max(e, emin) - mant), 2^e <= |t| < 2^(e+1) */
double ar_ulp(double t, ar_dtype dt) {
  int mant, emin;
  switch (dt) {
  case AR_F64: mant = 52, emin = -1022; break;
  case AR_F32: mant = 23, emin = -126; break;
  case AR_F16: mant = 10, emin = -14; break;
  case AR_BF16: mant = 7, emin = -126; break;
  default: return 1.0;
  }
  int e = emin;
  if (t != 0 && isfinite(t)) {
    int fe;
    frexp(t, &fe); /* |t| = f * 2^fe, f in [0.5, 1) */
    if (fe - 1 > emin) e = fe - 1;
  }
  return ldexp(1.0, e - mant);
}

const char *ar_index_str(const int64_t *shape, int ndim, int64_t flat,
                         char *buf, size_t n) {
  int64_t idx[AR_MAX_DIMS];
  for (int i = ndim - 1; i >= 0; i--) {
    idx[i] = shape[i] > 0 ? flat % shape[i] : 0;
    flat = shape[i] > 0 ? flat / shape[i] : 0;
  }
  size_t used = (size_t)snprintf(buf, n, "[");
  for (int i = 0; i < ndim && used < n; i++)
    used += (size_t)snprintf(buf + used, n - used, i ? ",%lld" : "%lld",
                             (long long)idx[i]);
  if (used < n) snprintf(buf + used, n - used, "]");
  return buf;
}

static int is_lo(const char *name) {
  size_t n = strlen(name);
  return n >= 3 && strcmp(name + n - 3, "@lo") == 0;
}

static int same_shape(const ar_tensor *a, const ar_tensor *b) {
  if (a->ndim != b->ndim) return 0;
  for (int i = 0; i < a->ndim; i++)
    if (a->shape[i] != b->shape[i]) return 0;
  return 1;
}

/* Every metric of one element pair, folded into r. tol = atol*max|t| + rtol*|t|. */
static void compare_floats(const ar_tensor *t, const ar_tensor *c,
                           const ar_check_profile *p, ar_check_tensor *r) {
  double maxt = 0;
  for (int64_t i = 0; i < t->numel; i++)
    if (fabs(t->data[i]) > maxt) maxt = fabs(t->data[i]);
  r->max_truth = maxt;
  /* ||.||_2 of values scaled by 1/max|t| so the sums cannot overflow */
  double scale = maxt > 0 ? maxt : 1.0;
  long double sdiff = 0, struth = 0;
  r->worst_index = t->numel > 0 ? 0 : -1;
  r->worst_ratio = -1;
  for (int64_t i = 0; i < t->numel; i++) {
    double tv = t->data[i], cv = c->data[i];
    double diff = fabs(cv - tv), ratio;
    double tol = p->atol * maxt + p->rtol * fabs(tv);
    if (!isfinite(cv)) {
      r->nonfinite++;
      diff = INFINITY;
    }
    if (diff <= tol)
      ratio = tol > 0 ? diff / tol : 0;
    else
      ratio = tol > 0 ? diff / tol : INFINITY;
    if (!(diff <= tol)) r->violations++;
    if (ratio > r->worst_ratio) {
      r->worst_ratio = ratio;
      r->worst_index = i;
      r->worst_truth = tv;
      r->worst_cand = cv;
    }
    if (diff > r->max_abs) r->max_abs = diff;
    if (tv != 0 && diff / fabs(tv) > r->max_rel) r->max_rel = diff / fabs(tv);
    double u = diff / ar_ulp(tv, r->dtype);
    if (u > r->max_ulp) r->max_ulp = u;
    long double sd = (long double)diff / scale, st = (long double)tv / scale;
    sdiff += sd * sd;
    struth += st * st;
  }
  if (r->worst_ratio < 0) r->worst_ratio = 0;
  if (r->worst_index >= 0)
    ar_index_str(t->shape, t->ndim, r->worst_index, r->worst, sizeof r->worst);
  if (struth > 0)
    r->normwise = (double)sqrtl(sdiff / struth);
  else
    r->normwise = sdiff > 0 ? INFINITY : 0;
}

/* Integer tensors (labels) must be equal. */
static void compare_ints(const ar_tensor *t, const ar_tensor *c,
                         ar_check_tensor *r) {
  r->worst_index = t->numel > 0 ? 0 : -1;
  if (t->numel > 0) {
    r->worst_truth = (double)t->idata[0];
    r->worst_cand = (double)c->idata[0];
  }
  for (int64_t i = 0; i < t->numel; i++) {
    double diff = fabs((double)c->idata[i] - (double)t->idata[i]);
    if (fabs((double)t->idata[i]) > r->max_truth)
      r->max_truth = fabs((double)t->idata[i]);
    if (diff > 0) {
      if (r->violations == 0) {
        r->worst_index = i;
        r->worst_truth = (double)t->idata[i];
        r->worst_cand = (double)c->idata[i];
        r->worst_ratio = INFINITY;
      }
      r->violations++;
    }
    if (diff > r->max_abs) r->max_abs = r->max_ulp = diff;
  }
  if (r->worst_index >= 0)
    ar_index_str(t->shape, t->ndim, r->worst_index, r->worst, sizeof r->worst);
}

static void compare_one(const ar_tensor *t, const ar_tensorset *cand,
                        const ar_check_profile *p, ar_check_tensor *r) {
  ar_shape_str(t, r->shape, sizeof r->shape);
  r->numel = t->numel;
  r->worst_index = -1;
  snprintf(r->worst, sizeof r->worst, "-");
  r->dtype = t->dtype;
  const ar_tensor *c = ar_tensorset_find(cand, t->name);
  if (!c) {
    snprintf(r->reason, sizeof r->reason, "missing");
    return;
  }
  r->present = 1;
  r->dtype = c->dtype;
  ar_shape_str(c, r->cand_shape, sizeof r->cand_shape);
  if (!same_shape(t, c)) {
    snprintf(r->reason, sizeof r->reason, "shape %s, expected %s",
             r->cand_shape, r->shape);
    return;
  }
  if (ar_dtype_is_float(t->dtype) != ar_dtype_is_float(c->dtype)) {
    snprintf(r->reason, sizeof r->reason, "dtype %s, expected %s",
             ar_dtype_name(c->dtype), ar_dtype_name(t->dtype));
    return;
  }
  r->compared = 1;
  if (ar_dtype_is_float(t->dtype))
    compare_floats(t, c, p, r);
  else
    compare_ints(t, c, r);
  if (r->nonfinite > 0)
    snprintf(r->reason, sizeof r->reason, "%lld non-finite value%s",
             (long long)r->nonfinite, r->nonfinite > 1 ? "s" : "");
  else if (r->violations > 0)
    snprintf(r->reason, sizeof r->reason, "%lld element%s out of tolerance",
             (long long)r->violations, r->violations > 1 ? "s" : "");
  else
    r->pass = 1;
}

static int by_name(const void *a, const void *b) {
  return strcmp(((const ar_check_tensor *)a)->name,
                ((const ar_check_tensor *)b)->name);
}

static int by_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

int ar_check_compare(const ar_tensorset *truth, const ar_tensorset *cand,
                     const ar_check_profile *p, ar_check_result *r,
                     ar_error *err) {
  memset(r, 0, sizeof *r);
  r->profile = p;
  r->tensors = calloc(truth->count + 1, sizeof *r->tensors);
  r->extra = calloc(cand->count + 1, sizeof *r->extra);
  if (!r->tensors || !r->extra) goto oom;
  for (size_t i = 0; i < truth->count; i++) {
    const ar_tensor *t = &truth->t[i];
    if (is_lo(t->name)) continue;
    ar_check_tensor *ct = &r->tensors[r->count];
    if (!(ct->name = strdup(t->name))) goto oom;
    r->count++;
    compare_one(t, cand, p, ct);
    if (ct->pass) r->npass++;
  }
  qsort(r->tensors, r->count, sizeof *r->tensors, by_name);
  for (size_t i = 0; i < cand->count; i++) {
    const char *name = cand->t[i].name;
    if (is_lo(name) || ar_tensorset_find(truth, name)) continue;
    if (!(r->extra[r->nextra] = strdup(name))) goto oom;
    r->nextra++;
  }
  qsort(r->extra, r->nextra, sizeof *r->extra, by_str);
  return AR_OK;
oom:
  ar_check_result_free(r);
  return ar_fail(err, AR_FAIL_INTERNAL, "check: out of memory");
}

void ar_check_result_free(ar_check_result *r) {
  if (r->tensors)
    for (size_t i = 0; i < r->count; i++) free(r->tensors[i].name);
  if (r->extra)
    for (size_t i = 0; i < r->nextra; i++) free(r->extra[i]);
  free(r->tensors);
  free(r->extra);
  memset(r, 0, sizeof *r);
}

/* ---- reports ---- */

static void metric(char *buf, size_t n, int ok, double v) {
  if (!ok)
    snprintf(buf, n, "-");
  else
    snprintf(buf, n, "%.3g", v);
}

void ar_check_print(FILE *f, const ar_check_result *r) {
  int wn = 6, ws = 5;
  for (size_t i = 0; i < r->count; i++) {
    int l = (int)strlen(r->tensors[i].name);
    int s = (int)strlen(r->tensors[i].shape);
    if (l > wn) wn = l;
    if (s > ws) ws = s;
  }
  fprintf(f, "%-*s  %-*s  %-5s  %-9s  %-9s  %-9s  %-9s  %-14s  %s\n", wn,
          "tensor", ws, "shape", "dtype", "max_abs", "max_rel", "max_ulp",
          "normwise", "worst", "result");
  for (size_t i = 0; i < r->count; i++) {
    const ar_check_tensor *t = &r->tensors[i];
    char a[32], rel[32], u[32], nw[32];
    metric(a, sizeof a, t->compared, t->max_abs);
    metric(rel, sizeof rel, t->compared, t->max_rel);
    metric(u, sizeof u, t->compared, t->max_ulp);
    metric(nw, sizeof nw, t->compared, t->normwise);
    fprintf(f, "%-*s  %-*s  %-5s  %-9s  %-9s  %-9s  %-9s  %-14s  %s%s%s\n", wn,
            t->name, ws, t->shape,
            t->present ? ar_dtype_name(t->dtype) : "-", a, rel, u, nw, t->worst,
            t->pass ? "pass" : "FAIL", t->pass ? "" : ": ", t->reason);
  }
  if (r->nextra > 0) {
    fprintf(f, "extra:");
    for (size_t i = 0; i < r->nextra; i++)
      fprintf(f, "%s %s", i ? "," : "", r->extra[i]);
    fprintf(f, "\n");
  }
  fprintf(f, "check: %zu/%zu tensors pass (profile %s): %s\n", r->npass,
          r->count, r->profile->name, ar_check_all_pass(r) ? "PASS" : "FAIL");
}

/* JSON numbers cannot be NaN/Inf: those metrics become null. */
static int add_num(cJSON *o, const char *k, double v) {
  return (isfinite(v) ? cJSON_AddNumberToObject(o, k, v)
                      : cJSON_AddNullToObject(o, k)) != NULL;
}

static cJSON *tensor_json(const ar_check_tensor *t) {
  cJSON *o = cJSON_CreateObject();
  int ok = o && cJSON_AddStringToObject(o, "name", t->name) &&
           cJSON_AddBoolToObject(o, "pass", t->pass) &&
           cJSON_AddStringToObject(o, "reason", t->reason) &&
           cJSON_AddStringToObject(o, "shape", t->shape) &&
           cJSON_AddBoolToObject(o, "present", t->present) &&
           cJSON_AddBoolToObject(o, "compared", t->compared);
  if (ok && t->present)
    ok = cJSON_AddStringToObject(o, "candidate_shape", t->cand_shape) &&
         cJSON_AddStringToObject(o, "dtype", ar_dtype_name(t->dtype));
  if (ok && t->compared) {
    ok = add_num(o, "numel", (double)t->numel) &&
         add_num(o, "max_abs", t->max_abs) &&
         add_num(o, "max_rel", t->max_rel) &&
         add_num(o, "max_ulp", t->max_ulp) &&
         add_num(o, "normwise", t->normwise) &&
         add_num(o, "max_abs_truth", t->max_truth) &&
         add_num(o, "worst_ratio", t->worst_ratio) &&
         add_num(o, "worst_index", (double)t->worst_index) &&
         cJSON_AddStringToObject(o, "worst_index_nd", t->worst) &&
         add_num(o, "worst_truth", t->worst_truth) &&
         add_num(o, "worst_candidate", t->worst_cand) &&
         add_num(o, "violations", (double)t->violations) &&
         add_num(o, "nonfinite", (double)t->nonfinite);
  }
  if (!ok) {
    cJSON_Delete(o);
    return NULL;
  }
  return o;
}

int ar_check_write_json(const char *path, const ar_check_result *r,
                        const char *truth_path, const char *cand_path,
                        ar_error *err) {
  cJSON *root = cJSON_CreateObject(), *arr = NULL, *extra = NULL;
  int ok = root && cJSON_AddStringToObject(root, "truth", truth_path) &&
           cJSON_AddStringToObject(root, "candidate", cand_path) &&
           cJSON_AddStringToObject(root, "profile", r->profile->name) &&
           add_num(root, "rtol", r->profile->rtol) &&
           add_num(root, "atol", r->profile->atol) &&
           cJSON_AddBoolToObject(root, "pass", ar_check_all_pass(r)) &&
           add_num(root, "passed", (double)r->npass) &&
           add_num(root, "total", (double)r->count) &&
           (arr = cJSON_AddArrayToObject(root, "tensors")) &&
           (extra = cJSON_AddArrayToObject(root, "extra"));
  for (size_t i = 0; ok && i < r->count; i++) {
    cJSON *t = tensor_json(&r->tensors[i]);
    ok = t && cJSON_AddItemToArray(arr, t);
  }
  for (size_t i = 0; ok && i < r->nextra; i++) {
    cJSON *s = cJSON_CreateString(r->extra[i]);
    ok = s && cJSON_AddItemToArray(extra, s);
  }
  char *text = ok ? cJSON_Print(root) : NULL;
  cJSON_Delete(root);
  if (!text) return ar_fail(err, AR_FAIL_INTERNAL, "%s: out of memory", path);
  size_t len = strlen(text);
  text[len] = '\n'; /* cJSON_Print's buffer ends in NUL: swap it for a newline */
  int rc = ar_write_file_atomic(path, text, len + 1, err);
  cJSON_free(text);
  return rc;
}

/* A growable string, for the XML text. */
typedef struct sbuf {
  char *s;
  size_t len, cap;
  int oom;
} sbuf;

static void sb_put(sbuf *b, const char *s, size_t n) {
  if (b->oom) return;
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + n + 1) cap *= 2;
    char *p = realloc(b->s, cap);
    if (!p) {
      b->oom = 1;
      return;
    }
    b->s = p;
    b->cap = cap;
  }
  memcpy(b->s + b->len, s, n);
  b->len += n;
  b->s[b->len] = '\0';
}

static void sb_printf(sbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf *b, const char *fmt, ...) {
  char tmp[1024];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (n > 0) sb_put(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* XML attribute/text escaping; control characters (invalid in XML 1.0) become '?'. */
static void sb_xml(sbuf *b, const char *s) {
  for (; *s; s++) {
    switch (*s) {
    case '&': sb_put(b, "&amp;", 5); break;
    case '<': sb_put(b, "&lt;", 4); break;
    case '>': sb_put(b, "&gt;", 4); break;
    case '"': sb_put(b, "&quot;", 6); break;
    case '\'': sb_put(b, "&apos;", 6); break;
    default:
      if ((unsigned char)*s < 0x20 && *s != '\n' && *s != '\t')
        sb_put(b, "?", 1);
      else
        sb_put(b, s, 1);
    }
  }
}

int ar_check_write_junit(const char *path, const ar_check_result *r,
                         const char *truth_path, const char *cand_path,
                         ar_error *err) {
  sbuf b = {0};
  size_t nfail = r->count - r->npass;
  sb_printf(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
  sb_printf(&b, "<testsuites tests=\"%zu\" failures=\"%zu\">\n", r->count,
            nfail);
  sb_printf(&b, "  <testsuite name=\"attnref check (profile %s)\" tests=\"%zu\" "
                "failures=\"%zu\" errors=\"0\">\n",
            r->profile->name, r->count, nfail);
  sb_printf(&b, "    <properties>\n      <property name=\"truth\" value=\"");
  sb_xml(&b, truth_path);
  sb_printf(&b, "\"/>\n      <property name=\"candidate\" value=\"");
  sb_xml(&b, cand_path);
  sb_printf(&b, "\"/>\n      <property name=\"profile\" value=\"%s\"/>\n"
                "      <property name=\"rtol\" value=\"%g\"/>\n"
                "      <property name=\"atol\" value=\"%g\"/>\n",
            r->profile->name, r->profile->rtol, r->profile->atol);
  if (r->nextra > 0) {
    sb_printf(&b, "      <property name=\"extra\" value=\"");
    for (size_t i = 0; i < r->nextra; i++) {
      if (i) sb_put(&b, ",", 1);
      sb_xml(&b, r->extra[i]);
    }
    sb_printf(&b, "\"/>\n");
  }
  sb_printf(&b, "    </properties>\n");
  for (size_t i = 0; i < r->count; i++) {
    const ar_check_tensor *t = &r->tensors[i];
    sb_printf(&b, "    <testcase classname=\"attnref.check\" name=\"");
    sb_xml(&b, t->name);
    if (t->pass) {
      sb_printf(&b, "\"/>\n");
      continue;
    }
    sb_printf(&b, "\">\n      <failure message=\"");
    sb_xml(&b, t->reason);
    sb_printf(&b, "\" type=\"tolerance\">");
    if (t->compared) {
      char line[512];
      snprintf(line, sizeof line,
               "max_abs %.3g, max_rel %.3g, max_ulp %.3g (%s), normwise %.3g; "
               "worst element %s: truth %.17g, candidate %.17g",
               t->max_abs, t->max_rel, t->max_ulp, ar_dtype_name(t->dtype),
               t->normwise, t->worst, t->worst_truth,
               t->worst_cand);
      sb_xml(&b, line);
    } else {
      sb_xml(&b, t->reason);
    }
    sb_printf(&b, "</failure>\n    </testcase>\n");
  }
  sb_printf(&b, "  </testsuite>\n</testsuites>\n");
  if (b.oom || !b.s) {
    free(b.s);
    return ar_fail(err, AR_FAIL_INTERNAL, "%s: out of memory", path);
  }
  int rc = ar_write_file_atomic(path, b.s, b.len, err);
  free(b.s);
  return rc;
}
