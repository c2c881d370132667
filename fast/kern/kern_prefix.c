/* Running (prefix) sums down a strided range, in place. */
#include "fast/kern/kern.h"
#include "fast/kern/kern_fp.h"

/* x[i*inc] <- sum_{r<=i} x[r*inc] */
void kern_prefix_sum(int64_t n, double *x, int64_t inc) {
  if (n <= 0)
    return;
  double s = kern_load(x, 0, inc, n);
  //@ assert first: sum(x, inc, 1) == s && sumabs(x, inc, 1) == \abs(s);
  /*@ loop invariant 1 <= i <= n;
      loop invariant fin: \is_finite(s) && finite_range(x, inc, n);
      loop invariant last: s == elt(x, inc, i - 1);
      loop invariant k: 0 <= acc_k(i, 0) <= 2 * i * fp_u && 0 <= acc_n(i, 0) <= 2 * i * fp_eta;
      loop invariant abs: 0 <= sumabs{Pre}(x, inc, i) <= i * 0x1p900 &&
                          \abs(sum{Pre}(x, inc, i)) <= sumabs{Pre}(x, inc, i);
      loop invariant done: \forall integer r; 0 <= r < i ==>
        \abs(elt(x, inc, r) - sum{Pre}(x, inc, r + 1))
          <= acc_k(r + 1, 0) * sumabs{Pre}(x, inc, r + 1) + acc_n(r + 1, 0);
      loop invariant kdone: \forall integer r; 0 <= r < i ==> 0 <= acc_k(r + 1, 0) <= 2 * (r + 1) * fp_u;
      loop invariant ndone: \forall integer r; 0 <= r < i ==> 0 <= acc_n(r + 1, 0) <= 2 * (r + 1) * fp_eta;
      loop invariant untouched: \forall integer r; i <= r < n ==> elt(x, inc, r) == elt{Pre}(x, inc, r);
      loop invariant gap: \forall integer k; 0 <= k <= (n - 1) * inc ==> k % inc != 0 ==>
        x[k] == \at(x[k], Pre);
      loop assigns i, s, x[0 .. (n - 1) * inc];
      loop variant n - i; */
  for (int64_t i = 1; i < n; i++) {
    double v = kern_load(x, i, inc, n);
    //@ assert v_pre: v == elt{Pre}(x, inc, i);
    /*@ assert next: sum{Pre}(x, inc, i + 1) == sum{Pre}(x, inc, i) + v &&
          sumabs{Pre}(x, inc, i + 1) == sumabs{Pre}(x, inc, i) + \abs(v) &&
          acc_k(i + 1, 0) == acc_k(i, 0) + 2 * fp_u && acc_n(i + 1, 0) == acc_n(i, 0) + 2 * fp_eta; */
    //@ assert KA: acc_k(i, 0) * sumabs{Pre}(x, inc, i) <= sumabs{Pre}(x, inc, i);
    //@ assert Kt: 0 <= acc_k(i, 0) * \abs(v);
    double s1 = kern_fadd(s, v);
    /*@ assert step: \abs(s1 - (sum{Pre}(x, inc, i) + v))
          <= (acc_k(i, 0) + 2 * fp_u) * (sumabs{Pre}(x, inc, i) + \abs(v)) + (acc_n(i, 0) + 2 * fp_eta); */
    //@ assert knew: 0 <= acc_k(i + 1, 0) <= 2 * (i + 1) * fp_u && 0 <= acc_n(i + 1, 0) <= 2 * (i + 1) * fp_eta;
    kern_store(x, i, inc, n, s1);
    s = s1;
  }
}
