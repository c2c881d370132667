/* The polynomial feature maps' table: the monomial enumeration and phi's weights. */
#include "fast/kern/kern_table.h"
#include "fast/kern/kern_fp.h"

/* Mid, a C label that only the ACSL annotations refer to */
#pragma GCC diagnostic ignored "-Wunused-label"

/* res <- m * t / c (C division), or -1 when it would exceed 2^53 (m * t is formed only when
 * it fits in int64) */
/*@ requires 1 <= m <= ftab_mmax && 1 <= c <= t <= 2147483647;
    assigns \nothing;
    ensures \result == -1 || (\result == m * t / c && 1 <= \result <= ftab_mmax);
*/
static int64_t mul_div(int64_t m, int64_t t, int64_t c) {
  if (m > INT64_MAX / t) return -1;
  //@ assert fits: m * t <= INT64_MAX;
  int64_t p = m * t;
  //@ assert ge: c <= p;
  int64_t q = p / c;
  //@ assert pos: 1 <= q;
  if (q > KERN_FEAT_MMAX) return -1;
  return q;
}

/* entry n <- (p, v, d, c, m). Kept apart (like kern_store) so that the frame, every entry
 * below n unchanged, is proved once here and the kernel's goals get it as plain facts. */
/*@ requires 0 <= n < cap;
    requires \valid(parent + (0 .. cap - 1)) && \valid(var + (0 .. cap - 1)) &&
             \valid(deg + (0 .. cap - 1)) && \valid(run + (0 .. cap - 1)) &&
             \valid(multinom + (0 .. cap - 1));
    requires \separated(parent + (0 .. cap - 1), var + (0 .. cap - 1), deg + (0 .. cap - 1),
                        run + (0 .. cap - 1), multinom + (0 .. cap - 1));
    assigns parent[n], var[n], deg[n], run[n], multinom[n];
    ensures set: parent[n] == p && var[n] == v && deg[n] == d && run[n] == c && multinom[n] == m;
    ensures kept: \forall integer b; 0 <= b < cap ==> b != n ==>
      parent[b] == \old(parent[b]) && var[b] == \old(var[b]) && deg[b] == \old(deg[b]) &&
      run[b] == \old(run[b]) && multinom[b] == \old(multinom[b]);
*/
static void put(int64_t cap, int32_t *parent, int32_t *var, int32_t *deg, int32_t *run,
                int64_t *multinom, int64_t n, int32_t p, int32_t v, int32_t d, int32_t c,
                int64_t m) {
  parent[n] = p, var[n] = v, deg[n] = d, run[n] = c, multinom[n] = m;
}

/* entries n, n+1, .. <- the children of entry a (degree t - 1): (a, j) for j = max(var[a], 0)
 * .. dh-1, multinom = multinom[a] * t / run; res <- the new count, or -1 (cap, or 2^53). Kept
 * apart so that the table's goals see the children as plain facts, in a small context. */
/*@ requires 1 <= dh && 1 <= t <= 2147483646 && 0 <= a < n <= cap <= 2147483647;
    requires \valid(parent + (0 .. cap - 1)) && \valid(var + (0 .. cap - 1)) &&
             \valid(deg + (0 .. cap - 1)) && \valid(run + (0 .. cap - 1)) &&
             \valid(multinom + (0 .. cap - 1));
    requires \separated(parent + (0 .. cap - 1), var + (0 .. cap - 1), deg + (0 .. cap - 1),
                        run + (0 .. cap - 1), multinom + (0 .. cap - 1));
    requires here: -1 <= var[a] < dh && 0 <= run[a] <= t - 1 && 1 <= multinom[a] <= ftab_mmax;
    assigns parent[n .. cap - 1], var[n .. cap - 1], deg[n .. cap - 1], run[n .. cap - 1],
            multinom[n .. cap - 1];
    ensures size: \result == -1 || (\result == n + (dh - ftab_first(\old(var[a]))) && \result <= cap);
    ensures kept: \forall integer b; 0 <= b < n ==>
      parent[b] == \old(parent[b]) && var[b] == \old(var[b]) && deg[b] == \old(deg[b]) &&
      run[b] == \old(run[b]) && multinom[b] == \old(multinom[b]);
    ensures kids: \result >= 0 ==> \forall integer b; n <= b < \result ==>
      parent[b] == a && var[b] == ftab_first(\old(var[a])) + (b - n) && deg[b] == t &&
      run[b] == (var[b] == \old(var[a]) ? \old(run[a]) + 1 : 1) &&
      multinom[b] == \old(multinom[a]) * t / run[b] && 1 <= multinom[b] <= ftab_mmax &&
      1 <= run[b] <= t;
*/
static int64_t expand(int dh, int t, int64_t a, int64_t n, int64_t cap, int32_t *parent,
                      int32_t *var, int32_t *deg, int32_t *run, int64_t *multinom) {
  int32_t va = var[a], ra = run[a];
  int64_t ma = multinom[a];
  int first = va < 0 ? 0 : va;
  int64_t k = n;
  /*@ loop invariant 0 <= first <= j <= dh && k == n + (j - first) && n <= k <= cap;
      loop invariant kept: \forall integer b; 0 <= b < n ==>
        parent[b] == \at(parent[b], Pre) && var[b] == \at(var[b], Pre) &&
        deg[b] == \at(deg[b], Pre) && run[b] == \at(run[b], Pre) &&
        multinom[b] == \at(multinom[b], Pre);
      loop invariant kids: \forall integer b; n <= b < k ==>
        parent[b] == a && var[b] == first + (b - n) && deg[b] == t &&
        run[b] == (var[b] == va ? ra + 1 : 1) && multinom[b] == ma * t / run[b] &&
        1 <= multinom[b] <= ftab_mmax && 1 <= run[b] <= t;
      loop assigns j, k, parent[n .. cap - 1], var[n .. cap - 1], deg[n .. cap - 1],
        run[n .. cap - 1], multinom[n .. cap - 1];
      loop variant dh - j; */
  for (int j = first; j < dh; j++) {
    if (k >= cap) return -1;
    int32_t cnt = j == va ? ra + 1 : 1;
    int64_t m = mul_div(ma, t, cnt);
    if (m < 0) return -1;
    put(cap, parent, var, deg, run, multinom, k, (int32_t)a, j, t, cnt, m);
    k++;
  }
  return k;
}

/* table <- the multisets of size <= g over {0..dh-1}: degree by degree, entry a's children a+j,
 * j >= var[a], at consecutive positions; multinom[child] = multinom[a] * t / run[child] */
int64_t kern_feat_table(int dh, int g, int64_t cap, int32_t *parent, int32_t *var,
                        int32_t *deg, int32_t *run, int64_t *multinom) {
  if (cap < 1) return -1;
  parent[0] = -1, var[0] = -1, deg[0] = 0, run[0] = 0, multinom[0] = 1;
  int64_t n = 1, lo = 0, hi = 1; /* the degree t-1 entries are [lo, hi) */
  /*@ loop invariant 1 <= t <= g + 1 && 0 <= lo <= hi == n <= cap && 1 <= n;
      loop invariant root: ftab_root(parent, var, deg, run, multinom);
      loop invariant rng: \forall integer b; 1 <= b < n ==> -1 <= var[b] < dh &&
        0 <= run[b] <= deg[b] && 1 <= multinom[b] <= ftab_mmax;
      loop invariant cur: \forall integer b; lo <= b < n ==> deg[b] == t - 1;
      loop invariant entry: \forall integer b; 1 <= b < n ==>
        ftab_entry(parent, var, deg, run, multinom, b, dh, g);
      loop invariant lex: \forall integer b, c; 1 <= b < c < n ==> ftab_lt(parent, var, b, c);
      loop invariant plo: \forall integer b; 1 <= b < n ==> parent[b] < lo;
      loop invariant complete: \forall integer a, j; 0 <= a < lo ==> ftab_first(var[a]) <= j < dh ==>
        ftab_has(parent, var, n, a, j);
      loop assigns t, n, lo, hi, parent[1 .. cap - 1], var[1 .. cap - 1], deg[1 .. cap - 1],
        run[1 .. cap - 1], multinom[1 .. cap - 1];
      loop variant g + 1 - t; */
  for (int t = 1; t <= g; t++) {
    /*@ loop invariant 0 <= lo <= a <= hi <= n <= cap && 1 <= hi;
        loop invariant root: ftab_root(parent, var, deg, run, multinom);
        loop invariant rng: \forall integer b; 1 <= b < n ==> -1 <= var[b] < dh &&
          0 <= run[b] <= deg[b] && 1 <= multinom[b] <= ftab_mmax;
        loop invariant cur: \forall integer b; lo <= b < hi ==> deg[b] == t - 1;
        loop invariant next: \forall integer b; hi <= b < n ==> deg[b] == t;
        loop invariant entry: \forall integer b; 1 <= b < n ==>
          ftab_entry(parent, var, deg, run, multinom, b, dh, g);
        loop invariant lex: \forall integer b, c; 1 <= b < c < n ==> ftab_lt(parent, var, b, c);
        loop invariant pa: \forall integer b; 1 <= b < n ==> parent[b] < a;
        loop invariant complete: \forall integer a2, j; 0 <= a2 < a ==>
          ftab_first(var[a2]) <= j < dh ==> ftab_has(parent, var, n, a2, j);
        loop assigns a, n, parent[1 .. cap - 1], var[1 .. cap - 1], deg[1 .. cap - 1],
          run[1 .. cap - 1], multinom[1 .. cap - 1];
        loop variant hi - a; */
    for (int64_t a = lo; a < hi; a++) {
      //@ assert here: 0 <= run[a] <= t - 1 && 1 <= multinom[a] <= ftab_mmax && -1 <= var[a] < dh;
    Mid:;
      int64_t nn = expand(dh, t, a, n, cap, parent, var, deg, run, multinom);
      if (nn < 0) return -1;
      /*@ assert e_new: \forall integer b; n <= b < nn ==>
            ftab_entry(parent, var, deg, run, multinom, b, dh, g); */
      /*@ assert e_old: \forall integer b; 1 <= b < n ==>
            ftab_entry(parent, var, deg, run, multinom, b, dh, g); */
      //@ assert first: ftab_first(var[a]) == ftab_first(\at(var[a], Mid));
      /*@ assert kids: \forall integer k; ftab_first(var[a]) <= k < dh ==>
            parent[n + (k - ftab_first(var[a]))] == a && var[n + (k - ftab_first(var[a]))] == k; */
      /*@ ghost // the witness of each child, one k at a time (a ground term for the provers)
        /@ loop invariant ftab_first(var[a]) <= k <= dh;
           loop invariant \forall integer k2; ftab_first(var[a]) <= k2 < k ==>
             ftab_has(parent, var, nn, a, k2);
           loop assigns k;
           loop variant dh - k; @/
        for (int k = var[a] < 0 ? 0 : var[a]; k < dh; k++) {
          /@ assert wit: \let b = n + (k - ftab_first(var[a])); 0 <= b < nn && parent[b] == a && var[b] == k; @/
          /@ assert ftab_has(parent, var, nn, a, k); @/
        }
      */
      //@ assert has: \forall integer k; ftab_first(var[a]) <= k < dh ==> ftab_has(parent, var, nn, a, k);
      /*@ assert was: \forall integer a2, k; 0 <= a2 < a ==>
            ftab_first(\at(var[a2], Mid)) <= k < dh ==> ftab_has{Mid}(parent, var, n, a2, k); */
      /*@ ghost // the older witnesses carried across expand's writes, one (a2, k) at a time
        /@ loop invariant 0 <= a2 <= a;
           loop invariant \forall integer a3, k; 0 <= a3 < a2 ==>
             ftab_first(var[a3]) <= k < dh ==> ftab_has(parent, var, nn, a3, k);
           loop assigns a2;
           loop variant a - a2; @/
        for (int64_t a2 = 0; a2 < a; a2++) {
          /@ loop invariant ftab_first(var[a2]) <= k <= dh || (dh <= k && k == ftab_first(var[a2]));
             loop invariant \forall integer k2; ftab_first(var[a2]) <= k2 < k ==>
               ftab_has(parent, var, nn, a2, k2);
             loop assigns k;
             loop variant dh - k; @/
          for (int k = var[a2] < 0 ? 0 : var[a2]; k < dh; k++) {
            /@ assert old_has: ftab_has{Mid}(parent, var, n, a2, k); @/
            /@ assert ftab_has(parent, var, nn, a2, k); @/
          }
        }
      */
      /*@ assert done: \forall integer a2, k; 0 <= a2 < a ==>
            ftab_first(var[a2]) <= k < dh ==> ftab_has(parent, var, nn, a2, k); */
      n = nn;
    }
    lo = hi, hi = n;
  }
  //@ assert table: \forall integer b; 1 <= b < n ==> 0 <= parent[b] < b && 0 <= var[b] < dh;
  return n;
}

/* wq[a] <- rnd(ct[deg[a]] * (double)multinom[a]) */
void kern_feat_weights(int64_t r, const int32_t *deg, const int64_t *multinom,
                       const double *ct, int g, double *wq) {
  /*@ loop invariant 0 <= a <= r;
      loop invariant fin: \forall integer b; 0 <= b < a ==> \is_finite(wq[b]);
      loop invariant done: \forall integer b; 0 <= b < a ==>
        fp_rnd(wq[b], ct[deg[b]] * multinom[b]);
      loop assigns a, wq[0 .. r - 1];
      loop variant r - a; */
  for (int64_t a = 0; a < r; a++) {
    int32_t t = deg[a];
    //@ assert fin: \is_finite(ct[t]);
    double m = kern_i2d(multinom[a]);
    wq[a] = kern_fmul(ct[t], m);
  }
}
