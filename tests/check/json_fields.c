/* Test helper: json_fields FILE TOTAL PASSED FAILNAME checks that the
 * --json report of `attnref check` parses (cJSON) and holds every field, with
 * counts TOTAL/PASSED, consistent per-tensor verdicts, and that tensor
 * FAILNAME failed with its metrics present ("-" for none). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "testutil.h"

static const cJSON *field(const cJSON *o, const char *k) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  CHECK(v != NULL, "missing field \"%s\"", k);
  return v;
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: json_fields FILE TOTAL PASSED FAILNAME\n");
    return 2;
  }
  FILE *f = fopen(argv[1], "rb");
  if (!f) return perror(argv[1]), 1;
  static char buf[1 << 22];
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = '\0';
  cJSON *root = cJSON_Parse(buf);
  if (!root) {
    fprintf(stderr, "json_fields: %s does not parse\n", argv[1]);
    return 1;
  }
  int total = atoi(argv[2]), passed = atoi(argv[3]);
  const char *failname = argv[4];
  const cJSON *v;
  CHECK(cJSON_IsString(field(root, "truth")), "truth");
  CHECK(cJSON_IsString(field(root, "candidate")), "candidate");
  CHECK(cJSON_IsString(field(root, "profile")), "profile");
  CHECK(cJSON_IsNumber(field(root, "rtol")), "rtol");
  CHECK(cJSON_IsNumber(field(root, "atol")), "atol");
  v = field(root, "pass");
  CHECK(cJSON_IsBool(v) && cJSON_IsTrue(v) == (total == passed), "pass");
  v = field(root, "total");
  CHECK(v && v->valuedouble == total, "total %g, expected %d",
         v ? v->valuedouble : -1, total);
  v = field(root, "passed");
  CHECK(v && v->valuedouble == passed, "passed %g, expected %d",
         v ? v->valuedouble : -1, passed);
  CHECK(cJSON_IsArray(field(root, "extra")), "extra");
  const cJSON *ts = field(root, "tensors");
  CHECK(cJSON_IsArray(ts) && cJSON_GetArraySize(ts) == total,
         "tensors has %d entries, expected %d", ts ? cJSON_GetArraySize(ts) : -1,
         total);
  int npass = 0, seen_fail = 0;
  const cJSON *t;
  cJSON_ArrayForEach(t, ts) {
    const cJSON *name = field(t, "name"), *pass = field(t, "pass");
    if (!cJSON_IsString(name) || !cJSON_IsBool(pass)) continue;
    npass += cJSON_IsTrue(pass);
    CHECK(cJSON_IsString(field(t, "reason")), "%s reason", name->valuestring);
    CHECK(cJSON_IsString(field(t, "shape")), "%s shape", name->valuestring);
    const cJSON *compared = field(t, "compared");
    if (cJSON_IsTrue(compared)) {
      static const char *const metrics[] = {
          "numel", "max_abs", "max_rel", "max_ulp", "normwise",
          "max_abs_truth", "worst_ratio", "worst_index", "worst_truth",
          "worst_candidate", "violations", "nonfinite"};
      for (size_t i = 0; i < sizeof metrics / sizeof metrics[0]; i++)
        CHECK(cJSON_IsNumber(field(t, metrics[i])), "%s %s",
               name->valuestring, metrics[i]);
      CHECK(cJSON_IsString(field(t, "dtype")), "%s dtype", name->valuestring);
      CHECK(cJSON_IsString(field(t, "worst_index_nd")), "%s worst_index_nd",
             name->valuestring);
      /* the verdict is the tolerance ratio's */
      const cJSON *ratio = cJSON_GetObjectItem(t, "worst_ratio");
      if (cJSON_IsNumber(ratio))
        CHECK(cJSON_IsTrue(pass) == (ratio->valuedouble <= 1.0),
               "%s: pass %d but worst_ratio %g", name->valuestring,
               cJSON_IsTrue(pass), ratio->valuedouble);
    }
    if (strcmp(name->valuestring, failname) == 0) {
      seen_fail = 1;
      CHECK(cJSON_IsFalse(pass), "%s should fail", failname);
      CHECK(cJSON_IsTrue(compared), "%s should have metrics", failname);
    }
  }
  CHECK(npass == passed, "%d tensors say pass, expected %d", npass, passed);
  CHECK(strcmp(failname, "-") == 0 || seen_fail, "no tensor %s", failname);
  cJSON_Delete(root);
  return t_done("json_fields");
}
