/* The reductions of layernorm and rmsnorm: mean, sum of squared deviations, variance. */
#include "fast/kern/kern.h"
#include "fast/kern/kern_fp.h"

/* res <- sum_j (x[j*inc] - c)^2, left to right */
double kern_sqdev_sum(int64_t n, const double *x, int64_t inc, double c) {
  double s = 0.0;
  /*@ loop invariant 0 <= i <= n;
      loop invariant fin: \is_finite(s);
      loop invariant k: 0x1p-51 <= acc_k(i, 0x1p-51) <= 0x1p-51 + 2 * i * fp_u;
      loop invariant nn: 0 <= acc_n(i, fp_sq_z) <= 2 * i * (fp_sq_z + fp_eta);
      loop invariant pos: 0 <= sqdev(x, inc, i, c) <= i * 0x1p800;
      loop invariant err: \abs(s - sqdev(x, inc, i, c))
                          <= acc_k(i, 0x1p-51) * sqdev(x, inc, i, c) + acc_n(i, fp_sq_z);
      loop assigns i, s;
      loop variant n - i; */
  for (int64_t i = 0; i < n; i++) {
    double v = kern_load(x, i, inc, n);
    //@ assert t: \let t = (v - c) * (v - c); 0 <= t <= 0x1p800;
    /*@ assert next: sqdev(x, inc, i + 1, c) == sqdev(x, inc, i, c) + (v - c) * (v - c) &&
          acc_k(i + 1, 0x1p-51) == acc_k(i, 0x1p-51) + 2 * fp_u &&
          acc_n(i + 1, fp_sq_z) == acc_n(i, fp_sq_z) + 2 * (fp_sq_z + fp_eta); */
    double p = kern_fsqdiff(v, c);
    //@ assert te: \abs(p - (v - c) * (v - c)) <= 0x1p-51 * \abs((v - c) * (v - c)) + fp_sq_z;
    //@ assert KA: acc_k(i, 0x1p-51) * sqdev(x, inc, i, c) <= sqdev(x, inc, i, c);
    /*@ assert Kt: 0x1p-51 * ((v - c) * (v - c)) <= acc_k(i, 0x1p-51) * ((v - c) * (v - c)) &&
          0x1p-51 * ((v - c) * (v - c)) <= (v - c) * (v - c); */
    //@ assert N: fp_u * acc_n(i, fp_sq_z) <= (fp_sq_z + fp_eta) / 2;
    double s1 = kern_fadd(s, p);
    /*@ assert step: \abs(s1 - (sqdev(x, inc, i, c) + (v - c) * (v - c)))
          <= (acc_k(i, 0x1p-51) + 2 * fp_u) * (sqdev(x, inc, i, c) + \abs((v - c) * (v - c)))
             + (acc_n(i, fp_sq_z) + 2 * (fp_sq_z + fp_eta)); */
    s = s1;
  }
  return s;
}

/* res <- sum_j x[j*inc] / n */
double kern_mean(int64_t n, const double *x, int64_t inc) {
  double s = 0.0;
  /*@ loop invariant 0 <= i <= n;
      loop invariant fin: \is_finite(s);
      loop invariant k: 0 <= acc_k(i, 0) <= 2 * i * fp_u;
      loop invariant nn: 0 <= acc_n(i, 0) <= 2 * i * fp_eta;
      loop invariant abs: 0 <= sumabs(x, inc, i) <= i * 0x1p397 &&
                          \abs(sum(x, inc, i)) <= sumabs(x, inc, i);
      loop invariant err: \abs(s - sum(x, inc, i)) <= acc_k(i, 0) * sumabs(x, inc, i) + acc_n(i, 0);
      loop assigns i, s;
      loop variant n - i; */
  for (int64_t i = 0; i < n; i++) {
    double v = kern_load(x, i, inc, n);
    /*@ assert next: sum(x, inc, i + 1) == sum(x, inc, i) + v &&
          sumabs(x, inc, i + 1) == sumabs(x, inc, i) + \abs(v) &&
          acc_k(i + 1, 0) == acc_k(i, 0) + 2 * fp_u && acc_n(i + 1, 0) == acc_n(i, 0) + 2 * fp_eta; */
    //@ assert KA: acc_k(i, 0) * sumabs(x, inc, i) <= sumabs(x, inc, i);
    //@ assert Kt: 0 <= acc_k(i, 0) * \abs(v);
    double s1 = kern_fadd(s, v);
    /*@ assert step: \abs(s1 - (sum(x, inc, i) + v))
          <= (acc_k(i, 0) + 2 * fp_u) * (sumabs(x, inc, i) + \abs(v)) + (acc_n(i, 0) + 2 * fp_eta); */
    s = s1;
  }
  double dn = kern_i2d(n);
  //@ assert S: \abs(s) <= sumabs(x, inc, n) + acc_k(n, 0) * sumabs(x, inc, n) + acc_n(n, 0);
  //@ assert S2: \abs(s) <= n * 0x1p398;
  //@ assert Sn: \abs(rdiv(s, n)) <= 0x1p398;
  double mu = kern_fdiv(s, dn);
  //@ assert mu_rnd: \abs(mu - rdiv(s, n)) <= fp_u * \abs(rdiv(s, n)) + fp_eta;
  //@ assert mu_big: \abs(mu) <= 0x1p399;
  /*@ assert d1: \abs(rdiv(s, n) - rdiv(sum(x, inc, n), n))
        <= rdiv(acc_k(n, 0) * sumabs(x, inc, n) + acc_n(n, 0), n); */
  /*@ assert d2: fp_u * \abs(rdiv(s, n))
        <= rdiv(fp_u * (sumabs(x, inc, n) + acc_k(n, 0) * sumabs(x, inc, n) + acc_n(n, 0)), n); */
  /*@ assert d3: fp_u * (sumabs(x, inc, n) + acc_k(n, 0) * sumabs(x, inc, n) + acc_n(n, 0))
        + acc_k(n, 0) * sumabs(x, inc, n) + acc_n(n, 0)
        <= (acc_k(n, 0) + 2 * fp_u) * sumabs(x, inc, n) + 2 * acc_n(n, 0); */
  /*@ assert mean_err: \abs(mu - rdiv(sum(x, inc, n), n))
        <= rdiv((acc_k(n, 0) + 2 * fp_u) * sumabs(x, inc, n) + 2 * acc_n(n, 0), n) + fp_eta; */
  return mu;
}

/* res <- sum_j (x[j*inc] - mu)^2 / n */
double kern_var_about(int64_t n, const double *x, int64_t inc, double mu) {
  double dn = kern_i2d(n);
  double q = kern_sqdev_sum(n, x, inc, mu);
  /*@ assert Q: \abs(q) <= sqdev(x, inc, n, mu)
        + acc_k(n, 0x1p-51) * sqdev(x, inc, n, mu) + acc_n(n, fp_sq_z); */
  //@ assert Q2: \abs(q) <= n * 0x1p802;
  //@ assert Qn1: \abs(rdiv(q, n)) <= rdiv(n * 0x1p802, n);
  //@ assert Qn: \abs(rdiv(q, n)) <= 0x1p802;
  double v = kern_fdiv(q, dn);
  //@ assert v_rnd: \abs(v - rdiv(q, n)) <= fp_u * \abs(rdiv(q, n)) + fp_eta;
  /*@ assert e1: \abs(rdiv(q, n) - rdiv(sqdev(x, inc, n, mu), n))
        <= rdiv(acc_k(n, 0x1p-51) * sqdev(x, inc, n, mu) + acc_n(n, fp_sq_z), n); */
  /*@ assert e2a: \abs(rdiv(q, n)) <= rdiv(sqdev(x, inc, n, mu)
        + acc_k(n, 0x1p-51) * sqdev(x, inc, n, mu) + acc_n(n, fp_sq_z), n); */
  /*@ assert e2: fp_u * \abs(rdiv(q, n)) <= rdiv(fp_u * (sqdev(x, inc, n, mu)
        + acc_k(n, 0x1p-51) * sqdev(x, inc, n, mu) + acc_n(n, fp_sq_z)), n); */
  //@ assert KQ: acc_k(n, 0x1p-51) * sqdev(x, inc, n, mu) <= sqdev(x, inc, n, mu);
  /*@ assert e3: fp_u * (sqdev(x, inc, n, mu) + acc_k(n, 0x1p-51) * sqdev(x, inc, n, mu)
          + acc_n(n, fp_sq_z)) + acc_k(n, 0x1p-51) * sqdev(x, inc, n, mu) + acc_n(n, fp_sq_z)
        <= (acc_k(n, 0x1p-51) + 2 * fp_u) * sqdev(x, inc, n, mu) + 2 * acc_n(n, fp_sq_z); */
  return v;
}

/* (mean, var) <- (sum_j x_j / n, sum_j (x_j - mean)^2 / n) */
void kern_mean_var(int64_t n, const double *x, int64_t inc, double *mean, double *var) {
  double mu = kern_mean(n, x, inc);
  double v = kern_var_about(n, x, inc, mu);
  *mean = mu;
  *var = v;
}
