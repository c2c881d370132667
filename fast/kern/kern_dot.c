#include "fast/kern/kern.h"
#include "fast/kern/kern_fp.h"

/* res <- sum_i a[i*ia] * b[i*ib], left to right */
double kern_dot(int64_t n, const double *a, int64_t ia, const double *b, int64_t ib) {
  double s = 0.0;
  /*@ loop invariant 0 <= i <= n;
      loop invariant fin: \is_finite(s);
      loop invariant k: fp_u <= acc_k(i, fp_u) <= fp_u + 2 * i * fp_u;
      loop invariant nn: 0 <= acc_n(i, fp_eta) <= 4 * i * fp_eta;
      loop invariant abs: 0 <= dotabs{Pre}(a, ia, b, ib, i) &&
                          \abs(dot{Pre}(a, ia, b, ib, i)) <= dotabs{Pre}(a, ia, b, ib, i);
      loop invariant err: \abs(s - dot{Pre}(a, ia, b, ib, i))
          <= acc_k(i, fp_u) * dotabs{Pre}(a, ia, b, ib, i) + acc_n(i, fp_eta);
      loop assigns i, s;
      loop variant n - i; */
  for (int64_t i = 0; i < n; i++) {
    double x = kern_load(a, i, ia, n), y = kern_load(b, i, ib, n);
    /*@ assert next_dot: dot{Pre}(a, ia, b, ib, i + 1)
          == dot{Pre}(a, ia, b, ib, i) + elt{Pre}(a, ia, i) * elt{Pre}(b, ib, i); */
    /*@ assert next_abs: dotabs{Pre}(a, ia, b, ib, i + 1)
          == dotabs{Pre}(a, ia, b, ib, i) + \abs(elt{Pre}(a, ia, i) * elt{Pre}(b, ib, i)); */
    /*@ assert next_acc: acc_k(i + 1, fp_u) == acc_k(i, fp_u) + 2 * fp_u &&
          acc_n(i + 1, fp_eta) == acc_n(i, fp_eta) + 2 * (fp_eta + fp_eta); */
    //@ assert big: dotabs{Pre}(a, ia, b, ib, i + 1) <= 0x1p990;
    //@ assert xy: x * y == elt{Pre}(a, ia, i) * elt{Pre}(b, ib, i);
    //@ assert xy_big: \abs(x * y) <= 0x1p990;
    //@ assert KA: acc_k(i, fp_u) * dotabs{Pre}(a, ia, b, ib, i) <= dotabs{Pre}(a, ia, b, ib, i);
    //@ assert Kt: fp_u * \abs(x * y) <= acc_k(i, fp_u) * \abs(x * y);
    double p = kern_fmul(x, y);
    //@ ghost double s0 = s;
    s = kern_fadd(s, p);
    /*@ assert step: \abs(s - (dot{Pre}(a, ia, b, ib, i) + x * y))
          <= (acc_k(i, fp_u) + 2 * fp_u) * (dotabs{Pre}(a, ia, b, ib, i) + \abs(x * y))
             + (acc_n(i, fp_eta) + 2 * (fp_eta + fp_eta)); */
  }
  return s;
}
