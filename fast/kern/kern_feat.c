/* The monomial feature map of one row. */
#include "fast/kern/kern_approx.h"
#include "fast/kern/kern_fp.h"

/* out[a] <- rnd(out[par[a]] * x[var[a]]), out[0] = 1 */
void kern_feat_psi(int64_t r, const int32_t *par, const int32_t *var, int64_t dh,
                   const double *x, double *out) {
  out[0] = 1.0;
  //@ assert zero: mdeg(par, 0) == 0 && mono(par, var, x, 0) == 1.0 && amono(par, var, x, 0) == 1.0 && mz(par, var, x, 0) == 0.0;
  /*@ loop invariant 1 <= i <= r;
      loop invariant fin: \forall integer a; 0 <= a < i ==> \is_finite(out[a]);
      loop invariant deg: \forall integer a; 0 <= a < i ==> 0 <= mdeg{Pre}(par, a) <= a &&
        0 <= fe(mdeg{Pre}(par, a)) <= 2 * mdeg{Pre}(par, a) * fp_u;
      loop invariant abs: \forall integer a; 0 <= a < i ==>
        \abs(mono{Pre}(par, var, x, a)) <= amono{Pre}(par, var, x, a) && 0 <= mz{Pre}(par, var, x, a);
      loop invariant err: \forall integer a; 0 <= a < i ==>
        \abs(out[a] - mono{Pre}(par, var, x, a))
          <= fmulr(fe(mdeg{Pre}(par, a)), amono{Pre}(par, var, x, a)) + mz{Pre}(par, var, x, a);
      loop assigns i, out[1 .. r - 1];
      loop variant r - i; */
  for (int64_t i = 1; i < r; i++) {
    int64_t p = par[i], v = var[i];
    //@ assert tab: 0 <= p < i && 0 <= v < dh;
    //@ assert fin: \let k = v; \is_finite(\at(x[k], Pre));
    double xv = x[v], op = out[p];
    //@ assert x_pre: \let k = v; xv == \at(x[k], Pre);
    /*@ assert next: mdeg{Pre}(par, i) == mdeg{Pre}(par, p) + 1 &&
          mono{Pre}(par, var, x, i) == mono{Pre}(par, var, x, p) * xv &&
          amono{Pre}(par, var, x, i) == amono{Pre}(par, var, x, p) * \abs(xv) &&
          mz{Pre}(par, var, x, i) == (1 + fp_u) * \abs(xv) * mz{Pre}(par, var, x, p) + fp_eta; */
    //@ assert fe_i: fe(mdeg{Pre}(par, i)) == (1 + fp_u) * fe(mdeg{Pre}(par, p)) + fp_u;
    /*@ assert ip: \let E = fe(mdeg{Pre}(par, p)); \let A = amono{Pre}(par, var, x, p);
          \let Z = mz{Pre}(par, var, x, p); \let M = mono{Pre}(par, var, x, p);
          \abs(op - M) <= fmulr(E, A) + Z && \abs(M) <= A && 0 <= Z && 0 <= E <= 1 && 0 <= A; */
    //@ assert nx1: mono{Pre}(par, var, x, i) == fmulr(mono{Pre}(par, var, x, p), xv);
    //@ assert nx2: amono{Pre}(par, var, x, i) == fmulr(amono{Pre}(par, var, x, p), \abs(xv));
    /*@ assert nx3: mz{Pre}(par, var, x, i)
          == (1 + fp_u) * fmulr(\abs(xv), mz{Pre}(par, var, x, p)) + fp_eta; */
    //@ assert nx4: 0 <= fmulr(\abs(xv), mz{Pre}(par, var, x, p));
    //@ assert nx5: 0 <= amono{Pre}(par, var, x, i);
    //@ assert bi: amono{Pre}(par, var, x, i) <= 0x1p900 && mz{Pre}(par, var, x, i) <= 1;
    /*@ assert h4: \abs(fmulr(mono{Pre}(par, var, x, p), xv)) <= fmulr(amono{Pre}(par, var, x, p), \abs(xv)); */
    /*@ assert step0: \abs(fmulr(op, xv) - fmulr(mono{Pre}(par, var, x, p), xv))
          <= fmulr(fe(mdeg{Pre}(par, p)), amono{Pre}(par, var, x, i)) + fmulr(\abs(xv), mz{Pre}(par, var, x, p)); */
    /*@ assert pa: \abs(fmulr(op, xv)) <= amono{Pre}(par, var, x, i)
          + fmulr(fe(mdeg{Pre}(par, p)), amono{Pre}(par, var, x, i)) + fmulr(\abs(xv), mz{Pre}(par, var, x, p)); */
    /*@ assert pa2: fmulr(fe(mdeg{Pre}(par, p)), amono{Pre}(par, var, x, i)) <= amono{Pre}(par, var, x, i); */
    //@ assert pbig: \abs(op * xv) <= fp_big && fmulr(op, xv) == op * xv;
    double m = kern_fmul(op, xv);
    /*@ assert step: \abs(m - mono{Pre}(par, var, x, i))
          <= fmulr(fe(mdeg{Pre}(par, i)), amono{Pre}(par, var, x, i)) + mz{Pre}(par, var, x, i); */
    /*@ assert abs_i: \abs(mono{Pre}(par, var, x, i)) <= amono{Pre}(par, var, x, i); */
    /*@ assert deg_i: 0 <= mdeg{Pre}(par, i) <= i &&
          0 <= fe(mdeg{Pre}(par, i)) <= 2 * mdeg{Pre}(par, i) * fp_u; */
    out[i] = m;
  }
  //@ assert fin: \forall integer a; 0 <= a < r ==> \is_finite(out[a]);
}
