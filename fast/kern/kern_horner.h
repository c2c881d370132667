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

/* t[j] <- rnd(tau rnd(rnd(p[j] w) rnd(g[j] - r))), j < m: tau dS~_ij = tau A~_ij w_i
 * (g_i.u_j - rr_i) along a diagonal block's row i (dQ), p = A~_i., w = 1 / D~_i, r = rr_i.
 * ds_q (proofs/horner.acsl): the chain of the four roundings, each an fp_rnd. */
/*@ requires 0 <= m && \valid_read(p + (0 .. m - 1)) && \valid_read(g + (0 .. m - 1));
    requires \valid(t + (0 .. m - 1));
    requires \separated(t + (0 .. m - 1), p + (0 .. m - 1));
    requires \separated(t + (0 .. m - 1), g + (0 .. m - 1));
    requires fin: finite_range(p, 1, m) && finite_range(g, 1, m) && \is_finite(tau) &&
      \is_finite(w) && \is_finite(r);
    requires big: \abs(tau) <= 0x1p200 && \abs(w) <= 0x1p200 && \abs(r) <= 0x1p200 &&
      \forall integer j; 0 <= j < m ==> \abs(p[j]) <= 0x1p200 && \abs(g[j]) <= 0x1p200;
    assigns t[0 .. m - 1];
    ensures fin: finite_range(t, 1, m);
    ensures rnd: \forall integer j; 0 <= j < m ==> ds_q(t[j], tau, p[j], w, g[j], r);
*/
void kern_ds_q(int64_t m, double tau, double w, double r, const double *p, const double *g,
               double *t);

/* w[j] <- rnd(p[j] / d[j]), t[j] <- rnd(tau rnd(w[j] rnd(g[j] - r[j]))), j < m: A~_ij / D~_i
 * and tau dS~_ij down a diagonal block's column j (dK, dU), p = A~_.j, d = D~, r = rr.
 * (d[j] != 0 is written 2^-1074 <= |d[j]|, the same for doubles: WP's simplifier turned
 * 0 < |d[j]| into an ill-typed goal.) */
/*@ requires 0 <= m && \valid_read(p + (0 .. m - 1)) && \valid_read(d + (0 .. m - 1));
    requires \valid_read(r + (0 .. m - 1)) && \valid_read(g + (0 .. m - 1));
    requires \valid(t + (0 .. m - 1)) && \valid(w + (0 .. m - 1));
    requires \separated(t + (0 .. m - 1), w + (0 .. m - 1), p + (0 .. m - 1), d + (0 .. m - 1));
    requires \separated(t + (0 .. m - 1), r + (0 .. m - 1), g + (0 .. m - 1));
    requires \separated(w + (0 .. m - 1), r + (0 .. m - 1), g + (0 .. m - 1));
    requires fin: finite_range(p, 1, m) && finite_range(d, 1, m) && finite_range(r, 1, m) &&
      finite_range(g, 1, m) && \is_finite(tau);
    requires big: \abs(tau) <= 0x1p200 && \forall integer j; 0 <= j < m ==>
      0x1p-1074 <= \abs(d[j]) && \abs(p[j] / d[j]) <= 0x1p200 && \abs(g[j]) <= 0x1p200 &&
      \abs(r[j]) <= 0x1p200;
    assigns t[0 .. m - 1], w[0 .. m - 1];
    ensures fin: finite_range(t, 1, m) && finite_range(w, 1, m);
    ensures rnd: \forall integer j; 0 <= j < m ==> fp_rnd(w[j], p[j] / d[j]) &&
      ds_k(t[j], tau, w[j], g[j], r[j]);
*/
void kern_ds_k(int64_t m, double tau, const double *p, const double *d, const double *r,
               const double *g, double *t, double *w);

#endif
