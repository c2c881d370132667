/* The number of monomials C(d + g, g), by Pascal's triangle in exact integers. */
#include "fast/kern/kern.h"

/* res <- C(d + g, g); -1 on int64 overflow */
int64_t kern_binom(int64_t d, int64_t g) {
  int64_t row[KERN_BINOM_GMAX + 1]; /* after k variables: row[t] = C(k + t, t) */
  /*@ loop invariant 0 <= t <= g + 1;
      loop invariant \forall integer s; 0 <= s < t ==> row[s] == 1 && binom(s, s) == 1;
      loop assigns t, row[0 .. g];
      loop variant g + 1 - t; */
  for (int64_t t = 0; t <= g; t++) {
    //@ assert t == 0 || binom(t, t) == binom(t - 1, t - 1) + binom(t - 1, t);
    row[t] = 1;
  }
  /*@ loop invariant 0 <= k <= d;
      loop invariant \forall integer s; 0 <= s <= g ==> row[s] == binom(k + s, s);
      loop invariant \forall integer s; 0 <= s <= g ==> row[s] >= 1;
      loop assigns k, row[0 .. g];
      loop variant d - k; */
  for (int64_t k = 0; k < d; k++) {
    /*@ loop invariant 1 <= t <= g + 1;
        loop invariant \forall integer s; 0 <= s < t ==> row[s] == binom(k + 1 + s, s);
        loop invariant \forall integer s; t <= s <= g ==> row[s] == binom(k + s, s);
        loop invariant \forall integer s; 0 <= s <= g ==> row[s] >= 1;
        loop assigns t, row[1 .. g];
        loop variant g + 1 - t; */
    for (int64_t t = 1; t <= g; t++) {
      //@ assert pascal: binom(k + 1 + t, t) == binom(k + t, t - 1) + binom(k + t, t);
      if (row[t] > INT64_MAX - row[t - 1])
        return -1;
      row[t] += row[t - 1];
    }
    //@ assert row[0] == 1 && binom(k + 1, 0) == 1;
  }
  return row[g];
}
