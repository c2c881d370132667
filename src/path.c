#include "path.h"

#include <string.h>

#include "../fast/fast.h"
#include "../ref/ref.h"
#ifdef ATTNREF_HAVE_CUDA
#include "../gpu/gpu.h"
#endif

/* Every path compiled into this build. Paths of optional parts (CUDA) are
 * added under their build flags. */
static const ar_path *const registry[] = {
    &ar_path_ref,
    &ar_path_exact64,
    &ar_path_exact32,
    &ar_path_approx,
#ifdef ATTNREF_HAVE_CUDA
    &ar_path_gpu_exact64,
    &ar_path_gpu_exact32,
    &ar_path_gpu_approx,
    &ar_path_gpu_approx64,
#endif
    NULL,
};

const ar_path *const *ar_paths(void) { return registry; }

const ar_path *ar_path_find(const char *name) {
  for (const ar_path *const *p = registry; *p; p++)
    if (strcmp((*p)->name, name) == 0) return *p;
  return NULL;
}

void ar_path_options_defaults(ar_path_options *o) {
  memset(o, 0, sizeof *o);
  o->prec = 128;
  o->degree = 4;
  o->poly = "taylor";
  o->max_memory = (int64_t)8 << 30;
}

int ar_path_run(const ar_path *p, const ar_case *c, const ar_path_options *o,
                ar_tensorset *out, ar_error *err) {
  int64_t need = p->memory_needed ? p->memory_needed(&c->cfg, o) : 0;
  if (need < 0 || (o->max_memory > 0 && need > o->max_memory))
    return ar_fail(err, AR_FAIL_INPUT,
                   "%s: path %s would need %s%lld bytes, over --max-memory "
                   "%lld",
                   c->source, p->name, need < 0 ? "more than " : "",
                   (long long)(need < 0 ? INT64_MAX : need),
                   (long long)o->max_memory);
  void *state = NULL;
  int rc = p->forward(c, o, &state, out, err);
  if (rc == AR_OK) rc = p->backward(c, o, state, out, err);
  if (p->release) p->release(state);
  return rc;
}
