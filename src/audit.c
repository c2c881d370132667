/* Per-layer forward/backward errors, their growth, and the reports (table,
 * CSV, JSON). The plot is in audit_plot.c. */
#include "audit.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "strbuf.h"

/* a/b with 0/0 -> NaN and a/0 -> +Inf (a > 0) */
double ar_audit_ratio(double a, double b) {
  if (isnan(a) || isnan(b)) return NAN;
  if (b == 0) return a == 0 ? NAN : INFINITY;
  return a / b;
}

static const ar_check_tensor *find(const ar_check_result *r, const char *name) {
  size_t lo = 0, hi = r->count; /* r->tensors are sorted by name */
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = strcmp(r->tensors[mid].name, name);
    if (c == 0) return &r->tensors[mid];
    if (c < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return NULL;
}

/* e <- the audit metrics of one compared tensor (NaN when not compared) */
static void err_of(const ar_check_tensor *t, ar_audit_err *e) {
  e->tensor = t->name;
  e->compared = t->compared && t->dtype != AR_I64;
  if (!e->compared) {
    e->normwise = e->max_rel = e->max_elem_rel = NAN;
    return;
  }
  e->normwise = t->normwise;
  e->max_rel = ar_audit_ratio(t->max_abs, t->max_truth);
  if (isnan(e->max_rel)) e->max_rel = 0; /* 0/0: both all-zero, no error */
  e->max_elem_rel = t->max_rel;
}

/* l of "grad.layers.{l}.<rest>", or -1 */
static int64_t param_layer(const char *name) {
  static const char pre[] = "grad.layers.";
  if (strncmp(name, pre, sizeof pre - 1) != 0) return -1;
  const char *p = name + sizeof pre - 1;
  if (*p < '0' || *p > '9') return -1;
  char *end;
  long long l = strtoll(p, &end, 10);
  return *end == '.' ? (int64_t)l : -1;
}

static int is_layer_output(const char *name) {
  return strncmp(name, "act.layers.", 11) == 0 ||
         strncmp(name, "grad.act.layers.", 16) == 0;
}

/* The layer output `name` of the truth must be in the candidate with its
 * shape: the audit is about these. */
static int need(const ar_check_result *r, const ar_tensorset *truth,
                const char *name, const char *truth_path,
                const char *cand_path, const ar_check_tensor **out,
                ar_error *err) {
  const ar_tensor *t = ar_tensorset_find(truth, name);
  if (!t)
    return ar_fail(err, AR_FAIL_INPUT, "%s: tensor %s missing", truth_path,
                   name);
  if (!ar_dtype_is_float(t->dtype))
    return ar_fail(err, AR_FAIL_INPUT, "%s: tensor %s is not floating",
                   truth_path, name);
  const ar_check_tensor *c = find(r, name);
  if (!c || !c->present)
    return ar_fail(err, AR_FAIL_INPUT, "%s: tensor %s missing (%s has it)",
                   cand_path, name, truth_path);
  if (!c->compared)
    return ar_fail(err, AR_FAIL_INPUT, "%s: tensor %s: %s", cand_path, name,
                   c->reason);
  *out = c;
  return AR_OK;
}

int ar_audit_compute(const ar_tensorset *truth, const ar_tensorset *cand,
                     const char *truth_path, const char *cand_path,
                     ar_audit *a, ar_error *err) {
  memset(a, 0, sizeof *a);
  a->fwd_geomean = a->bwd_geomean = NAN;
  /* the profile only sets pass/fail, which the audit does not use */
  int rc = ar_check_compare(truth, cand, ar_check_profile_find("fp64"),
                            &a->cmp, err);
  if (rc) return rc;
  char name[64];
  int64_t L = 0;
  for (;; L++) {
    snprintf(name, sizeof name, "act.layers.%lld", (long long)L);
    if (!ar_tensorset_find(truth, name)) break;
  }
  if (L == 0) {
    rc = ar_fail(err, AR_FAIL_INPUT,
                 "%s: tensor act.layers.0 missing (not a result file?)",
                 truth_path);
    goto fail;
  }
  a->layers = L;
  a->layer = calloc((size_t)L, sizeof *a->layer);
  a->other = calloc(a->cmp.count + 1, sizeof *a->other);
  if (!a->layer || !a->other) goto oom;
  for (int64_t l = 0; l < L; l++) {
    const ar_check_tensor *f, *b;
    snprintf(name, sizeof name, "act.layers.%lld", (long long)l);
    if ((rc = need(&a->cmp, truth, name, truth_path, cand_path, &f, err)))
      goto fail;
    snprintf(name, sizeof name, "grad.act.layers.%lld", (long long)l);
    if ((rc = need(&a->cmp, truth, name, truth_path, cand_path, &b, err)))
      goto fail;
    err_of(f, &a->layer[l].fwd);
    err_of(b, &a->layer[l].bwd);
  }
  /* parameter gradients by layer (cmp is sorted, so each group is too) */
  for (size_t i = 0; i < a->cmp.count; i++) {
    const ar_check_tensor *t = &a->cmp.tensors[i];
    int64_t l = param_layer(t->name);
    if (l >= 0 && l < L) a->layer[l].nparams++;
  }
  for (int64_t l = 0; l < L; l++)
    if (a->layer[l].nparams &&
        !(a->layer[l].params =
              calloc(a->layer[l].nparams, sizeof *a->layer[l].params)))
      goto oom;
  for (int64_t l = 0; l < L; l++) a->layer[l].nparams = 0;
  for (size_t i = 0; i < a->cmp.count; i++) {
    const ar_check_tensor *t = &a->cmp.tensors[i];
    int64_t l = param_layer(t->name);
    if (l >= 0 && l < L) {
      ar_audit_layer *ly = &a->layer[l];
      err_of(t, &ly->params[ly->nparams++]);
    } else if (!is_layer_output(t->name)) {
      err_of(t, &a->other[a->nother++]);
    }
  }
  for (int64_t l = 0; l < L; l++) {
    ar_audit_layer *ly = &a->layer[l];
    ly->fwd_growth =
        l > 0 ? ar_audit_ratio(ly->fwd.normwise, a->layer[l - 1].fwd.normwise)
              : NAN;
    ly->bwd_growth = l + 1 < L ? ar_audit_ratio(ly->bwd.normwise,
                                                a->layer[l + 1].bwd.normwise)
                               : NAN;
  }
  if (L >= 2) {
    double k = 1.0 / (double)(L - 1);
    a->fwd_geomean =
        pow(ar_audit_ratio(a->layer[L - 1].fwd.normwise, a->layer[0].fwd.normwise), k);
    a->bwd_geomean =
        pow(ar_audit_ratio(a->layer[0].bwd.normwise, a->layer[L - 1].bwd.normwise), k);
  }
  return AR_OK;
oom:
  rc = ar_fail(err, AR_FAIL_INTERNAL, "audit: out of memory");
fail:
  ar_audit_free(a);
  return rc;
}

void ar_audit_free(ar_audit *a) {
  if (a->layer)
    for (int64_t l = 0; l < a->layers; l++) free(a->layer[l].params);
  free(a->layer);
  free(a->other);
  ar_check_result_free(&a->cmp);
  memset(a, 0, sizeof *a);
}

/* ---- reports ---- */

/* "%.3e", "0", "inf", or "-" for an undefined value */
static const char *num(char *buf, size_t n, double v) {
  if (isnan(v))
    snprintf(buf, n, "-");
  else if (isinf(v))
    snprintf(buf, n, v > 0 ? "inf" : "-inf");
  else if (v == 0)
    snprintf(buf, n, "0");
  else
    snprintf(buf, n, "%.3e", v);
  return buf;
}

static void print_err_row(FILE *f, const char *layer, const ar_audit_err *e,
                          int wn) {
  char a[32], b[32], c[32];
  if (!e->compared) {
    fprintf(f, "%-5s  %-*s  %s\n", layer, wn, e->tensor, "missing or another shape");
    return;
  }
  fprintf(f, "%-5s  %-*s  %-10s  %-10s  %s\n", layer, wn, e->tensor,
          num(a, sizeof a, e->normwise), num(b, sizeof b, e->max_rel),
          num(c, sizeof c, e->max_elem_rel));
}

void ar_audit_print(FILE *f, const ar_audit *a) {
  char v[8][32];
  fprintf(f, "errors: normwise ||c-t||/||t||, maxrel max|c-t|/max|t|, "
             "elemrel max |c-t|/|t| over t != 0\n");
  fprintf(f, "forward: act.layers.l; backward: grad.act.layers.l; growth "
             "(normwise): forward err_l/err_{l-1}, backward err_l/err_{l+1}\n\n");
  fprintf(f, "%-5s  %-10s  %-10s  %-10s  %-10s  %-10s  %-10s  %-10s  %s\n",
          "layer", "fwd_norm", "fwd_maxrel", "fwd_elem", "fwd_growth",
          "bwd_norm", "bwd_maxrel", "bwd_elem", "bwd_growth");
  for (int64_t l = 0; l < a->layers; l++) {
    const ar_audit_layer *y = &a->layer[l];
    fprintf(f, "%-5lld  %-10s  %-10s  %-10s  %-10s  %-10s  %-10s  %-10s  %s\n",
            (long long)l, num(v[0], 32, y->fwd.normwise),
            num(v[1], 32, y->fwd.max_rel), num(v[2], 32, y->fwd.max_elem_rel),
            num(v[3], 32, y->fwd_growth), num(v[4], 32, y->bwd.normwise),
            num(v[5], 32, y->bwd.max_rel), num(v[6], 32, y->bwd.max_elem_rel),
            num(v[7], 32, y->bwd_growth));
  }
  fprintf(f, "geometric-mean growth per layer: forward %s, backward %s\n",
          num(v[0], 32, a->fwd_geomean), num(v[1], 32, a->bwd_geomean));

  int wn = 6;
  for (int64_t l = 0; l < a->layers; l++)
    for (size_t i = 0; i < a->layer[l].nparams; i++) {
      int w = (int)strlen(a->layer[l].params[i].tensor);
      if (w > wn) wn = w;
    }
  for (size_t i = 0; i < a->nother; i++)
    if ((int)strlen(a->other[i].tensor) > wn) wn = (int)strlen(a->other[i].tensor);
  fprintf(f, "\nparameter gradients by layer, and the other tensors:\n");
  fprintf(f, "%-5s  %-*s  %-10s  %-10s  %s\n", "layer", wn, "tensor",
          "normwise", "maxrel", "elemrel");
  for (int64_t l = 0; l < a->layers; l++) {
    char ls[24];
    snprintf(ls, sizeof ls, "%lld", (long long)l);
    for (size_t i = 0; i < a->layer[l].nparams; i++)
      print_err_row(f, ls, &a->layer[l].params[i], wn);
  }
  for (size_t i = 0; i < a->nother; i++) print_err_row(f, "-", &a->other[i], wn);
}

/* CSV field: %.17g, "inf", or empty when undefined */
static const char *field(char *buf, size_t n, double v) {
  if (isnan(v))
    buf[0] = '\0';
  else if (isinf(v))
    snprintf(buf, n, v > 0 ? "inf" : "-inf");
  else
    snprintf(buf, n, "%.17g", v);
  return buf;
}

static void csv_row(ar_strbuf *b, const char *kind, int64_t layer,
                    const ar_audit_err *e, double growth) {
  char v[4][40], ls[24] = "";
  if (layer >= 0) snprintf(ls, sizeof ls, "%lld", (long long)layer);
  /* names come from a validated file but may hold commas or quotes */
  ar_strbuf_printf(b, "%s,%s,\"", kind, ls);
  for (const char *p = e->tensor; *p; p++) {
    if (*p == '"')
      ar_strbuf_printf(b, "\"\"");
    else
      ar_strbuf_printf(b, "%c", *p);
  }
  ar_strbuf_printf(b, "\",%s,%s,%s,%s\n", field(v[0], 40, e->normwise),
            field(v[1], 40, e->max_rel), field(v[2], 40, e->max_elem_rel),
            field(v[3], 40, growth));
}

int ar_audit_write_csv(const char *path, const ar_audit *a, ar_error *err) {
  ar_strbuf b = {0};
  char g[40];
  ar_strbuf_printf(&b, "kind,layer,tensor,normwise,max_rel,max_elem_rel,growth\n");
  for (int64_t l = 0; l < a->layers; l++)
    csv_row(&b, "forward", l, &a->layer[l].fwd, a->layer[l].fwd_growth);
  for (int64_t l = 0; l < a->layers; l++)
    csv_row(&b, "backward", l, &a->layer[l].bwd, a->layer[l].bwd_growth);
  for (int64_t l = 0; l < a->layers; l++)
    for (size_t i = 0; i < a->layer[l].nparams; i++)
      csv_row(&b, "param", l, &a->layer[l].params[i], NAN);
  for (size_t i = 0; i < a->nother; i++) csv_row(&b, "other", -1, &a->other[i], NAN);
  ar_strbuf_printf(&b, "geomean,,forward,,,,%s\n", field(g, sizeof g, a->fwd_geomean));
  ar_strbuf_printf(&b, "geomean,,backward,,,,%s\n", field(g, sizeof g, a->bwd_geomean));
  if (b.oom) {
    free(b.s);
    return ar_fail(err, AR_FAIL_INTERNAL, "%s: out of memory", path);
  }
  int rc = ar_write_file_atomic(path, b.s, b.len, err);
  free(b.s);
  return rc;
}

/* JSON numbers cannot be NaN/Inf: undefined values are null, +Inf is the
 * string "inf" (a growth from a zero error). */
static int jnum(cJSON *o, const char *k, double v) {
  if (isfinite(v)) return cJSON_AddNumberToObject(o, k, v) != NULL;
  if (isinf(v)) return cJSON_AddStringToObject(o, k, v > 0 ? "inf" : "-inf") != NULL;
  return cJSON_AddNullToObject(o, k) != NULL;
}

static cJSON *err_json(const ar_audit_err *e) {
  cJSON *o = cJSON_CreateObject();
  if (!o || !cJSON_AddStringToObject(o, "tensor", e->tensor) ||
      !cJSON_AddBoolToObject(o, "compared", e->compared) ||
      !jnum(o, "normwise", e->normwise) || !jnum(o, "max_rel", e->max_rel) ||
      !jnum(o, "max_elem_rel", e->max_elem_rel)) {
    cJSON_Delete(o);
    return NULL;
  }
  return o;
}

static int add_err(cJSON *parent, const char *key, const ar_audit_err *e,
                   const char *gkey, double growth) {
  cJSON *o = err_json(e);
  if (!o) return 0;
  if (gkey && !jnum(o, gkey, growth)) {
    cJSON_Delete(o);
    return 0;
  }
  return key ? cJSON_AddItemToObject(parent, key, o)
             : cJSON_AddItemToArray(parent, o);
}

int ar_audit_write_json(const char *path, const ar_audit *a,
                        const char *truth_path, const char *cand_path,
                        ar_error *err) {
  cJSON *root = cJSON_CreateObject(), *layers = NULL, *other = NULL,
        *geo = NULL;
  int ok = root && cJSON_AddStringToObject(root, "truth", truth_path) &&
           cJSON_AddStringToObject(root, "candidate", cand_path) &&
           jnum(root, "layers", (double)a->layers) &&
           (geo = cJSON_AddObjectToObject(root, "geomean_growth")) &&
           jnum(geo, "forward", a->fwd_geomean) &&
           jnum(geo, "backward", a->bwd_geomean) &&
           (layers = cJSON_AddArrayToObject(root, "per_layer")) &&
           (other = cJSON_AddArrayToObject(root, "other"));
  for (int64_t l = 0; ok && l < a->layers; l++) {
    const ar_audit_layer *y = &a->layer[l];
    cJSON *o = cJSON_CreateObject(), *params = NULL;
    ok = o && cJSON_AddItemToArray(layers, o);
    if (!ok) {
      cJSON_Delete(o);
      break;
    }
    ok = jnum(o, "layer", (double)l) &&
         add_err(o, "forward", &y->fwd, "growth", y->fwd_growth) &&
         add_err(o, "backward", &y->bwd, "growth", y->bwd_growth) &&
         (params = cJSON_AddArrayToObject(o, "params"));
    for (size_t i = 0; ok && i < y->nparams; i++)
      ok = add_err(params, NULL, &y->params[i], NULL, 0);
  }
  for (size_t i = 0; ok && i < a->nother; i++)
    ok = add_err(other, NULL, &a->other[i], NULL, 0);
  char *text = ok ? cJSON_Print(root) : NULL;
  cJSON_Delete(root);
  if (!text) return ar_fail(err, AR_FAIL_INTERNAL, "%s: out of memory", path);
  size_t len = strlen(text);
  text[len] = '\n'; /* swap the NUL for a newline; the length is explicit */
  int rc = ar_write_file_atomic(path, text, len + 1, err);
  cJSON_free(text);
  return rc;
}
