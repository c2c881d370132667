/* fast/kern kernel of the approximate path: Horner's rule for the polynomial P of fast/poly.h
 * on a row of scores (kern_horner.c). Same conventions as kern.h: ACSL contract proved by
 * Frama-C WP (proofs/run_wp.sh), functional statements over the reals in the model of
 * proofs/fp.acsl (u = 2^-53, eta = 2^-1075); the logic (horner, habs, hz, hg, hbig) is
 * proofs/horner.acsl. Magnitude preconditions only exclude overflow. */
#ifndef ATTNREF_FAST_KERN_HORNER_H
#define ATTNREF_FAST_KERN_HORNER_H

#include <stdint.h>

#ifdef __FRAMAC__
#include "proofs/attnref.acsl"
#endif

/* e[j] <- P(rnd(tau e[j])), j < m, P(s) = c_0 + s (c_1 + ... + s c_g) by Horner, each step
 * v <- rnd(rnd(v s) + c_t). For each j there is the rounded argument s = rnd(tau e[j])
 * (fp_rnd) and the value is within the Horner bound of P(s): hval(c, g, tau e[j], e[j]),
 *     |e[j] - P(s)| <= ((1 + u)^(2g) - 1) sum_t |c_t| |s|^t + hz(0, g, s),
 * (1 + u)^(2g) - 1 = hg(g) <= 4 g u, hz about (2 + u) eta sum_t ((1+u)^2 |s|)^t (negligible
 * unless |s| is huge); proofs/horner.acsl defines them, with hmul(a, b) = a b (a product the
 * provers keep as one term). big: every partial sum of absolute terms habs(c, t, g, s) at most
 * 2^900 for every s near tau e[j] (|c_t| <= 1 and |s| <= 2^15 with g <= 60 is far inside). */
/*@ requires 0 <= m && 0 <= g <= 0x1p20;
    requires \valid(e + (0 .. m - 1)) && \valid_read(c + (0 .. g));
    requires \separated(e + (0 .. m - 1), c + (0 .. g));
    requires fin: finite_range(e, 1, m) && finite_range(c, 1, g + 1) && \is_finite(tau);
    requires big: \forall integer j; 0 <= j < m ==> \abs(tau * e[j]) <= fp_big &&
      \forall real s; \abs(s - tau * e[j]) <= fp_u * \abs(tau * e[j]) + fp_eta ==> hbig(c, g, s);
    assigns e[0 .. m - 1];
    ensures fin: finite_range(e, 1, m);
    ensures err: \forall integer j; 0 <= j < m ==> hval{Old}(c, g, tau * \old(e[j]), e[j]);
    ensures bound: 0 <= hg(g) <= 4 * g * fp_u;
*/
void kern_poly_row(int64_t m, int64_t g, const double *c, double tau, double *e);

#endif
