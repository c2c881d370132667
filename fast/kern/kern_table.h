/* fast/kern kernels that build the polynomial feature maps' table (fast/features.h): the
 * monomial enumeration kern_feat_table and phi's weights kern_feat_weights (kern_table.c).
 * Same conventions as kern.h: ACSL contracts proved by Frama-C WP (proofs/run_wp.sh); the
 * table's contract is over integers only (proofs/table.acsl), the weights' over the reals in
 * the model of proofs/fp.acsl. */
#ifndef ATTNREF_FAST_KERN_TABLE_H
#define ATTNREF_FAST_KERN_TABLE_H

#include <stdint.h>

#ifdef __FRAMAC__
#include "proofs/attnref.acsl"
#endif

/* the largest multinomial kept: 2^53, so that (double)multinom is exact */
#define KERN_FEAT_MMAX INT64_C(9007199254740992)

/* The multisets of size <= g over {0 .. dh-1}, by degree, each degree-t entry a degree-(t-1)
 * entry a' with one coordinate j >= var[a'] appended (children of a' consecutive, by j):
 * parent, var, deg, run (multiplicity of var at the end) and multinom = |alpha|! / prod
 * alpha_i! (= multinom[parent] * t / run, exact integers). Returns the number n of entries
 * (C(dh+g, g)), or -1 when that would exceed cap or a multinomial would exceed 2^53; nothing
 * is written at or past cap.
 * On success: entry 0 is the empty monomial; every other entry is a valid extension of an
 * earlier one (ftab_entry); the pairs (parent, var) strictly increase (so the entries are
 * distinct multisets); every entry of degree < g has each child it may have (complete). Hence
 * the entries are exactly the multisets of size <= g (proofs/README.md), and feat_table holds
 * (kern_feat_psi's precondition). */
/*@ requires 1 <= dh && 0 <= g < 2147483647 && 0 <= cap <= 2147483647;
    requires \valid(parent + (0 .. cap - 1)) && \valid(var + (0 .. cap - 1)) &&
             \valid(deg + (0 .. cap - 1)) && \valid(run + (0 .. cap - 1)) &&
             \valid(multinom + (0 .. cap - 1));
    requires \separated(parent + (0 .. cap - 1), var + (0 .. cap - 1), deg + (0 .. cap - 1),
                        run + (0 .. cap - 1), multinom + (0 .. cap - 1));
    assigns parent[0 .. cap - 1], var[0 .. cap - 1], deg[0 .. cap - 1], run[0 .. cap - 1],
            multinom[0 .. cap - 1];
    ensures size: \result == -1 || 1 <= \result <= cap;
    ensures root: \result >= 1 ==> ftab_root(parent, var, deg, run, multinom);
    ensures entry: \result >= 1 ==> \forall integer a; 1 <= a < \result ==>
      ftab_entry(parent, var, deg, run, multinom, a, dh, g);
    ensures distinct: \result >= 1 ==> \forall integer b, c; 1 <= b < c < \result ==>
      ftab_lt(parent, var, b, c);
    ensures complete: \result >= 1 ==> \forall integer a, j; 0 <= a < \result ==>
      deg[a] < g ==> ftab_first(var[a]) <= j < dh ==> ftab_has(parent, var, \result, a, j);
    ensures table: \result >= 1 ==> feat_table(parent, var, \result, dh);
*/
int64_t kern_feat_table(int dh, int g, int64_t cap, int32_t *parent, int32_t *var,
                        int32_t *deg, int32_t *run, int64_t *multinom);

/* wq[a] <- rnd(ct[deg[a]] * multinom[a]), a < r: phi's weights c_t tau^t multinom(alpha)
 * from ct[t] = c_t tau^t (the multinomial converted exactly, kern_i2d). */
/*@ requires 0 <= r && 0 <= g;
    requires \valid_read(deg + (0 .. r - 1)) && \valid_read(multinom + (0 .. r - 1)) &&
             \valid_read(ct + (0 .. g)) && \valid(wq + (0 .. r - 1));
    requires \separated(wq + (0 .. r - 1), ct + (0 .. g), deg + (0 .. r - 1), multinom + (0 .. r - 1));
    requires \forall integer a; 0 <= a < r ==> 0 <= deg[a] <= g && 0 <= multinom[a] <= ftab_mmax;
    requires fin: finite_range(ct, 1, g + 1);
    requires big: \forall integer a; 0 <= a < r ==> \abs(ct[deg[a]] * multinom[a]) <= fp_big;
    assigns wq[0 .. r - 1];
    ensures fin: finite_range(wq, 1, r);
    ensures rnd: \forall integer a; 0 <= a < r ==> fp_rnd(wq[a], ct[deg[a]] * multinom[a]);
    ensures err: \forall integer a; 0 <= a < r ==>
      \abs(wq[a] - ct[deg[a]] * multinom[a]) <= fp_u * \abs(ct[deg[a]] * multinom[a]) + fp_eta;
*/
void kern_feat_weights(int64_t r, const int32_t *deg, const int64_t *multinom,
                       const double *ct, int g, double *wq);

#endif
