/* The online softmax of attention tiles (flash-attention style): the exponentials of a row of
 * scores against a shift, their sum, and the update of a row's running (max, sum). The tiles
 * call these once per row and tile, so they are written to run fast: the max is an exact
 * (order-free) reduction, the exponentials a branch-free map into a separate array
 * (kern_exp.c), and their sum is kept in four interleaved lanes (four independent chains of additions, not one) plus a
 * tail, joined at the end. */
#include "fast/kern/kern.h"
#include "fast/kern/kern_fp.h"

/* p_j <- exp(x_j - m); res <- p_0 + ... + p_{n-1}: lane j of four sums p[4t + j] for t < n/4,
 * a tail sums the rest, then ((lane0 + lane1) + (lane2 + lane3)) + tail */
KERN_VECTOR_CLONES
double kern_exp_shift_sum(int64_t n, const double *x, double m, double *p) {
  kern_exp_shift(n, x, m, p);
  //@ assert x_pre: \forall integer k; 0 <= k < n ==> \at(x[k], Pre) == x[k];
  int64_t nq = n / 4;
  //@ assert nq_rng: 0 <= nq && 4 * nq <= n && n < 4 * nq + 4;
  double a0 = 0.0, a1 = 0.0, a2 = 0.0, a3 = 0.0;
  /*@ loop invariant 0 <= q <= nq;
      loop invariant fin: \is_finite(a0) && \is_finite(a1) && \is_finite(a2) && \is_finite(a3);
      loop invariant k: exp_e <= acc_k(q, exp_e) <= exp_e + 2 * q * fp_u;
      loop invariant nn: 0 <= acc_n(q, exp_z) <= 2 * q * (exp_z + fp_eta);
      loop invariant pos: 0 <= sexpl{Pre}(x, 0, q, m) <= 2 * q &&
        0 <= sexpl{Pre}(x, 1, q, m) <= 2 * q && 0 <= sexpl{Pre}(x, 2, q, m) <= 2 * q &&
        0 <= sexpl{Pre}(x, 3, q, m) <= 2 * q;
      loop invariant split: sexp{Pre}(x, 4 * q, m) == sexpl{Pre}(x, 0, q, m)
        + sexpl{Pre}(x, 1, q, m) + sexpl{Pre}(x, 2, q, m) + sexpl{Pre}(x, 3, q, m);
      loop invariant e0: \abs(a0 - sexpl{Pre}(x, 0, q, m))
        <= acc_k(q, exp_e) * sexpl{Pre}(x, 0, q, m) + acc_n(q, exp_z);
      loop invariant e1: \abs(a1 - sexpl{Pre}(x, 1, q, m))
        <= acc_k(q, exp_e) * sexpl{Pre}(x, 1, q, m) + acc_n(q, exp_z);
      loop invariant e2: \abs(a2 - sexpl{Pre}(x, 2, q, m))
        <= acc_k(q, exp_e) * sexpl{Pre}(x, 2, q, m) + acc_n(q, exp_z);
      loop invariant e3: \abs(a3 - sexpl{Pre}(x, 3, q, m))
        <= acc_k(q, exp_e) * sexpl{Pre}(x, 3, q, m) + acc_n(q, exp_z);
      loop invariant small: 0 <= a0 <= 4 * q + 1 && 0 <= a1 <= 4 * q + 1 &&
        0 <= a2 <= 4 * q + 1 && 0 <= a3 <= 4 * q + 1;
      loop assigns q, a0, a1, a2, a3;
      loop variant nq - q; */
  for (int64_t q = 0; q < nq; q++) {
    int64_t i = 4 * q;
    double p0 = kern_load(p, i, 1, n), p1 = kern_load(p, i + 1, 1, n);
    double p2 = kern_load(p, i + 2, 1, n), p3 = kern_load(p, i + 3, 1, n);
    /*@ assert s1: sexp{Pre}(x, i + 1, m) == sexp{Pre}(x, i, m) + \exp(x[i] - m); */
    /*@ assert s2: sexp{Pre}(x, i + 2, m) == sexp{Pre}(x, i + 1, m) + \exp(x[i + 1] - m); */
    /*@ assert s3: sexp{Pre}(x, i + 3, m) == sexp{Pre}(x, i + 2, m) + \exp(x[i + 2] - m); */
    /*@ assert s4: sexp{Pre}(x, i + 4, m) == sexp{Pre}(x, i + 3, m) + \exp(x[i + 3] - m); */
    /*@ assert accs: acc_k(q + 1, exp_e) == acc_k(q, exp_e) + 2 * fp_u &&
          acc_n(q + 1, exp_z) == acc_n(q, exp_z) + 2 * (exp_z + fp_eta); */
    //@ assert N: fp_u * acc_n(q, exp_z) <= (exp_z + fp_eta) / 2;
    /*@ assert next0: sexpl{Pre}(x, 0, q + 1, m) == sexpl{Pre}(x, 0, q, m) + \exp(x[i] - m); */
    //@ assert t0: 0 < \exp(x[i] - m) <= 2 && term_err(p0, \exp(x[i] - m), exp_e, exp_z);
    /*@ assert KA0: acc_k(q, exp_e) * sexpl{Pre}(x, 0, q, m) <= sexpl{Pre}(x, 0, q, m); */
    /*@ assert Kt0: exp_e * \exp(x[i] - m) <= acc_k(q, exp_e) * \exp(x[i] - m) &&
          exp_e * \exp(x[i] - m) <= \exp(x[i] - m); */
    double b0 = kern_fadd(a0, p0);
    /*@ assert step0: \abs(b0 - (sexpl{Pre}(x, 0, q, m) + \exp(x[i] - m)))
          <= (acc_k(q, exp_e) + 2 * fp_u) * (sexpl{Pre}(x, 0, q, m) + \abs(\exp(x[i] - m)))
             + (acc_n(q, exp_z) + 2 * (exp_z + fp_eta)); */
    a0 = b0;
    /*@ assert next1: sexpl{Pre}(x, 1, q + 1, m) == sexpl{Pre}(x, 1, q, m) + \exp(x[i + 1] - m); */
    //@ assert t1: 0 < \exp(x[i + 1] - m) <= 2 && term_err(p1, \exp(x[i + 1] - m), exp_e, exp_z);
    /*@ assert KA1: acc_k(q, exp_e) * sexpl{Pre}(x, 1, q, m) <= sexpl{Pre}(x, 1, q, m); */
    /*@ assert Kt1: exp_e * \exp(x[i + 1] - m) <= acc_k(q, exp_e) * \exp(x[i + 1] - m) &&
          exp_e * \exp(x[i + 1] - m) <= \exp(x[i + 1] - m); */
    double b1 = kern_fadd(a1, p1);
    /*@ assert step1: \abs(b1 - (sexpl{Pre}(x, 1, q, m) + \exp(x[i + 1] - m)))
          <= (acc_k(q, exp_e) + 2 * fp_u) * (sexpl{Pre}(x, 1, q, m) + \abs(\exp(x[i + 1] - m)))
             + (acc_n(q, exp_z) + 2 * (exp_z + fp_eta)); */
    a1 = b1;
    /*@ assert next2: sexpl{Pre}(x, 2, q + 1, m) == sexpl{Pre}(x, 2, q, m) + \exp(x[i + 2] - m); */
    //@ assert t2: 0 < \exp(x[i + 2] - m) <= 2 && term_err(p2, \exp(x[i + 2] - m), exp_e, exp_z);
    /*@ assert KA2: acc_k(q, exp_e) * sexpl{Pre}(x, 2, q, m) <= sexpl{Pre}(x, 2, q, m); */
    /*@ assert Kt2: exp_e * \exp(x[i + 2] - m) <= acc_k(q, exp_e) * \exp(x[i + 2] - m) &&
          exp_e * \exp(x[i + 2] - m) <= \exp(x[i + 2] - m); */
    double b2 = kern_fadd(a2, p2);
    /*@ assert step2: \abs(b2 - (sexpl{Pre}(x, 2, q, m) + \exp(x[i + 2] - m)))
          <= (acc_k(q, exp_e) + 2 * fp_u) * (sexpl{Pre}(x, 2, q, m) + \abs(\exp(x[i + 2] - m)))
             + (acc_n(q, exp_z) + 2 * (exp_z + fp_eta)); */
    a2 = b2;
    /*@ assert next3: sexpl{Pre}(x, 3, q + 1, m) == sexpl{Pre}(x, 3, q, m) + \exp(x[i + 3] - m); */
    //@ assert t3: 0 < \exp(x[i + 3] - m) <= 2 && term_err(p3, \exp(x[i + 3] - m), exp_e, exp_z);
    /*@ assert KA3: acc_k(q, exp_e) * sexpl{Pre}(x, 3, q, m) <= sexpl{Pre}(x, 3, q, m); */
    /*@ assert Kt3: exp_e * \exp(x[i + 3] - m) <= acc_k(q, exp_e) * \exp(x[i + 3] - m) &&
          exp_e * \exp(x[i + 3] - m) <= \exp(x[i + 3] - m); */
    double b3 = kern_fadd(a3, p3);
    /*@ assert step3: \abs(b3 - (sexpl{Pre}(x, 3, q, m) + \exp(x[i + 3] - m)))
          <= (acc_k(q, exp_e) + 2 * fp_u) * (sexpl{Pre}(x, 3, q, m) + \abs(\exp(x[i + 3] - m)))
             + (acc_n(q, exp_z) + 2 * (exp_z + fp_eta)); */
    a3 = b3;
  }
  /* the last, partial round: lane j takes x[4 nq + j] when it exists, else an exact 0, so that
   * every lane has made nq + 1 additions (one error budget for all four) */
  int64_t i0 = 4 * nq, nt = n - i0;
  //@ assert nt_rng: 0 <= nt < 4 && i0 + nt == n;
  //@ assert u1: 0 < nt ==> sexp{Pre}(x, i0 + 1, m) == sexp{Pre}(x, i0, m) + \exp(x[i0] - m);
  //@ assert u2: 1 < nt ==> sexp{Pre}(x, i0 + 2, m) == sexp{Pre}(x, i0 + 1, m) + \exp(x[i0 + 1] - m);
  //@ assert u3: 2 < nt ==> sexp{Pre}(x, i0 + 3, m) == sexp{Pre}(x, i0 + 2, m) + \exp(x[i0 + 2] - m);
  /*@ assert tail: sexp{Pre}(x, n, m) == sexp{Pre}(x, i0, m)
        + (0 < nt ? \exp(x[i0] - m) : 0) + (1 < nt ? \exp(x[i0 + 1] - m) : 0)
        + (2 < nt ? \exp(x[i0 + 2] - m) : 0); */
  //@ assert accs: acc_k(nq + 1, exp_e) == acc_k(nq, exp_e) + 2 * fp_u && acc_n(nq + 1, exp_z) == acc_n(nq, exp_z) + 2 * (exp_z + fp_eta);
  //@ assert N: fp_u * acc_n(nq, exp_z) <= (exp_z + fp_eta) / 2;
  /*@ assert kk: acc_k(nq, exp_e) <= 1 && 0 <= sexpl{Pre}(x, 0, nq, m) && 0 <= sexpl{Pre}(x, 1, nq, m) &&
        0 <= sexpl{Pre}(x, 2, nq, m) && 0 <= sexpl{Pre}(x, 3, nq, m); */
  //@ ghost int64_t k0 = nq + (0 < nt);
  //@ assert KA0: acc_k(nq, exp_e) * sexpl{Pre}(x, 0, nq, m) <= sexpl{Pre}(x, 0, nq, m);
  double c0;
  if (0 < nt) {
    double q0 = kern_load(p, i0 + 0, 1, n);
    //@ assert p0: exp_term(p[i0 + 0], x[i0 + 0], m) && x[i0 + 0] <= m;
    //@ assert t0: 0 < \exp(x[i0 + 0] - m) <= 2 && term_err(q0, \exp(x[i0 + 0] - m), exp_e, exp_z);
    //@ assert Kt0: exp_e * \exp(x[i0 + 0] - m) <= acc_k(nq, exp_e) * \exp(x[i0 + 0] - m) && exp_e * \exp(x[i0 + 0] - m) <= \exp(x[i0 + 0] - m);
    //@ assert nx0: sexpl{Pre}(x, 0, nq + 1, m) == sexpl{Pre}(x, 0, nq, m) + \exp(x[i0 + 0] - m);
    c0 = kern_fadd(a0, q0);
    /*@ assert last0: \abs(c0 - (sexpl{Pre}(x, 0, nq, m) + \exp(x[i0 + 0] - m)))
          <= (acc_k(nq, exp_e) + 2 * fp_u) * (sexpl{Pre}(x, 0, nq, m) + \abs(\exp(x[i0 + 0] - m))) + (acc_n(nq, exp_z) + 2 * (exp_z + fp_eta)); */
  } else { /* an exact 0 added: the same budget as a term */
    c0 = kern_fadd(a0, 0.0);
    //@ assert zero0: \abs(c0 - sexpl{Pre}(x, 0, nq, m)) <= (acc_k(nq, exp_e) + 2 * fp_u) * sexpl{Pre}(x, 0, nq, m) + (acc_n(nq, exp_z) + 2 * (exp_z + fp_eta));
  }
  //@ assert eq0: sexpl{Pre}(x, 0, k0, m) == sexpl{Pre}(x, 0, nq, m) + (0 < nt ? \exp(x[i0 + 0] - m) : 0);
  //@ assert L0: 0 <= sexpl{Pre}(x, 0, k0, m) && \abs(c0 - sexpl{Pre}(x, 0, k0, m)) <= acc_k(nq + 1, exp_e) * sexpl{Pre}(x, 0, k0, m) + acc_n(nq + 1, exp_z);
  //@ ghost int64_t k1 = nq + (1 < nt);
  //@ assert KA1: acc_k(nq, exp_e) * sexpl{Pre}(x, 1, nq, m) <= sexpl{Pre}(x, 1, nq, m);
  double c1;
  if (1 < nt) {
    double q1 = kern_load(p, i0 + 1, 1, n);
    //@ assert p1: exp_term(p[i0 + 1], x[i0 + 1], m) && x[i0 + 1] <= m;
    //@ assert t1: 0 < \exp(x[i0 + 1] - m) <= 2 && term_err(q1, \exp(x[i0 + 1] - m), exp_e, exp_z);
    //@ assert Kt1: exp_e * \exp(x[i0 + 1] - m) <= acc_k(nq, exp_e) * \exp(x[i0 + 1] - m) && exp_e * \exp(x[i0 + 1] - m) <= \exp(x[i0 + 1] - m);
    //@ assert nx1: sexpl{Pre}(x, 1, nq + 1, m) == sexpl{Pre}(x, 1, nq, m) + \exp(x[i0 + 1] - m);
    c1 = kern_fadd(a1, q1);
    /*@ assert last1: \abs(c1 - (sexpl{Pre}(x, 1, nq, m) + \exp(x[i0 + 1] - m)))
          <= (acc_k(nq, exp_e) + 2 * fp_u) * (sexpl{Pre}(x, 1, nq, m) + \abs(\exp(x[i0 + 1] - m))) + (acc_n(nq, exp_z) + 2 * (exp_z + fp_eta)); */
  } else { /* an exact 0 added: the same budget as a term */
    c1 = kern_fadd(a1, 0.0);
    //@ assert zero1: \abs(c1 - sexpl{Pre}(x, 1, nq, m)) <= (acc_k(nq, exp_e) + 2 * fp_u) * sexpl{Pre}(x, 1, nq, m) + (acc_n(nq, exp_z) + 2 * (exp_z + fp_eta));
  }
  //@ assert eq1: sexpl{Pre}(x, 1, k1, m) == sexpl{Pre}(x, 1, nq, m) + (1 < nt ? \exp(x[i0 + 1] - m) : 0);
  //@ assert L1: 0 <= sexpl{Pre}(x, 1, k1, m) && \abs(c1 - sexpl{Pre}(x, 1, k1, m)) <= acc_k(nq + 1, exp_e) * sexpl{Pre}(x, 1, k1, m) + acc_n(nq + 1, exp_z);
  //@ ghost int64_t k2 = nq + (2 < nt);
  //@ assert KA2: acc_k(nq, exp_e) * sexpl{Pre}(x, 2, nq, m) <= sexpl{Pre}(x, 2, nq, m);
  double c2;
  if (2 < nt) {
    double q2 = kern_load(p, i0 + 2, 1, n);
    //@ assert p2: exp_term(p[i0 + 2], x[i0 + 2], m) && x[i0 + 2] <= m;
    //@ assert t2: 0 < \exp(x[i0 + 2] - m) <= 2 && term_err(q2, \exp(x[i0 + 2] - m), exp_e, exp_z);
    //@ assert Kt2: exp_e * \exp(x[i0 + 2] - m) <= acc_k(nq, exp_e) * \exp(x[i0 + 2] - m) && exp_e * \exp(x[i0 + 2] - m) <= \exp(x[i0 + 2] - m);
    //@ assert nx2: sexpl{Pre}(x, 2, nq + 1, m) == sexpl{Pre}(x, 2, nq, m) + \exp(x[i0 + 2] - m);
    c2 = kern_fadd(a2, q2);
    /*@ assert last2: \abs(c2 - (sexpl{Pre}(x, 2, nq, m) + \exp(x[i0 + 2] - m)))
          <= (acc_k(nq, exp_e) + 2 * fp_u) * (sexpl{Pre}(x, 2, nq, m) + \abs(\exp(x[i0 + 2] - m))) + (acc_n(nq, exp_z) + 2 * (exp_z + fp_eta)); */
  } else { /* an exact 0 added: the same budget as a term */
    c2 = kern_fadd(a2, 0.0);
    //@ assert zero2: \abs(c2 - sexpl{Pre}(x, 2, nq, m)) <= (acc_k(nq, exp_e) + 2 * fp_u) * sexpl{Pre}(x, 2, nq, m) + (acc_n(nq, exp_z) + 2 * (exp_z + fp_eta));
  }
  //@ assert eq2: sexpl{Pre}(x, 2, k2, m) == sexpl{Pre}(x, 2, nq, m) + (2 < nt ? \exp(x[i0 + 2] - m) : 0);
  //@ assert L2: 0 <= sexpl{Pre}(x, 2, k2, m) && \abs(c2 - sexpl{Pre}(x, 2, k2, m)) <= acc_k(nq + 1, exp_e) * sexpl{Pre}(x, 2, k2, m) + acc_n(nq + 1, exp_z);
  //@ ghost int64_t k3 = nq + (3 < nt);
  //@ assert KA3: acc_k(nq, exp_e) * sexpl{Pre}(x, 3, nq, m) <= sexpl{Pre}(x, 3, nq, m);
  double c3;
  if (3 < nt) {
    double q3 = kern_load(p, i0 + 3, 1, n);
    //@ assert p3: exp_term(p[i0 + 3], x[i0 + 3], m) && x[i0 + 3] <= m;
    //@ assert t3: 0 < \exp(x[i0 + 3] - m) <= 2 && term_err(q3, \exp(x[i0 + 3] - m), exp_e, exp_z);
    //@ assert Kt3: exp_e * \exp(x[i0 + 3] - m) <= acc_k(nq, exp_e) * \exp(x[i0 + 3] - m) && exp_e * \exp(x[i0 + 3] - m) <= \exp(x[i0 + 3] - m);
    //@ assert nx3: sexpl{Pre}(x, 3, nq + 1, m) == sexpl{Pre}(x, 3, nq, m) + \exp(x[i0 + 3] - m);
    c3 = kern_fadd(a3, q3);
    /*@ assert last3: \abs(c3 - (sexpl{Pre}(x, 3, nq, m) + \exp(x[i0 + 3] - m)))
          <= (acc_k(nq, exp_e) + 2 * fp_u) * (sexpl{Pre}(x, 3, nq, m) + \abs(\exp(x[i0 + 3] - m))) + (acc_n(nq, exp_z) + 2 * (exp_z + fp_eta)); */
  } else { /* an exact 0 added: the same budget as a term */
    c3 = kern_fadd(a3, 0.0);
    //@ assert zero3: \abs(c3 - sexpl{Pre}(x, 3, nq, m)) <= (acc_k(nq, exp_e) + 2 * fp_u) * sexpl{Pre}(x, 3, nq, m) + (acc_n(nq, exp_z) + 2 * (exp_z + fp_eta));
  }
  //@ assert eq3: sexpl{Pre}(x, 3, k3, m) == sexpl{Pre}(x, 3, nq, m) + (3 < nt ? \exp(x[i0 + 3] - m) : 0);
  //@ assert L3: 0 <= sexpl{Pre}(x, 3, k3, m) && \abs(c3 - sexpl{Pre}(x, 3, k3, m)) <= acc_k(nq + 1, exp_e) * sexpl{Pre}(x, 3, k3, m) + acc_n(nq + 1, exp_z);
  /* the join ((c0 + c1) + (c2 + c3)); K = acc_k(nq + 1, exp_e), N = acc_n(nq + 1, exp_z) */
  //@ assert K1: exp_e <= acc_k(nq + 1, exp_e) && acc_k(nq + 1, exp_e) + 4 * fp_u <= 1 && 0 <= acc_n(nq + 1, exp_z);
  /*@ assert h01: acc_k(nq + 1, exp_e) * sexpl{Pre}(x, 0, k0, m) <= sexpl{Pre}(x, 0, k0, m) && acc_k(nq + 1, exp_e) * sexpl{Pre}(x, 1, k1, m) <= sexpl{Pre}(x, 1, k1, m); */
  double b01 = kern_fadd(c0, c1);
  /*@ assert j01: \abs(b01 - (sexpl{Pre}(x, 0, k0, m) + sexpl{Pre}(x, 1, k1, m)))
        <= (acc_k(nq + 1, exp_e) + 2 * fp_u) * (sexpl{Pre}(x, 0, k0, m) + sexpl{Pre}(x, 1, k1, m)) + (2 * (acc_n(nq + 1, exp_z) + acc_n(nq + 1, exp_z)) + fp_eta); */
  /*@ assert h23: acc_k(nq + 1, exp_e) * sexpl{Pre}(x, 2, k2, m) <= sexpl{Pre}(x, 2, k2, m) && acc_k(nq + 1, exp_e) * sexpl{Pre}(x, 3, k3, m) <= sexpl{Pre}(x, 3, k3, m); */
  double b23 = kern_fadd(c2, c3);
  /*@ assert j23: \abs(b23 - (sexpl{Pre}(x, 2, k2, m) + sexpl{Pre}(x, 3, k3, m)))
        <= (acc_k(nq + 1, exp_e) + 2 * fp_u) * (sexpl{Pre}(x, 2, k2, m) + sexpl{Pre}(x, 3, k3, m)) + (2 * (acc_n(nq + 1, exp_z) + acc_n(nq + 1, exp_z)) + fp_eta); */
  /*@ assert h03: (acc_k(nq + 1, exp_e) + 2 * fp_u) * (sexpl{Pre}(x, 0, k0, m) + sexpl{Pre}(x, 1, k1, m)) <= sexpl{Pre}(x, 0, k0, m) + sexpl{Pre}(x, 1, k1, m) &&
        (acc_k(nq + 1, exp_e) + 2 * fp_u) * (sexpl{Pre}(x, 2, k2, m) + sexpl{Pre}(x, 3, k3, m)) <= sexpl{Pre}(x, 2, k2, m) + sexpl{Pre}(x, 3, k3, m); */
  double res = kern_fadd(b01, b23);
  /*@ assert j03: \abs(res - (sexpl{Pre}(x, 0, k0, m) + sexpl{Pre}(x, 1, k1, m) + (sexpl{Pre}(x, 2, k2, m) + sexpl{Pre}(x, 3, k3, m))))
        <= (acc_k(nq + 1, exp_e) + 4 * fp_u) * (sexpl{Pre}(x, 0, k0, m) + sexpl{Pre}(x, 1, k1, m) + (sexpl{Pre}(x, 2, k2, m) + sexpl{Pre}(x, 3, k3, m)))
          + (2 * ((4 * acc_n(nq + 1, exp_z) + fp_eta) + (4 * acc_n(nq + 1, exp_z) + fp_eta)) + fp_eta); */
  //@ assert all: sexp{Pre}(x, n, m) == sexpl{Pre}(x, 0, k0, m) + sexpl{Pre}(x, 1, k1, m) + (sexpl{Pre}(x, 2, k2, m) + sexpl{Pre}(x, 3, k3, m));
  //@ assert nb: acc_n(nq + 1, exp_z) <= 2 * (nq + 1) * (exp_z + fp_eta) && 4 * nq <= n;
  //@ assert sb: 0 <= sexp{Pre}(x, n, m) <= 2 * n;
  //@ assert kq: nq == n / 4;
  return res;
}

/* (m, l) <- (max(m, s_j), l exp(m - m') + sum_j exp(s_j - m')); p_j <- exp(s_j - m');
 * res <- exp(m - m') */
KERN_VECTOR_CLONES
double kern_online_softmax_update(int64_t n, const double *s, double *p, double *m, double *l) {
  double m0 = *m, l0 = *l, mn = m0;
  /* max of finite doubles: exact whatever the order, so the reduction may run in lanes */
#ifndef __FRAMAC__ /* Frama-C does not parse OpenMP pragmas */
#pragma omp simd reduction(max : mn)
#endif
  /*@ loop invariant 0 <= i <= n;
      loop invariant fin: \is_finite(mn);
      loop invariant mx: mn == mrun(s, i, m0);
      loop invariant ge: m0 <= mn && \forall integer j; 0 <= j < i ==> s[j] <= mn;
      loop invariant rng: \abs(mn) <= 0x1p998;
      loop assigns i, mn;
      loop variant n - i; */
  for (int64_t i = 0; i < n; i++) {
    double v = kern_load(s, i, 1, n);
    //@ assert next: mrun(s, i + 1, m0) == rmax(mrun(s, i, m0), v);
    mn = v > mn ? v : mn; /* a comparison of finite doubles is exact */
  }
  //@ assert le: \forall integer j; 0 <= j < n ==> s[j] <= mn;
  double alpha = kern_fexpdiff(m0, mn);
  double t = kern_exp_shift_sum(n, s, mn, p);
  double a = kern_fmul(l0, alpha);
  /*@ assert a1: l0 * alpha <= l0; */
  /*@ assert a2: \abs(l0 * alpha - l0 * \exp(m0 - mn)) <= l0 * (exp_e * \exp(m0 - mn) + exp_z); */
  /*@ assert a3: 0 <= l0 * \exp(m0 - mn) && \exp(m0 - mn) <= 2; */
  /*@ assert a4: l0 * \exp(m0 - mn) <= 2 * l0; */
  /*@ assert ae: \abs(a - l0 * \exp(m0 - mn))
        <= (exp_e + 2 * fp_u) * (l0 * \exp(m0 - mn)) + (2 * l0 * exp_z + fp_eta); */
  //@ assert nq: exp_e <= acc_k(n / 4 + 1, exp_e) && acc_k(n / 4 + 1, exp_e) + 6 * fp_u <= 1;
  /*@ assert KA: \let A = l0 * \exp(m0 - mn); \let B = sexp{Pre}(s, n, mn);
        0 <= A && 0 <= B && exp_e * A <= acc_k(n / 4 + 1, exp_e) * A &&
        (exp_e + 2 * fp_u) * A <= (acc_k(n / 4 + 1, exp_e) + 4 * fp_u) * A &&
        (acc_k(n / 4 + 1, exp_e) + 4 * fp_u) * A <= A && (acc_k(n / 4 + 1, exp_e) + 4 * fp_u) * B <= B; */
  double lsum = kern_fadd(a, t);
  /*@ assert jl: \let T = l0 * \exp(m0 - mn) + sexp{Pre}(s, n, mn);
        \abs(lsum - T) <= (acc_k(n / 4 + 1, exp_e) + 6 * fp_u) * T
          + (2 * ((2 * l0 * exp_z + fp_eta) + (16 * acc_n(n / 4 + 1, exp_z) + 5 * fp_eta)) + fp_eta); */
  *m = mn;
  *l = lsum;
  return alpha;
}
