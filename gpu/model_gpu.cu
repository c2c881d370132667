/* The whole model on the device (model_gpu.h): fast/model_impl.h's layer
 * driver, op for op, over device arrays at T = double or float, with cuBLAS
 * products and the kernels of model_kern.cuh / model_loss.cuh. Section
 * numbers are spec/model.md's. Everything runs inside one device section
 * (gpu_lock: one lock, one cuBLAS handle). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vector>

#include "model_gpu.h"
#include "model_loss.cuh"

extern "C" {
#include "../fast/attn_approx.h"
#include "../fast/poly.h"
#include "attn_flash.h"
#include "attn_poly.h"
}

/* ---- cuBLAS and the exact head at the working type ---- */

/* C <- alpha op(A) op(B) + beta C, row-major (cuBLAS's column-major C^T =
 * op(B)^T op(A)^T) */
static cublasStatus_t gemm_rm(int ta, int tb, int64_t M, int64_t N, int64_t K,
                              double alpha, const double *A, int64_t lda,
                              const double *B, int64_t ldb, double beta,
                              double *C, int64_t ldc) {
  return cublasDgemm(gpu_cublas(), tb ? CUBLAS_OP_T : CUBLAS_OP_N,
                     ta ? CUBLAS_OP_T : CUBLAS_OP_N, (int)N, (int)M, (int)K,
                     &alpha, B, (int)ldb, A, (int)lda, &beta, C, (int)ldc);
}
static cublasStatus_t gemm_rm(int ta, int tb, int64_t M, int64_t N, int64_t K,
                              float alpha, const float *A, int64_t lda,
                              const float *B, int64_t ldb, float beta,
                              float *C, int64_t ldc) {
  return cublasSgemm(gpu_cublas(), tb ? CUBLAS_OP_T : CUBLAS_OP_N,
                     ta ? CUBLAS_OP_T : CUBLAS_OP_N, (int)N, (int)M, (int)K,
                     &alpha, B, (int)ldb, A, (int)lda, &beta, C, (int)ldc);
}

static int flash_fwd(int64_t n, int dh, int H, int causal, double tau,
                     const double *q, const double *k, const double *u,
                     double *o, double *lse) {
  return gpu_flash_forward_dev64(n, dh, H, causal, tau, q, k, u, o, lse);
}
static int flash_fwd(int64_t n, int dh, int H, int causal, float tau,
                     const float *q, const float *k, const float *u, float *o,
                     float *lse) {
  return gpu_flash_forward_dev32(n, dh, H, causal, tau, q, k, u, o, lse);
}
static int flash_bwd(int64_t n, int dh, int H, int causal, double tau,
                     const double *q, const double *k, const double *u,
                     const double *o, const double *g, const double *lse,
                     double *r, double *dq, double *dk, double *du) {
  return gpu_flash_backward_dev64(n, dh, H, causal, tau, q, k, u, o, g, lse, r,
                                  dq, dk, du);
}
static int flash_bwd(int64_t n, int dh, int H, int causal, float tau,
                     const float *q, const float *k, const float *u,
                     const float *o, const float *g, const float *lse,
                     float *r, float *dq, float *dk, float *du) {
  return gpu_flash_backward_dev32(n, dh, H, causal, tau, q, k, u, o, g, lse, r,
                                  dq, dk, du);
}

/* ---- the state ---- */

/* one layer's weights and what its forward keeps (model_impl.h weights +
 * layer_state), device arrays; NULL where the config has none */
template <class T>
struct dlayer {
  T *wq, *wk, *wv, *wo, *n1w, *n1b, *n2w, *n2b, *w1, *b1, *w2, *b2;
  T *xn, *mu1, *rs1, *q, *k, *u, *c, *saved, *y, *yn, *mu2, *rs2, *p, *hm;
};

template <class T>
struct model {
  ar_config cfg;
  const char *source;
  char path[32];
  gpu_head_kind head;
  fa_head_params prm;
  int64_t n, d, m, H, L, V;
  T tau;
  std::vector<dlayer<T>> ly;
  T *act, *target, *cotangent, *unembed, *probs;
  int64_t *labels;
  double *red, *part; /* loss partials / row losses; column-sum partials */
  std::vector<double> radius; /* L x H: each poly head's R, for backward */
  std::vector<void *> owned;
  std::vector<T> stage; /* host staging of one result (float model) */
};

struct gpu_model {
  int bits;
  model<double> *m64;
  model<float> *m32;
};

#define TRY(x)                 \
  do {                         \
    if (!(x)) return -1;       \
  } while (0)

template <class T>
static void model_free(model<T> *b) {
  if (!b) return;
  for (void *p : b->owned) cudaFree(p);
  delete b;
}

/* p <- count device values of type V, owned by b; NULL on failure */
template <class T, class V = T>
static V *take(model<T> *b, int64_t count) {
  void *p = NULL;
  if (!gpu_ok(cudaMalloc(&p, (size_t)(count > 0 ? count : 1) * sizeof(V)),
              "cudaMalloc(model)"))
    return NULL;
  b->owned.push_back(p);
  return (V *)p;
}

/* device dst <- src (count doubles) at T; false on failure */
template <class T>
static bool fill(model<T> *b, T *dst, const double *src, int64_t count) {
  if (sizeof(T) == sizeof(double))
    return gpu_ok(cudaMemcpy(dst, src, (size_t)count * 8,
                             cudaMemcpyHostToDevice),
                  "cudaMemcpy(inputs)");
  b->stage.resize((size_t)count);
  for (int64_t i = 0; i < count; i++) b->stage[i] = (T)src[i];
  return gpu_ok(cudaMemcpy(dst, b->stage.data(), (size_t)count * sizeof(T),
                           cudaMemcpyHostToDevice),
                "cudaMemcpy(inputs)");
}

/* the device copy of src at T (NULL stays NULL); *ok cleared on failure */
template <class T>
static T *upload(model<T> *b, const double *src, int64_t count, bool *ok) {
  if (!src || !*ok) return NULL;
  T *dst = take(b, count);
  if (!dst || !fill(b, dst, src, count)) *ok = false;
  return dst;
}

/* doubles of the partials: column sums' chunks, or the heads' statistics
 * (3 per head and block of MK_NT rows) */
static int64_t part_count(const ar_config *c) {
  const int64_t wide = c->d > c->mlp ? c->d : c->mlp;
  const int64_t stats = 3 * c->heads * ((c->n + MK_NT - 1) / MK_NT);
  return MK_CHUNKS * wide > stats ? MK_CHUNKS * wide : stats;
}

/* model_impl.h buffers_new on the device: weights and inputs copied once */
template <class T>
static model<T> *model_new(const ar_case *c, const char *path,
                           gpu_head_kind head, const fa_head_params *p) {
  const ar_config *cfg = &c->cfg;
  model<T> *b = new model<T>();
  b->cfg = *cfg;
  b->source = c->source ? c->source : "case";
  snprintf(b->path, sizeof b->path, "%s", path);
  b->head = head;
  b->prm = *p;
  b->n = cfg->n, b->d = cfg->d, b->m = cfg->mlp, b->H = cfg->heads;
  b->L = cfg->layers, b->V = cfg->vocab;
  /* tau exactly 1/sqrt(dh) at the working precision, or the config's */
  b->tau = cfg->has_scale ? (T)cfg->scale
                          : (T)1 / sqrt((T)ar_config_head_dim(cfg));
  const int64_t n = b->n, d = b->d, m = b->m, L = b->L, nd = n * d;
  const int norm = cfg->norm != AR_NORM_NONE;
  bool ok = true;
  b->ly.resize((size_t)L);
  for (int64_t l = 0; l < L && ok; l++) {
    const ar_layer_weights *cw = &c->layer[l];
    dlayer<T> *w = &b->ly[l];
    memset(w, 0, sizeof *w);
    w->wq = upload(b, cw->wq, d * d, &ok);
    w->wk = upload(b, cw->wk, d * d, &ok);
    w->wv = upload(b, cw->wv, d * d, &ok);
    w->wo = upload(b, cw->wo, d * d, &ok);
    w->n1w = upload(b, cw->norm1_w, d, &ok);
    w->n1b = upload(b, cw->norm1_b, d, &ok);
    w->n2w = upload(b, cw->norm2_w, d, &ok);
    w->n2b = upload(b, cw->norm2_b, d, &ok);
    w->w1 = upload(b, cw->w1, d * m, &ok);
    w->b1 = upload(b, cw->b1, m, &ok);
    w->w2 = upload(b, cw->w2, m * d, &ok);
    w->b2 = upload(b, cw->b2, d, &ok);
    if (norm) {
      ok = ok && (w->xn = take(b, nd)) && (w->mu1 = take(b, n)) &&
           (w->rs1 = take(b, n));
    }
    ok = ok && (w->q = take(b, nd)) && (w->k = take(b, nd)) &&
         (w->u = take(b, nd)) && (w->c = take(b, nd)) &&
         (w->saved = take(b, b->H * n));
    if (m > 0) {
      ok = ok && (w->y = take(b, nd));
      if (norm)
        ok = ok && (w->yn = take(b, nd)) && (w->mu2 = take(b, n)) &&
             (w->rs2 = take(b, n));
      ok = ok && (w->p = take(b, n * m)) && (w->hm = take(b, n * m));
    }
  }
  b->target = upload(b, c->target, nd, &ok);
  b->cotangent = upload(b, c->cotangent, nd, &ok);
  b->unembed = upload(b, c->unembed, d * b->V, &ok);
  ok = ok && (b->act = take(b, (L + 1) * nd));
  ok = ok && fill(b, b->act, c->x, nd); /* X_0 = x at T */
  if (cfg->loss == AR_LOSS_XENT) {
    ok = ok && (b->probs = take(b, n * b->V)) &&
         (b->labels = take<T, int64_t>(b, n)) &&
         gpu_ok(cudaMemcpy(b->labels, c->labels, (size_t)n * 8,
                           cudaMemcpyHostToDevice),
                "cudaMemcpy(labels)");
  }
  ok = ok && (b->red = take<T, double>(b, n > 256 ? n : 256)) &&
       (b->part = take<T, double>(b, part_count(cfg)));
  b->radius.assign((size_t)(L * b->H), 0.0);
  if (!ok) {
    model_free(b);
    return NULL;
  }
  return b;
}

/* ---- steps ---- */

template <class T>
static bool copy_dev(T *dst, const T *src, int64_t count) {
  return gpu_ok(cudaMemcpyAsync(dst, src, (size_t)count * sizeof(T),
                                cudaMemcpyDeviceToDevice),
                "cudaMemcpy(device)");
}

template <class T>
static bool gemm(int ta, int tb, int64_t M, int64_t N, int64_t K, T alpha,
                 const T *A, int64_t lda, const T *B, int64_t ldb, T beta,
                 T *C, int64_t ldc) {
  if (M <= 0 || N <= 0) return true;
  return gpu_blas_ok(gemm_rm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C,
                             ldc),
                     sizeof(T) == 8 ? "cublasDgemm" : "cublasSgemm");
}

/* Y <- Y + 1 b^T */
template <class T>
static bool add_bias(int64_t rows, int64_t cols, const T *bias, T *y) {
  return gpu_launched(gpu_launch(mk_add_bias<T>, dim3(mk_blocks(rows * cols, 256)),
                                 dim3(256), 0, rows, cols, bias, y),
                      "mk_add_bias");
}

/* out <- column sums of dy (x NULL) or of dy o xhat (double, device) */
template <class T>
static bool col_sums(model<T> *b, int64_t rows, int64_t cols, const T *dy,
                     const T *x, const T *mu, const T *rs, double *out) {
  const int chunks = rows < MK_CHUNKS ? (int)rows : MK_CHUNKS;
  const unsigned cb = mk_blocks(cols, MK_NT);
  return gpu_launched(gpu_launch(mk_colsum_part<T>, dim3(cb, (unsigned)chunks),
                                 dim3(MK_NT), 0, rows, cols, dy, x, mu, rs,
                                 b->part),
                      "mk_colsum_part") &&
         gpu_launched(gpu_launch(mk_colsum_final, dim3(cb), dim3(MK_NT), 0,
                                 cols, chunks, b->part, out),
                      "mk_colsum_final");
}

template <class T>
static bool norm_forward(model<T> *b, const T *x, const T *gw, const T *gb,
                         T *y, T *mu, T *rs) {
  const int nt = mk_row_threads(b->d);
  return gpu_launched(gpu_launch(mk_norm_forward<T>, dim3((unsigned)b->n),
                                 dim3(nt), nt * sizeof(double),
                                 b->cfg.norm == AR_NORM_LAYER, b->d,
                                 b->cfg.norm_eps, x, gw, gb, y, mu, rs),
                      "mk_norm_forward");
}

/* model_impl.h norm_backward: dx, dgw = sum_rows dy o xhat, dgb = sum dy */
template <class T>
static bool norm_backward(model<T> *b, const T *x, const T *gw, const T *mu,
                          const T *rs, const T *dy, T *dx, int accumulate,
                          double *dgw, double *dgb) {
  const int64_t n = b->n, d = b->d;
  const int nt = mk_row_threads(d);
  return gpu_launched(gpu_launch(mk_norm_backward<T>, dim3((unsigned)n),
                                 dim3(nt), nt * sizeof(double),
                                 b->cfg.norm == AR_NORM_LAYER, d, x, gw, mu, rs,
                                 dy, dx, accumulate),
                      "mk_norm_backward") &&
         col_sums(b, n, d, dy, x, mu, rs, dgw) &&
         (!dgb || col_sums<T>(b, n, d, dy, NULL, NULL, NULL, dgb));
}

/* ---- heads (sections 5, 6) ---- */

static fa_head head_of(int64_t n, int64_t d, int64_t H, int causal,
                       double tau) {
  fa_head h = {n, d / H, d, causal, tau};
  return h;
}

/* The polynomial heads' R per head of layer l (fast/attn_approx.c
 * fa_approx_head_radius over model_impl.h's score_radius), with eps and the
 * output bound recorded into ls as fast/approx_common.c's recorder does.
 * Returns 1 when no polynomial exists for some R (*failed set). */
static int poly_radii(model<double> *b, int64_t l, fa_approx_layer *ls,
                      int *failed) {
  const int64_t n = b->n, d = b->d, H = b->H, dh = d / H;
  const dlayer<double> *w = &b->ly[l];
  const unsigned nb = mk_blocks(n, MK_NT);
  std::vector<double> st((size_t)(3 * nb * H));
  if (!gpu_launched(gpu_launch(mk_head_stats<double>, dim3(nb, (unsigned)H),
                               dim3(MK_NT), MK_NT * sizeof(double), n, dh, d,
                               w->q, w->k, w->u, b->part),
                    "mk_head_stats") ||
      !gpu_ok(cudaMemcpy(st.data(), b->part, st.size() * 8,
                         cudaMemcpyDeviceToHost),
              "cudaMemcpy(head stats)"))
    return -1;
  const double tau = fabs((double)b->tau);
  for (int64_t hh = 0; hh < H; hh++) {
    double mq = 0, mk = 0, umax = 0;
    for (unsigned i = 0; i < nb; i++) {
      const double *s = &st[(size_t)(hh * nb + i) * 3];
      if (s[0] > mq) mq = s[0];
      if (s[1] > mk) mk = s[1];
      if (s[2] > umax) umax = s[2];
    }
    /* score_radius, and fa_approx_radius's upward rounding allowance */
    const double r0 = tau * sqrt(mq) * sqrt(mk);
    const double r1 = r0 * (1 + (double)(dh + 8) * 0x1p-52);
    const double R = r0 > r1 ? r0 : r1;
    b->radius[(size_t)(l * H + hh)] = R;
    fa_poly poly;
    const int prc = fa_approx_poly(&b->prm, R, &poly);
    const double eps = prc ? INFINITY : poly.eps;
    if (!prc) fa_poly_free(&poly);
    const double bound = eps < 1 ? 2 * eps / (1 - eps) * umax : INFINITY;
    fa_approx_layer *s = &ls[l];
    if (R > s->radius) s->radius = R;
    if (!(eps <= s->eps)) s->eps = eps;
    if (!(bound <= s->bound)) s->bound = bound;
    if (prc) *failed = 1;
  }
  return *failed ? 1 : 0;
}

/* C <- concat_h softmax_mask(tau Q_h K_h^T) U_h */
template <class T>
static int heads_forward(model<T> *b, int64_t l, fa_approx_layer *ls,
                         int *failed);
template <>
int heads_forward<float>(model<float> *b, int64_t l, fa_approx_layer *,
                         int *) {
  dlayer<float> *w = &b->ly[l];
  return flash_fwd(b->n, (int)(b->d / b->H), (int)b->H, b->cfg.causal, b->tau,
                   w->q, w->k, w->u, w->c, w->saved);
}
template <>
int heads_forward<double>(model<double> *b, int64_t l, fa_approx_layer *ls,
                          int *failed) {
  dlayer<double> *w = &b->ly[l];
  if (b->head == GPU_HEAD_FLASH)
    return flash_fwd(b->n, (int)(b->d / b->H), (int)b->H, b->cfg.causal,
                     b->tau, w->q, w->k, w->u, w->c, w->saved);
  int rc = poly_radii(b, l, ls, failed);
  if (rc) return rc;
  const fa_head h = head_of(b->n, b->d, b->H, b->cfg.causal, b->tau);
  const int wide = b->head == GPU_HEAD_POLY64;
  for (int64_t hh = 0; hh < b->H; hh++) {
    const int64_t off = hh * h.dh;
    if (gpu_poly_forward_dev(wide, &h, &b->prm, b->radius[(size_t)(l * b->H + hh)],
                             w->q + off, w->k + off, w->u + off, w->c + off,
                             w->saved + hh * b->n))
      return -1;
  }
  return 0;
}

/* dQ, dK, dU <- the heads' backward given dC (r: H x n scratch) */
template <class T>
static int heads_backward(model<T> *b, int64_t l, const T *dc, T *r, T *dq,
                          T *dk, T *du);
template <>
int heads_backward<float>(model<float> *b, int64_t l, const float *dc,
                          float *r, float *dq, float *dk, float *du) {
  const dlayer<float> *w = &b->ly[l];
  return flash_bwd(b->n, (int)(b->d / b->H), (int)b->H, b->cfg.causal, b->tau,
                   w->q, w->k, w->u, w->c, dc, w->saved, r, dq, dk, du);
}
template <>
int heads_backward<double>(model<double> *b, int64_t l, const double *dc,
                           double *r, double *dq, double *dk, double *du) {
  const dlayer<double> *w = &b->ly[l];
  if (b->head == GPU_HEAD_FLASH)
    return flash_bwd(b->n, (int)(b->d / b->H), (int)b->H, b->cfg.causal,
                     b->tau, w->q, w->k, w->u, w->c, dc, w->saved, r, dq, dk,
                     du);
  const fa_head h = head_of(b->n, b->d, b->H, b->cfg.causal, b->tau);
  const int wide = b->head == GPU_HEAD_POLY64;
  for (int64_t hh = 0; hh < b->H; hh++) {
    const int64_t off = hh * h.dh;
    if (gpu_poly_backward_dev(wide, &h, &b->prm,
                              b->radius[(size_t)(l * b->H + hh)], w->q + off,
                              w->k + off, w->u + off, w->c + off, dc + off,
                              w->saved + hh * b->n, dq + off, dk + off,
                              du + off))
      return -1;
  }
  return 0;
}

/* ---- one layer (section 9) ---- */

/* X' <- layer l (X) */
template <class T>
static int layer_forward(model<T> *b, int64_t l, fa_approx_layer *ls,
                         int *failed) {
  const int64_t n = b->n, d = b->d, m = b->m, nd = n * d;
  const int res = b->cfg.residual;
  dlayer<T> *w = &b->ly[l];
  const T *x = b->act + l * nd;
  T *xout = b->act + (l + 1) * nd;
  const T *xn = x;
  if (w->xn) {
    TRY(norm_forward(b, x, w->n1w, w->n1b, w->xn, w->mu1, w->rs1));
    xn = w->xn;
  }
  TRY(gemm<T>(0, 0, n, d, d, 1, xn, d, w->wq, d, 0, w->q, d));
  TRY(gemm<T>(0, 0, n, d, d, 1, xn, d, w->wk, d, 0, w->k, d));
  TRY(gemm<T>(0, 0, n, d, d, 1, xn, d, w->wv, d, 0, w->u, d));
  int rc = heads_forward<T>(b, l, ls, failed);
  if (rc) return rc;
  /* Y = X + C Wo (Y = C Wo without residual) */
  T *y = m > 0 ? w->y : xout;
  if (res) TRY(copy_dev(y, x, nd));
  TRY(gemm<T>(0, 0, n, d, d, 1, w->c, d, w->wo, d, res ? 1 : 0, y, d));
  if (m == 0) return 0;
  /* Z = Y + act(Yn W1 + b1) W2 + b2 */
  const T *yn = y;
  if (w->yn) {
    TRY(norm_forward(b, y, w->n2w, w->n2b, w->yn, w->mu2, w->rs2));
    yn = w->yn;
  }
  TRY(gemm<T>(0, 0, n, m, d, 1, yn, d, w->w1, m, 0, w->p, m));
  TRY(add_bias(n, m, w->b1, w->p));
  TRY(gpu_launched(gpu_launch(mk_act_forward<T>, dim3(mk_blocks(n * m, 256)),
                              dim3(256), 0, n * m, b->cfg.act == AR_ACT_GELU,
                              w->p, w->hm),
                   "mk_act_forward"));
  if (res) TRY(copy_dev(xout, (const T *)y, nd));
  TRY(gemm<T>(0, 0, n, d, m, 1, w->hm, m, w->w2, d, res ? 1 : 0, xout, d));
  TRY(add_bias(n, d, w->b2, xout));
  return 0;
}

/* ---- results ---- */

/* out[name] <- the device array src (dims its shape) at the working dtype */
template <class T>
static int put_dev(model<T> *b, ar_tensorset *out, const char *name, int ndim,
                   const int64_t *dims, const T *src, ar_error *err) {
  const ar_dtype dt = sizeof(T) == 8 ? AR_F64 : AR_F32;
  ar_tensor *t = ar_tensorset_add(out, name, dt, ndim, dims, err);
  if (!t) return err->code;
  const size_t cnt = (size_t)t->numel;
  if (sizeof(T) == sizeof(double))
    return gpu_ok(cudaMemcpy(t->data, src, cnt * 8, cudaMemcpyDeviceToHost),
                  "cudaMemcpy(result)")
               ? AR_OK
               : -1;
  b->stage.resize(cnt);
  if (!gpu_ok(cudaMemcpy(b->stage.data(), src, cnt * sizeof(T),
                         cudaMemcpyDeviceToHost),
              "cudaMemcpy(result)"))
    return -1;
  for (size_t i = 0; i < cnt; i++) t->data[i] = (double)b->stage[i];
  return AR_OK;
}

template <class T>
static int put_matrix(model<T> *b, ar_tensorset *out, const char *name,
                      int64_t rows, int64_t cols, const T *src,
                      ar_error *err) {
  const int64_t dims[2] = {rows, cols};
  return put_dev(b, out, name, 2, dims, src, err);
}

/* grad.layers.{l}.<what> <- a device matrix */
template <class T>
static int put_layer(model<T> *b, ar_tensorset *out, int64_t l,
                     const char *what, int64_t rows, int64_t cols,
                     const T *src, ar_error *err) {
  char name[96];
  snprintf(name, sizeof name, "grad.layers.%lld.%s", (long long)l, what);
  return put_matrix(b, out, name, rows, cols, src, err);
}

/* grad.layers.{l}.<what> <- an accumulated device vector rounded to T */
template <class T>
static int put_layer_vec(model<T> *b, ar_tensorset *out, int64_t l,
                         const char *what, int64_t len, const double *src,
                         ar_error *err) {
  char name[96];
  snprintf(name, sizeof name, "grad.layers.%lld.%s", (long long)l, what);
  const ar_dtype dt = sizeof(T) == 8 ? AR_F64 : AR_F32;
  ar_tensor *t = ar_tensorset_add(out, name, dt, 1, &len, err);
  if (!t) return err->code;
  if (!gpu_ok(cudaMemcpy(t->data, src, (size_t)len * 8, cudaMemcpyDeviceToHost),
              "cudaMemcpy(result)"))
    return -1;
  for (int64_t i = 0; i < len; i++) t->data[i] = (double)(T)t->data[i];
  return AR_OK;
}

/* ---- backward of one layer ---- */

/* one layer's backward workspace, reused by every layer */
template <class T>
struct grads {
  T *dx, *dy, *dc, *dq, *dk, *du, *dyn; /* n x d */
  T *dh;                                /* n x m */
  T *dw;                                /* max(d d, d m, d V) */
  T *r;                                 /* H x n (exact head) */
  double *dvec;                         /* max(2d, m) */
};

/* R(call): a step's AR code (nonzero: return it) */
#define R(call)                    \
  do {                             \
    if ((rc = (call)) != 0) return rc; \
  } while (0)

/* Layer l's backward: g->dx (dX') -> dX, its weight gradients into out */
template <class T>
static int layer_backward(model<T> *b, int64_t l, grads<T> *g,
                          ar_tensorset *out, ar_error *err) {
  const int64_t n = b->n, d = b->d, m = b->m, nd = n * d;
  const dlayer<T> *w = &b->ly[l];
  const T *x = b->act + l * nd;
  const T *xn = w->xn ? w->xn : x;
  const int res = b->cfg.residual;
  const ar_norm norm = b->cfg.norm;
  int rc = 0;
  T *dy = g->dx; /* dY = dX' without an MLP */
  if (m > 0) {
    /* Z = [Y +] Hm W2 + 1 b2^T, Hm = act(P), P = Yn W1 + 1 b1^T */
    const T *dz = g->dx, *yn = w->yn ? w->yn : w->y;
    TRY(col_sums<T>(b, n, d, dz, NULL, NULL, NULL, g->dvec));
    R(put_layer_vec(b, out, l, "mlp.b2", d, g->dvec, err));
    TRY(gemm<T>(1, 0, m, d, n, 1, w->hm, m, dz, d, 0, g->dw, d));
    R(put_layer(b, out, l, "mlp.w2", m, d, g->dw, err));
    TRY(gemm<T>(0, 1, n, m, d, 1, dz, d, w->w2, d, 0, g->dh, m));
    TRY(gpu_launched(gpu_launch(mk_act_backward<T>, dim3(mk_blocks(n * m, 256)),
                                dim3(256), 0, n * m,
                                b->cfg.act == AR_ACT_GELU, w->p, g->dh),
                     "mk_act_backward"));
    TRY(col_sums<T>(b, n, m, g->dh, NULL, NULL, NULL, g->dvec));
    R(put_layer_vec(b, out, l, "mlp.b1", m, g->dvec, err));
    TRY(gemm<T>(1, 0, d, m, n, 1, yn, d, g->dh, m, 0, g->dw, m));
    R(put_layer(b, out, l, "mlp.w1", d, m, g->dw, err));
    dy = g->dy;
    if (res) TRY(copy_dev(dy, dz, nd));
    if (norm == AR_NORM_NONE) {
      TRY(gemm<T>(0, 1, n, d, m, 1, g->dh, m, w->w1, m, res ? 1 : 0, dy, d));
    } else {
      TRY(gemm<T>(0, 1, n, d, m, 1, g->dh, m, w->w1, m, 0, g->dyn, d));
      double *dgb = norm == AR_NORM_LAYER ? g->dvec + d : NULL;
      TRY(norm_backward(b, w->y, w->n2w, w->mu2, w->rs2, g->dyn, dy, res,
                        g->dvec, dgb));
      R(put_layer_vec(b, out, l, "norm2.weight", d, g->dvec, err));
      if (dgb) R(put_layer_vec(b, out, l, "norm2.bias", d, dgb, err));
    }
  }
  /* Y = [X +] C Wo */
  TRY(gemm<T>(1, 0, d, d, n, 1, w->c, d, dy, d, 0, g->dw, d));
  R(put_layer(b, out, l, "wo", d, d, g->dw, err));
  TRY(gemm<T>(0, 1, n, d, d, 1, dy, d, w->wo, d, 0, g->dc, d));
  TRY(heads_backward<T>(b, l, g->dc, g->r, g->dq, g->dk, g->du) == 0);
  /* Q, K, U = Xn Wq, Xn Wk, Xn Wv */
  TRY(gemm<T>(1, 0, d, d, n, 1, xn, d, g->dq, d, 0, g->dw, d));
  R(put_layer(b, out, l, "wq", d, d, g->dw, err));
  TRY(gemm<T>(1, 0, d, d, n, 1, xn, d, g->dk, d, 0, g->dw, d));
  R(put_layer(b, out, l, "wk", d, d, g->dw, err));
  TRY(gemm<T>(1, 0, d, d, n, 1, xn, d, g->du, d, 0, g->dw, d));
  R(put_layer(b, out, l, "wv", d, d, g->dw, err));
  /* dXn = dQ Wq^T + dK Wk^T + dU Wv^T; dX = Norm1_backward(dXn) [+ dY] */
  T *dx = g->dx, *dxn = norm == AR_NORM_NONE ? g->dx : g->dyn;
  const int keep = norm == AR_NORM_NONE && res; /* dX starts as dY */
  if (keep && dx != dy) TRY(copy_dev(dx, (const T *)dy, nd));
  TRY(gemm<T>(0, 1, n, d, d, 1, g->dq, d, w->wq, d, keep ? 1 : 0, dxn, d));
  TRY(gemm<T>(0, 1, n, d, d, 1, g->dk, d, w->wk, d, 1, dxn, d));
  TRY(gemm<T>(0, 1, n, d, d, 1, g->du, d, w->wv, d, 1, dxn, d));
  if (norm == AR_NORM_NONE) return 0;
  if (res && dx != dy) TRY(copy_dev(dx, (const T *)dy, nd));
  double *dgb = norm == AR_NORM_LAYER ? g->dvec + d : NULL;
  TRY(norm_backward(b, x, w->n1w, w->mu1, w->rs1, dxn, dx, res, g->dvec, dgb));
  R(put_layer_vec(b, out, l, "norm1.weight", d, g->dvec, err));
  if (dgb) R(put_layer_vec(b, out, l, "norm1.bias", d, dgb, err));
  return 0;
}

/* ---- loss (section 11) ---- */

/* *loss <- mse (1/2)||X_L - T||^2 | linear <X_L, C> | xent (1/n) sum_i
 * (lse_i - Lg_iy); xent keeps P = softmax(X_L Wu) by rows in probs */
template <class T>
static int loss_forward(model<T> *b, double *loss) {
  const int64_t n = b->n, d = b->d, V = b->V, nd = n * d;
  const T *x = b->act + b->L * nd;
  double s = 0;
  if (b->cfg.loss != AR_LOSS_XENT) {
    const int mse = b->cfg.loss == AR_LOSS_MSE;
    unsigned G = mk_blocks(nd, MK_NT);
    if (G > 256) G = 256;
    double part[256];
    TRY(gpu_launched(gpu_launch(mk_loss_part<T>, dim3(G), dim3(MK_NT),
                                MK_NT * sizeof(double), nd, mse, x,
                                mse ? b->target : b->cotangent, b->red),
                     "mk_loss_part"));
    TRY(gpu_ok(cudaMemcpy(part, b->red, G * 8, cudaMemcpyDeviceToHost),
               "cudaMemcpy(loss)"));
    for (unsigned i = 0; i < G; i++) s += part[i];
    *loss = mse ? s / 2 : s;
    return 0;
  }
  TRY(gemm<T>(0, 0, n, V, d, 1, x, d, b->unembed, V, 0, b->probs, V));
  const int nt = mk_row_threads(V);
  TRY(gpu_launched(gpu_launch(mk_softmax_rows<T>, dim3((unsigned)n),
                              dim3(nt), nt * sizeof(double), V,
                              b->labels, b->probs, b->red),
                   "mk_softmax_rows"));
  std::vector<double> row((size_t)n);
  TRY(gpu_ok(cudaMemcpy(row.data(), b->red, (size_t)n * 8,
                        cudaMemcpyDeviceToHost),
             "cudaMemcpy(row losses)"));
  for (int64_t i = 0; i < n; i++) s += row[i]; /* in the CPU's order */
  *loss = s / (double)n;
  return 0;
}

/* dx <- dL/dX_L, and the loss input's gradient into out (mse dT = T - X,
 * linear dC = X, xent dWu = X^T dLg) */
template <class T>
static int loss_backward(model<T> *b, grads<T> *g, ar_tensorset *out,
                         ar_error *err) {
  const int64_t n = b->n, d = b->d, V = b->V, nd = n * d;
  const T *x = b->act + b->L * nd;
  T *dx = g->dx;
  const unsigned G = mk_blocks(nd, 256);
  int rc = 0;
  switch (b->cfg.loss) {
  case AR_LOSS_MSE:
    TRY(gpu_launched(gpu_launch(mk_sub<T>, dim3(G), dim3(256), 0, nd,
                                b->target, x, dx),
                     "mk_sub"));
    R(put_matrix(b, out, "grad.target", n, d, (const T *)dx, err));
    TRY(gpu_launched(gpu_launch(mk_scale<T>, dim3(G), dim3(256), 0, nd, (T)-1,
                                dx, dx, 0),
                     "mk_scale"));
    return 0;
  case AR_LOSS_LINEAR:
    TRY(copy_dev(dx, (const T *)b->cotangent, nd));
    return put_matrix(b, out, "grad.cotangent", n, d, x, err);
  case AR_LOSS_XENT:
    break;
  }
  T *dlg = take(b, n * V);
  TRY(dlg);
  const int nt = mk_row_threads(V);
  TRY(gpu_launched(gpu_launch(mk_xent_grad<T>, dim3((unsigned)n), dim3(nt),
                              nt * sizeof(double), n, V, b->labels,
                              b->probs, dlg),
                   "mk_xent_grad"));
  TRY(gemm<T>(1, 0, d, V, n, 1, x, d, dlg, V, 0, g->dw, V));
  TRY(gemm<T>(0, 1, n, d, V, 1, dlg, V, b->unembed, V, 0, dx, d));
  return put_matrix(b, out, "grad.unembed", d, V, (const T *)g->dw, err);
}

/* ---- entry points ---- */

/* a failure: a recorded CUDA error named, else err as the step left it */
static int failed_with(const char *src, const char *path, int rc,
                       ar_error *err) {
  if (gpu_last_error()[0]) {
    ar_error_clear(err);
    return ar_fail(err, AR_FAIL_INTERNAL, "%s: path %s: %s", src, path,
                   gpu_last_error());
  }
  if (rc > 0 && err->code) return rc;
  return ar_fail(err, AR_FAIL_INTERNAL, "%s: path %s: device model failed",
                 src, path);
}

/* fast/model_impl.h fa_model_forward on the device: the same results
 * ("loss", "act.layers.{l}", attnref.config) in the same order */
template <class T>
static int forward_t(const ar_case *c, const char *path, gpu_head_kind head,
                     const fa_head_params *p, model<T> **st, ar_tensorset *out,
                     fa_approx_layer *ls, int *failed, ar_error *err) {
  const char *src = c->source ? c->source : "case";
  model<T> *b = model_new<T>(c, path, head, p);
  if (!b) return failed_with(src, path, -1, err);
  *st = b;
  const int64_t n = b->n, d = b->d;
  for (int64_t l = 0; l < b->L; l++) {
    int rc = layer_forward(b, l, ls, failed);
    if (failed && *failed) return 1;
    if (rc) return failed_with(src, path, -1, err);
  }
  double loss;
  if (loss_forward(b, &loss)) return failed_with(src, path, -1, err);
  const ar_dtype dt = sizeof(T) == 8 ? AR_F64 : AR_F32;
  ar_tensor *t = ar_tensorset_add(out, "loss", dt, 0, NULL, err);
  if (!t) return err->code;
  t->data[0] = (double)(T)loss;
  for (int64_t l = 0; l < b->L; l++) {
    char name[64];
    snprintf(name, sizeof name, "act.layers.%lld", (long long)l);
    int rc = put_matrix(b, out, name, n, d, b->act + (l + 1) * n * d, err);
    if (rc) return failed_with(src, path, rc, err);
  }
  char *json = ar_config_to_json(&c->cfg);
  if (!json)
    return ar_fail(err, AR_FAIL_INTERNAL, "%s: out of memory (config)", src);
  int rc = ar_tensorset_set_meta(out, AR_CONFIG_KEY, json, err);
  free(json);
  return rc;
}

/* fast/model_impl.h fa_model_backward on the device (same names, order) */
template <class T>
static int backward_t(model<T> *b, ar_tensorset *out, ar_error *err) {
  const int64_t n = b->n, d = b->d, m = b->m, V = b->V, nd = n * d;
  int64_t wd = d * (d > m ? d : m);
  if (b->cfg.loss == AR_LOSS_XENT && d * V > wd) wd = d * V;
  grads<T> g;
  bool ok = (g.dx = take(b, nd)) && (g.dy = take(b, nd)) &&
            (g.dc = take(b, nd)) && (g.dq = take(b, nd)) &&
            (g.dk = take(b, nd)) && (g.du = take(b, nd)) &&
            (g.dyn = take(b, nd)) && (g.dh = take(b, n * m)) &&
            (g.dw = take(b, wd)) && (g.r = take(b, b->H * n)) &&
            (g.dvec = take<T, double>(b, 2 * d > m ? 2 * d : m));
  if (!ok) return failed_with(b->source, b->path, -1, err);
  int rc = loss_backward(b, &g, out, err);
  for (int64_t l = b->L - 1; l >= 0 && rc == 0; l--) {
    char name[64];
    snprintf(name, sizeof name, "grad.act.layers.%lld", (long long)l);
    rc = put_matrix(b, out, name, n, d, (const T *)g.dx, err);
    if (rc == 0) rc = layer_backward(b, l, &g, out, err);
  }
  if (rc == 0) rc = put_matrix(b, out, "grad.x", n, d, (const T *)g.dx, err);
  return rc ? failed_with(b->source, b->path, rc, err) : 0;
}

extern "C" {

int gpu_model_forward(const ar_case *c, const char *path, int real_bytes,
                      gpu_head_kind head, const fa_head_params *p,
                      gpu_model **st, ar_tensorset *out, fa_approx_layer *ls,
                      int *poly_failed, ar_error *err) {
  static const fa_head_params none = {0, 0, 0.0};
  int dummy = 0;
  if (!poly_failed) poly_failed = &dummy;
  *poly_failed = 0;
  gpu_model_release(*st);
  *st = (gpu_model *)calloc(1, sizeof **st);
  if (!*st)
    return ar_fail(err, AR_FAIL_INTERNAL, "%s: out of memory", c->source);
  (*st)->bits = real_bytes * 8;
  if (head != GPU_HEAD_FLASH && (real_bytes != 8 || !ls))
    return ar_fail(err, AR_FAIL_INTERNAL,
                   "%s: path %s: polynomial heads need the double model", c->source,
                   path);
  gpu_clear_error();
  gpu_lock();
  int rc = real_bytes == 8
               ? forward_t<double>(c, path, head, p ? p : &none, &(*st)->m64,
                                   out, ls, poly_failed, err)
               : forward_t<float>(c, path, head, p ? p : &none, &(*st)->m32,
                                  out, ls, poly_failed, err);
  gpu_unlock();
  return rc;
}

int gpu_model_backward(const ar_case *c, gpu_model *st, ar_tensorset *out,
                       ar_error *err) {
  if (!st || (!st->m64 && !st->m32))
    return ar_fail(err, AR_FAIL_INTERNAL,
                   "%s: gpu model backward without its forward",
                   c->source ? c->source : "case");
  gpu_clear_error();
  gpu_lock();
  int rc = st->m64 ? backward_t(st->m64, out, err) : backward_t(st->m32, out, err);
  gpu_unlock();
  return rc;
}

void gpu_model_release(gpu_model *st) {
  if (!st) return;
  gpu_lock();
  model_free(st->m64);
  model_free(st->m32);
  gpu_unlock();
  free(st);
}

/* counted in double: an overflow shows as a value past 2^62, not a wrap
 * (the allocations of model_new and backward_t) */
int64_t gpu_model_device_bytes(const ar_config *c, int real_bytes) {
  double n = (double)c->n, d = (double)c->d, m = (double)c->mlp,
         L = (double)c->layers, H = (double)c->heads, V = (double)c->vocab;
  int norm = c->norm != AR_NORM_NONE, xent = c->loss == AR_LOSS_XENT;
  double nd = n * d, wide = d > m ? d : m;
  double layer = nd * 4 + H * n                      /* Q K U C, saved */
                 + (norm ? nd + 2 * n : 0)           /* Norm1 */
                 + (m > 0 ? nd + 2 * n * m : 0)      /* Y, P, act(P) */
                 + (m > 0 && norm ? nd + 2 * n : 0); /* Norm2 */
  double weights = L * (4 * d * d + 4 * d + 2 * d * m + m + d) + (xent ? d * V : nd);
  double dw = d * wide > (xent ? d * V : 0) ? d * wide : d * V;
  double vals = (L + 1) * nd + L * layer + weights
                + (xent ? 2 * n * V : 0)                /* softmax, dLg */
                + 7 * nd + n * m + dw + H * n;          /* backward */
  double dbl = (n > 256 ? n : 256) + (double)part_count(c) +
               (2 * d > m ? 2 * d : m) + (xent ? n : 0); /* + labels */
  double bytes = vals * real_bytes + dbl * 8 + 64 * 512.0 * (L + 1);
  return bytes < 4.0e18 ? (int64_t)bytes : -1;
}

int64_t gpu_model_host_bytes(const ar_config *c, int real_bytes) {
  double n = (double)c->n, d = (double)c->d, m = (double)c->mlp,
         L = (double)c->layers, V = (double)c->vocab;
  int xent = c->loss == AR_LOSS_XENT;
  double nd = n * d;
  double weights = L * (4 * d * d + 4 * d + 2 * d * m + m + d) + (xent ? d * V : nd);
  double results = 1 + 2 * L * nd + nd + weights; /* doubles */
  double big = nd > d * V ? nd : d * V;
  big = big > d * m ? big : d * m;
  if (big < d * d) big = d * d;
  double bytes = results * 8 + (real_bytes < 8 ? big * real_bytes : 0) + n * 8;
  return bytes < 4.0e18 ? (int64_t)bytes : -1;
}

} /* extern "C" */
