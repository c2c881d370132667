/* The float kernels of exact32 (contracts: kern_f32.h). Reductions: float loads widened to
 * double (exact), products of two floats in double (exact), one double rounding per addition:
 * the proofs of kern_dot.c, kern_reduce.c and kern_norm.c with exact terms. Elementwise
 * updates: one or two binary32 roundings per element, as kern_vec.c. */
#include "fast/kern/kern_f32.h"
#include "fast/kern/kern_fp.h"

/* res <- sum_i a[i*ia] * b[i*ib] in double, left to right */
double kern_dot_f32(int64_t n, const float *a, int64_t ia, const float *b, int64_t ib) {
  double s = 0.0;
  /*@ loop invariant 0 <= i <= n;
      loop invariant fin: \is_finite(s);
      loop invariant k: 0 <= acc_k(i, 0) <= 2 * i * fp_u;
      loop invariant nn: 0 <= acc_n(i, 0) <= 2 * i * fp_eta;
      loop invariant abs: 0 <= dotabsf(a, ia, b, ib, i) <= i * 0x1p256 &&
                          \abs(dotf(a, ia, b, ib, i)) <= dotabsf(a, ia, b, ib, i);
      loop invariant err: \abs(s - dotf(a, ia, b, ib, i))
          <= acc_k(i, 0) * dotabsf(a, ia, b, ib, i) + acc_n(i, 0);
      loop assigns i, s;
      loop variant n - i; */
  for (int64_t i = 0; i < n; i++) {
    float x = kern_loadf32(a, i, ia, n), y = kern_loadf32(b, i, ib, n);
    double p = kern_fmulf(x, y); /* exact: p = x y */
    /*@ assert next: dotf(a, ia, b, ib, i + 1) == dotf(a, ia, b, ib, i) + p &&
          dotabsf(a, ia, b, ib, i + 1) == dotabsf(a, ia, b, ib, i) + \abs(p) &&
          acc_k(i + 1, 0) == acc_k(i, 0) + 2 * fp_u && acc_n(i + 1, 0) == acc_n(i, 0) + 2 * fp_eta; */
    //@ assert KA: acc_k(i, 0) * dotabsf(a, ia, b, ib, i) <= dotabsf(a, ia, b, ib, i);
    //@ assert Kt: 0 <= acc_k(i, 0) * \abs(p);
    s = kern_fadd(s, p);
    /*@ assert step: \abs(s - (dotf(a, ia, b, ib, i) + p))
          <= (acc_k(i, 0) + 2 * fp_u) * (dotabsf(a, ia, b, ib, i) + \abs(p))
             + (acc_n(i, 0) + 2 * fp_eta); */
  }
  return s;
}

/* res <- sum_i x[i*inc] in double, left to right */
double kern_row_sum_f32(int64_t n, const float *x, int64_t inc) {
  double s = 0.0;
  /*@ loop invariant 0 <= i <= n;
      loop invariant fin: \is_finite(s);
      loop invariant k: 0 <= acc_k(i, 0) <= 2 * i * fp_u;
      loop invariant nn: 0 <= acc_n(i, 0) <= 2 * i * fp_eta;
      loop invariant abs: 0 <= sumabsf(x, inc, i) <= i * 0x1p128 &&
                          \abs(sumf(x, inc, i)) <= sumabsf(x, inc, i);
      loop invariant err: \abs(s - sumf(x, inc, i)) <= acc_k(i, 0) * sumabsf(x, inc, i) + acc_n(i, 0);
      loop assigns i, s;
      loop variant n - i; */
  for (int64_t i = 0; i < n; i++) {
    double v = kern_f2d(kern_loadf32(x, i, inc, n)); /* exact */
    /*@ assert next: sumf(x, inc, i + 1) == sumf(x, inc, i) + v &&
          sumabsf(x, inc, i + 1) == sumabsf(x, inc, i) + \abs(v) &&
          acc_k(i + 1, 0) == acc_k(i, 0) + 2 * fp_u && acc_n(i + 1, 0) == acc_n(i, 0) + 2 * fp_eta; */
    //@ assert KA: acc_k(i, 0) * sumabsf(x, inc, i) <= sumabsf(x, inc, i);
    //@ assert Kt: 0 <= acc_k(i, 0) * \abs(v);
    s = kern_fadd(s, v);
    /*@ assert step: \abs(s - (sumf(x, inc, i) + v))
          <= (acc_k(i, 0) + 2 * fp_u) * (sumabsf(x, inc, i) + \abs(v)) + (acc_n(i, 0) + 2 * fp_eta); */
  }
  return s;
}

/* res <- sum_j (x[j*inc] - c)^2 in double, left to right */
double kern_sqdev_sum_f32(int64_t n, const float *x, int64_t inc, double c) {
  double s = 0.0;
  /*@ loop invariant 0 <= i <= n;
      loop invariant fin: \is_finite(s);
      loop invariant k: 0x1p-51 <= acc_k(i, 0x1p-51) <= 0x1p-51 + 2 * i * fp_u;
      loop invariant nn: 0 <= acc_n(i, fp_sq_z) <= 2 * i * (fp_sq_z + fp_eta);
      loop invariant pos: 0 <= sqdevf(x, inc, i, c) <= i * 0x1p800;
      loop invariant err: \abs(s - sqdevf(x, inc, i, c))
                          <= acc_k(i, 0x1p-51) * sqdevf(x, inc, i, c) + acc_n(i, fp_sq_z);
      loop assigns i, s;
      loop variant n - i; */
  for (int64_t i = 0; i < n; i++) {
    double v = kern_f2d(kern_loadf32(x, i, inc, n)); /* exact */
    //@ assert vc: \abs(v - c) <= 0x1p400;
    //@ assert t: \let t = (v - c) * (v - c); 0 <= t <= 0x1p800;
    /*@ assert next: sqdevf(x, inc, i + 1, c) == sqdevf(x, inc, i, c) + (v - c) * (v - c) &&
          acc_k(i + 1, 0x1p-51) == acc_k(i, 0x1p-51) + 2 * fp_u &&
          acc_n(i + 1, fp_sq_z) == acc_n(i, fp_sq_z) + 2 * (fp_sq_z + fp_eta); */
    double p = kern_fsqdiff(v, c);
    //@ assert te: \abs(p - (v - c) * (v - c)) <= 0x1p-51 * \abs((v - c) * (v - c)) + fp_sq_z;
    //@ assert KA: acc_k(i, 0x1p-51) * sqdevf(x, inc, i, c) <= sqdevf(x, inc, i, c);
    /*@ assert Kt: 0x1p-51 * ((v - c) * (v - c)) <= acc_k(i, 0x1p-51) * ((v - c) * (v - c)) &&
          0x1p-51 * ((v - c) * (v - c)) <= (v - c) * (v - c); */
    //@ assert N: fp_u * acc_n(i, fp_sq_z) <= (fp_sq_z + fp_eta) / 2;
    double s1 = kern_fadd(s, p);
    /*@ assert step: \abs(s1 - (sqdevf(x, inc, i, c) + (v - c) * (v - c)))
          <= (acc_k(i, 0x1p-51) + 2 * fp_u) * (sqdevf(x, inc, i, c) + \abs((v - c) * (v - c)))
             + (acc_n(i, fp_sq_z) + 2 * (fp_sq_z + fp_eta)); */
    s = s1;
  }
  return s;
}

/* res <- sum_j x[j*inc] / n in double */
double kern_mean_f32(int64_t n, const float *x, int64_t inc) {
  double s = kern_row_sum_f32(n, x, inc);
  double dn = kern_i2d(n);
  //@ assert A: sumabsf(x, inc, n) <= n * 0x1p128 && \abs(sumf(x, inc, n)) <= sumabsf(x, inc, n);
  //@ assert S: \abs(s) <= sumabsf(x, inc, n) + acc_k(n, 0) * sumabsf(x, inc, n) + acc_n(n, 0);
  //@ assert S2: \abs(s) <= n * 0x1p129;
  //@ assert Sn: \abs(rdiv(s, n)) <= 0x1p129;
  double mu = kern_fdiv(s, dn);
  //@ assert mu_rnd: \abs(mu - rdiv(s, n)) <= fp_u * \abs(rdiv(s, n)) + fp_eta;
  //@ assert mu_big: \abs(mu) <= 0x1p399;
  /*@ assert d1: \abs(rdiv(s, n) - rdiv(sumf(x, inc, n), n))
        <= rdiv(acc_k(n, 0) * sumabsf(x, inc, n) + acc_n(n, 0), n); */
  /*@ assert d2: fp_u * \abs(rdiv(s, n))
        <= rdiv(fp_u * (sumabsf(x, inc, n) + acc_k(n, 0) * sumabsf(x, inc, n) + acc_n(n, 0)), n); */
  /*@ assert d3: fp_u * (sumabsf(x, inc, n) + acc_k(n, 0) * sumabsf(x, inc, n) + acc_n(n, 0))
        + acc_k(n, 0) * sumabsf(x, inc, n) + acc_n(n, 0)
        <= (acc_k(n, 0) + 2 * fp_u) * sumabsf(x, inc, n) + 2 * acc_n(n, 0); */
  return mu;
}

/* res <- sum_j (x[j*inc] - mu)^2 / n in double */
double kern_var_about_f32(int64_t n, const float *x, int64_t inc, double mu) {
  double dn = kern_i2d(n);
  double q = kern_sqdev_sum_f32(n, x, inc, mu);
  /*@ assert Q: \abs(q) <= sqdevf(x, inc, n, mu)
        + acc_k(n, 0x1p-51) * sqdevf(x, inc, n, mu) + acc_n(n, fp_sq_z); */
  //@ assert Q2: \abs(q) <= n * 0x1p802;
  //@ assert Qn1: \abs(rdiv(q, n)) <= rdiv(n * 0x1p802, n);
  //@ assert Qn: \abs(rdiv(q, n)) <= 0x1p802;
  double v = kern_fdiv(q, dn);
  //@ assert v_rnd: \abs(v - rdiv(q, n)) <= fp_u * \abs(rdiv(q, n)) + fp_eta;
  /*@ assert e1: \abs(rdiv(q, n) - rdiv(sqdevf(x, inc, n, mu), n))
        <= rdiv(acc_k(n, 0x1p-51) * sqdevf(x, inc, n, mu) + acc_n(n, fp_sq_z), n); */
  /*@ assert e2a: \abs(rdiv(q, n)) <= rdiv(sqdevf(x, inc, n, mu)
        + acc_k(n, 0x1p-51) * sqdevf(x, inc, n, mu) + acc_n(n, fp_sq_z), n); */
  /*@ assert e2: fp_u * \abs(rdiv(q, n)) <= rdiv(fp_u * (sqdevf(x, inc, n, mu)
        + acc_k(n, 0x1p-51) * sqdevf(x, inc, n, mu) + acc_n(n, fp_sq_z)), n); */
  //@ assert KQ: acc_k(n, 0x1p-51) * sqdevf(x, inc, n, mu) <= sqdevf(x, inc, n, mu);
  /*@ assert e3: fp_u * (sqdevf(x, inc, n, mu) + acc_k(n, 0x1p-51) * sqdevf(x, inc, n, mu)
          + acc_n(n, fp_sq_z)) + acc_k(n, 0x1p-51) * sqdevf(x, inc, n, mu) + acc_n(n, fp_sq_z)
        <= (acc_k(n, 0x1p-51) + 2 * fp_u) * sqdevf(x, inc, n, mu) + 2 * acc_n(n, fp_sq_z); */
  return v;
}

/* (mean, var) <- (sum_j x_j / n, sum_j (x_j - mean)^2 / n) in double */
void kern_mean_var_f32(int64_t n, const float *x, int64_t inc, double *mean, double *var) {
  double mu = kern_mean_f32(n, x, inc);
  double v = kern_var_about_f32(n, x, inc, mu);
  *mean = mu;
  *var = v;
}

/* res <- max_i x[i*inc] */
float kern_row_max_f32(int64_t n, const float *x, int64_t inc) {
  float m = kern_loadf32(x, 0, inc, n);
  /*@ loop invariant 1 <= i <= n;
      loop invariant fin: \is_finite(m);
      loop invariant max: m == maxrf(x, inc, i);
      loop invariant upper: \forall integer j; 0 <= j < i ==> eltf(x, inc, j) <= m;
      loop invariant attained: \exists integer j; 0 <= j < i && m == eltf(x, inc, j);
      loop assigns i, m;
      loop variant n - i; */
  for (int64_t i = 1; i < n; i++) {
    float v = kern_loadf32(x, i, inc, n);
    //@ assert next: maxrf(x, inc, i + 1) == rmax(maxrf(x, inc, i), v);
    float m2 = v > m ? v : m; /* a comparison of finite floats is exact: m2 = max(m, v) */
    //@ assert cases: m <= m2 && v <= m2 && (m2 == m || m2 == v);
    m = m2;
  }
  return m;
}

/* x[i] <- rnd32(alpha * x[i]) */
void kern_scale_f32(int64_t n, float alpha, float *x) {
  /*@ loop invariant 0 <= i <= n;
      loop invariant fin: finite_rangef(x, 1, n);
      loop invariant done: \forall integer j; 0 <= j < i ==> fp32_rnd(x[j], alpha * \at(x[j], Pre));
      loop invariant untouched: \forall integer j; i <= j < n ==> x[j] == \at(x[j], Pre);
      loop assigns i, x[0 .. n - 1];
      loop variant n - i; */
  for (int64_t i = 0; i < n; i++) {
    //@ assert old: \let k = i; x[k] == \at(x[k], Pre);
    //@ assert fin: \is_finite(x[i]);
    //@ assert pre: \let k = i; \abs(alpha * \at(x[k], Pre)) <= fp32_big;
    x[i] = kern_fmul32(alpha, x[i]);
  }
}

/* y[i] <- rnd32(y[i] + rnd32(alpha * x[i])) */
void kern_axpy_f32(int64_t n, float alpha, const float *x, float *y) {
  /*@ loop invariant 0 <= i <= n;
      loop invariant fin: finite_rangef(y, 1, n);
      loop invariant done: \forall integer j; 0 <= j < i ==>
        \abs(y[j] - (\at(y[j], Pre) + alpha * x[j]))
          <= fp32_u * \abs(\at(y[j], Pre) + alpha * x[j]) + 2 * fp32_u * \abs(alpha * x[j])
             + 3 * fp32_eta;
      loop invariant untouched: \forall integer j; i <= j < n ==> y[j] == \at(y[j], Pre);
      loop assigns i, y[0 .. n - 1];
      loop variant n - i; */
  for (int64_t i = 0; i < n; i++) {
    //@ assert old: \let k = i; y[k] == \at(y[k], Pre);
    //@ assert fin: \is_finite(x[i]) && \is_finite(y[i]);
    /*@ assert pre: \let k = i;
          \abs(alpha * x[k]) <= 0x1p125 && \abs(\at(y[k], Pre) + alpha * x[k]) <= 0x1p125; */
    float p = kern_fmul32(alpha, x[i]);
    //@ assert p_err: \abs(p - alpha * x[i]) <= fp32_u * \abs(alpha * x[i]) + fp32_eta;
    //@ assert r_big: \abs(y[i] + p) <= fp32_big;
    float r = kern_fadd32(y[i], p);
    //@ assert r_err: \abs(r - (y[i] + p)) <= fp32_u * \abs(y[i] + p) + fp32_eta;
    /*@ assert step: \let k = i; \abs(r - (\at(y[k], Pre) + alpha * x[k]))
          <= fp32_u * \abs(\at(y[k], Pre) + alpha * x[k]) + 2 * fp32_u * \abs(alpha * x[k])
             + 3 * fp32_eta; */
    y[i] = r;
  }
}
