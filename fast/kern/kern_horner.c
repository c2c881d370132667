/* Horner's rule on a row of scores, and the backward's elementwise chains around it. */
#include "fast/kern/kern_horner.h"
#include "fast/kern/kern_fp.h"

/* e[j] <- P(rnd(tau * e[j])), P by Horner: v <- rnd(rnd(v * s) + c[t]), t = g-1 .. 0 */
void kern_poly_row(int64_t m, int64_t g, const double *c, double tau, double *e) {
  /* the bound on hg(g), whatever m is (the Horner loop below proves it only when m >= 1) */
  /*@ ghost
    /@ loop invariant 0 <= k <= g;
       loop invariant bound: 0 <= hg(k) <= 4 * k * fp_u;
       loop assigns k;
       loop variant g - k; @/
    for (int64_t k = 0; k < g; k++) {
      /@ assert hg_k: hg(k + 1) == (1 + fp_u) * (1 + fp_u) * (1 + hg(k)) - 1; @/
    }
  */
  /*@ loop invariant 0 <= j <= m;
      loop invariant fin: \forall integer k; 0 <= k < m ==> \is_finite(e[k]);
      loop invariant done: \forall integer k; 0 <= k < j ==> hval{Pre}(c, g, tau * \at(e[k], Pre), e[k]);
      loop invariant untouched: \forall integer k; j <= k < m ==> e[k] == \at(e[k], Pre);
      loop assigns j, e[0 .. m - 1];
      loop variant m - j; */
  for (int64_t j = 0; j < m; j++) {
    //@ assert old: \let k = j; e[k] == \at(e[k], Pre);
    //@ assert fin: \let k = j; \is_finite(\at(e[k], Pre));
    //@ assert pre: \let k = j; \abs(tau * \at(e[k], Pre)) <= fp_big;
    double s = kern_fmul(tau, e[j]);
    //@ assert s_err: \let k = j; \abs(s - tau * \at(e[k], Pre)) <= fp_u * \abs(tau * \at(e[k], Pre)) + fp_eta;
    //@ assert hb: hbig{Pre}(c, g, s);
    //@ assert fin: \let k = g; \is_finite(\at(c[k], Pre));
    double v = c[g];
    //@ assert last: horner{Pre}(c, g, g, s) == v && habs{Pre}(c, g, g, s) == \abs(v) && hz(g, g, s) == 0.0;
    /*@ loop invariant -1 <= t <= g - 1;
        loop invariant fin: \is_finite(v);
        loop invariant hgk: 0 <= hg(g - 1 - t) <= 4 * (g - 1 - t) * fp_u;
        loop invariant ab: \abs(horner{Pre}(c, t + 1, g, s)) <= habs{Pre}(c, t + 1, g, s) &&
          0 <= hz(t + 1, g, s);
        loop invariant err: \abs(v - horner{Pre}(c, t + 1, g, s))
          <= hmul(hg(g - 1 - t), habs{Pre}(c, t + 1, g, s)) + hz(t + 1, g, s);
        loop assigns t, v;
        loop variant t + 1; */
    for (int64_t t = g - 1; t >= 0; t--) {
      //@ assert fin: \let k = t; \is_finite(\at(c[k], Pre));
      double ct = c[t];
      //@ assert c_pre: \let k = t; ct == \at(c[k], Pre);
      /*@ assert nx: horner{Pre}(c, t, g, s) == ct + hmul(horner{Pre}(c, t + 1, g, s), s) &&
            habs{Pre}(c, t, g, s) == \abs(ct) + hmul(habs{Pre}(c, t + 1, g, s), \abs(s)) &&
            hz(t, g, s) == (1 + fp_u) * (1 + fp_u) * hmul(hz(t + 1, g, s), \abs(s)) + (2 + fp_u) * fp_eta; */
      //@ assert hg_t: hg(g - t) == (1 + fp_u) * (1 + fp_u) * (1 + hg(g - 1 - t)) - 1;
      //@ assert big_t: habs{Pre}(c, t, g, s) <= 0x1p900 && hz(t, g, s) <= 1;
      /*@ assert m1_pre: \let E = hg(g - 1 - t); \let A = habs{Pre}(c, t + 1, g, s); \let Z = hz(t + 1, g, s);
            \abs(v - horner{Pre}(c, t + 1, g, s)) <= hmul(E, A) + Z && 0 <= E && 0 <= A && 0 <= Z; */
      /*@ assert m1: \abs(hmul(v, s) - hmul(horner{Pre}(c, t + 1, g, s), s))
            <= hmul(hg(g - 1 - t), hmul(habs{Pre}(c, t + 1, g, s), \abs(s))) + hmul(hz(t + 1, g, s), \abs(s)); */
      //@ assert m2: \abs(hmul(horner{Pre}(c, t + 1, g, s), s)) <= hmul(habs{Pre}(c, t + 1, g, s), \abs(s));
      /*@ assert m3: 0 <= hmul(hg(g - 1 - t), hmul(habs{Pre}(c, t + 1, g, s), \abs(s)))
            <= hmul(habs{Pre}(c, t + 1, g, s), \abs(s)) && 0 <= hmul(hz(t + 1, g, s), \abs(s)); */
      //@ assert q_big: \abs(v * s) <= fp_big && hmul(v, s) == v * s;
      double p = kern_fmul(v, s);
      //@ assert p_err: \abs(p - v * s) <= fp_u * \abs(v * s) + fp_eta;
      //@ assert pc_big: \abs(p + ct) <= fp_big;
      double a = kern_fadd(p, ct);
      //@ assert a_err: \abs(a - (p + ct)) <= fp_u * \abs(p + ct) + fp_eta;
      /*@ assert lin: \let E = hg(g - 1 - t); \let SA = hmul(habs{Pre}(c, t + 1, g, s), \abs(s));
            \let SZ = hmul(hz(t + 1, g, s), \abs(s));
            \abs(a - horner{Pre}(c, t, g, s)) <= (1 + fp_u) * (1 + fp_u) * hmul(E, SA)
              + (2 * fp_u + fp_u * fp_u) * SA + fp_u * \abs(ct) + (1 + fp_u) * (1 + fp_u) * SZ
              + (2 + fp_u) * fp_eta; */
      /*@ assert grow_pre: \let E = hg(g - 1 - t); \let SA = hmul(habs{Pre}(c, t + 1, g, s), \abs(s));
            \let CS = habs{Pre}(c, t, g, s);
            0 <= E && 0 <= SA <= CS && hg(g - t) == (1 + fp_u) * (1 + fp_u) * (1 + E) - 1 &&
            \abs(ct) == CS - SA; */
      /*@ assert grow: \let E = hg(g - 1 - t); \let SA = hmul(habs{Pre}(c, t + 1, g, s), \abs(s));
            \let CS = habs{Pre}(c, t, g, s);
            fp_u * (CS - SA) + (1 + fp_u) * (1 + fp_u) * hmul(E, SA) + (2 * fp_u + fp_u * fp_u) * SA
              <= hmul(hg(g - t), CS); */
      /*@ assert ab_t: \abs(horner{Pre}(c, t, g, s)) <= habs{Pre}(c, t, g, s) && 0 <= hz(t, g, s); */
      v = a;
    }
    //@ assert res: \abs(v - horner{Pre}(c, 0, g, s)) <= hmul(hg(g), habs{Pre}(c, 0, g, s)) + hz(0, g, s);
    //@ assert rnd_s: \let k = j; fp_rnd(s, tau * \at(e[k], Pre));
    e[j] = v;
    //@ assert done_j: \let k = j; hval{Pre}(c, g, tau * \at(e[k], Pre), e[k]);
  }
}

/* res <- rnd(tau * rnd(a * rnd(g - r))), in a small context (the witnesses of ds_k are its
 * locals) */
/*@ requires fin: \is_finite(tau) && \is_finite(a) && \is_finite(g) && \is_finite(r);
    requires big: \abs(tau) <= 0x1p200 && \abs(a) <= 0x1p401 && \abs(g) <= 0x1p200 &&
      \abs(r) <= 0x1p200;
    assigns \nothing;
    ensures fin: \is_finite(\result);
    ensures rnd: ds_k(\result, tau, a, g, r);
*/
static inline double ds_chain(double tau, double a, double g, double r) {
  double b = kern_fsub(g, r);
  //@ assert b_abs: \abs(b) <= 0x1p202;
  //@ assert ab: \abs(a * b) <= 0x1p603;
  double q = kern_fmul(a, b);
  //@ assert q_abs: \abs(q) <= 0x1p604;
  //@ assert tq: \abs(tau * q) <= 0x1p804;
  double v = kern_fmul(tau, q);
  //@ assert chain_m: fp_rnd(q, a * b) && fp_rnd(v, tau * q);
  //@ assert chain_q: ds_mul(v, tau, a, b);
  //@ assert chain: fp_rnd(b, g - r) && ds_mul(v, tau, a, b);
  return v;
}

/* res <- rnd(p / d); its d != 0 on a parameter (see kern_ds_k) */
/*@ requires fin: \is_finite(p) && \is_finite(d);
    requires big: 0x1p-1074 <= \abs(d) && \abs(p / d) <= 0x1p200;
    assigns \nothing;
    ensures fin: \is_finite(\result);
    ensures rnd: fp_rnd(\result, p / d);
*/
static inline double div_nz(double p, double d) {
  //@ assert nz: d != 0.0;
  return kern_fdiv(p, d);
}

/* t[j] <- rnd(tau * rnd(rnd(p[j] * w) * rnd(g[j] - r))) */
void kern_ds_q(int64_t m, double tau, double w, double r, const double *p, const double *g,
               double *t) {
  /*@ loop invariant 0 <= j <= m;
      loop invariant fin: \forall integer k; 0 <= k < j ==> \is_finite(t[k]);
      loop invariant done: \forall integer k; 0 <= k < j ==> ds_q(t[k], tau, p[k], w, g[k], r);
      loop assigns j, t[0 .. m - 1];
      loop variant m - j; */
  for (int64_t j = 0; j < m; j++) {
    double pj = p[j], gj = g[j];
    //@ assert fin: \is_finite(pj) && \is_finite(gj);
    //@ assert in: \abs(pj) <= 0x1p200 && \abs(gj) <= 0x1p200;
    //@ assert pa: \abs(pj * w) <= 0x1p400;
    double a = kern_fmul(pj, w);
    //@ assert a_abs: \abs(a) <= 0x1p401;
    double v = ds_chain(tau, a, gj, r);
    //@ assert chain: fp_rnd(a, pj * w) && ds_k(v, tau, a, gj, r);
    //@ assert chain_q: ds_q(v, tau, pj, w, gj, r);
    t[j] = v;
    //@ assert done_j: \let k = j; ds_q(t[k], tau, p[k], w, g[k], r);
  }
}

/* w[j] <- rnd(p[j] / d[j]), t[j] <- rnd(tau * rnd(w[j] * rnd(g[j] - r[j]))) */
void kern_ds_k(int64_t m, double tau, const double *p, const double *d, const double *r,
               const double *g, double *t, double *w) {
  /*@ loop invariant 0 <= j <= m;
      loop invariant fin: \forall integer k; 0 <= k < j ==> \is_finite(t[k]) && \is_finite(w[k]);
      loop invariant done: \forall integer k; 0 <= k < j ==>
        fp_rnd(w[k], p[k] / d[k]) && ds_k(t[k], tau, w[k], g[k], r[k]);
      loop assigns j, t[0 .. m - 1], w[0 .. m - 1];
      loop variant m - j; */
  for (int64_t j = 0; j < m; j++) {
    double pj = p[j], dj = d[j], gj = g[j], rj = r[j];
    //@ assert fin: \is_finite(pj) && \is_finite(dj) && \is_finite(gj) && \is_finite(rj);
    /*@ assert in: 0x1p-1074 <= \abs(dj) && \abs(pj / dj) <= 0x1p200 && \abs(gj) <= 0x1p200 &&
          \abs(rj) <= 0x1p200; */
    double a = div_nz(pj, dj);
    //@ assert a_abs: \abs(a) <= 0x1p401;
    double v = ds_chain(tau, a, gj, rj);
    w[j] = a;
    //@ assert w_j: \let k = j; w[k] == a && p[k] == pj && d[k] == dj && g[k] == gj && r[k] == rj;
    t[j] = v;
    //@ assert t_j: \let k = j; t[k] == v && w[k] == a && p[k] == pj && d[k] == dj && g[k] == gj && r[k] == rj;
    //@ assert done_j: \let k = j; fp_rnd(w[k], p[k] / d[k]) && ds_k(t[k], tau, w[k], g[k], r[k]);
  }
}
