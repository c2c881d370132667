/* `attnref bounds`: the error harness's sweeps and report (error_reports/).
 * cmd_bounds.c parses options and runs the parts in order; each part keeps
 * its rows here; bounds_report.c writes the CSVs, plots and REPORT.md. */
#ifndef ATTNREF_BOUNDS_CLI_H
#define ATTNREF_BOUNDS_CLI_H

#include <stdint.h>
#include <stdio.h>

#include "bounds.h"
#include "cli.h"

/* The results of a one-layer case, in the order of every table. */
#define BX_NT 9
extern const char *const bx_tensor[BX_NT]; /* result names */
extern const char *const bx_short[BX_NT];  /* column titles */

/* Part 1 (and 5): one (distribution, n, c) point of the 1/poly(n) sweep;
 * c = 0 is the control: the degree fixed at BX_FIXED_G for every n. */
#define BX_FIXED_G 4
typedef struct bx_poly_row {
  bd_dist dist;
  int64_t n;
  int c, g;
  int64_t rank;
  double R, smax; /* path's radius (Cauchy-Schwarz); realized max |S| (NAN: not
                     computed) */
  double eps, target, allowance; /* path's eps; n^-c; rounding allowance */
  int truth_mpfr;                /* truth: 1 MPFR (ref), 0 exact64 */
  double t_approx, t_exact64;
  bd_err err[BX_NT];
  double ratio[BX_NT],
      bmax[BX_NT]; /* measured/bound (element-wise max), max bound */
} bx_poly_row;

/* Part 4: noise floors of the same cases. */
typedef struct bx_floor_row {
  bd_dist dist;
  int64_t n;
  int truth_mpfr;
  bd_err e64[BX_NT];  /* exact64 vs MPFR (present only when truth_mpfr) */
  bd_err e32[BX_NT];  /* exact32 vs truth */
  bd_err bf16[BX_NT]; /* truth(bf16-rounded inputs) vs truth(inputs) */
} bx_floor_row;

/* Part 2: depth. One variant of the layer (residual, norm, causal). */
#define BX_LMAX 8
typedef struct bx_depth_variant {
  const char *name;
  int residual, causal;
  ar_norm norm;
  int Lmax;
  /* errors of the depth-L model, layer l < L (normwise) */
  double act[BX_LMAX + 1][BX_LMAX], grad[BX_LMAX + 1][BX_LMAX];
  double gx[BX_LMAX + 1]; /* grad.x of the depth-L model */
  /* the depth-Lmax model's layer-by-layer split */
  double fresh[BX_LMAX];       /* ||approx_l(X~) - exact_l(X~)|| / ||X_l||  */
  double fresh_ratio[BX_LMAX]; /* max over results of measured / proven bound */
  double fresh_bound[BX_LMAX]; /* max-norm proven bound of act, / max|X_l| */
  double fresh_maxrel[BX_LMAX]; /* the measured max-norm error, / max|X_l| */
  double prop[BX_LMAX];         /* ||exact_l(X~) - exact_l(X)|| / ||X_l|| */
  double amp[BX_LMAX]; /* ||exact_l(X~) - X_l|| / ||X~_{l-1} - X_{l-1}|| */
  double eps[BX_LMAX], R[BX_LMAX];
  double spread[BX_LMAX]; /* ||X_l - 1 mean_rows(X_l)|| / ||X_l|| (truth): rank
                             collapse */
  double gamma_fwd, gamma_bwd; /* fitted per-layer growth */
  double t_ref;
} bx_depth_variant;

/* Part 3: one (distribution, B, poly) point of the entry-bound sweep. */
#define BX_GMAX_TRIES 24
typedef struct bx_entry_row {
  bd_dist dist;
  double B, R, smax;
  const char *poly;
  int ntries;
  int g[BX_GMAX_TRIES];
  double err[BX_GMAX_TRIES], t[BX_GMAX_TRIES]; /* max-norm relative, seconds */
  int g_found; /* smallest g reaching the target, -1 none */
  double t_exact64;
  int g_apriori; /* Taylor: smallest even g whose proven bound meets the target
                    (-1: none <= 64) */
  const char *stop; /* why the search ended */
} bx_entry_row;

typedef struct bx_ctx {
  int quick, plots;
  const char *out;
  FILE *log;        /* the paths' stderr */
  double radius;    /* part 1's R */
  int64_t mpfr_max; /* MPFR truth up to this n */
  double target;    /* part 3's relative error target */
  double t_start;
  int checks, violations; /* proven-bound comparisons and their failures */
  ar_error err;

  bx_poly_row *poly;
  int npoly, cappoly;
  bx_floor_row *floor;
  int nfloor, capfloor;
  bx_depth_variant depth[4];
  int ndepth;
  bx_entry_row *entry;
  int nentry, capentry;
  int64_t entry_n;
  double slope[2][3][BX_NT]; /* [dist][c][tensor]; c = 0: the fixed-g control */
  int slope_pts[2][3][BX_NT]; /* points each slope was fitted on */
  /* what part 1's errors can resolve when the truth is exact64: 100 times
   * exact64's largest normwise error against MPFR (n <= mpfr_max), per
   * result; points below it are left out of the slopes */
  double floor64[BX_NT];
  int below_floor; /* part-1 points left out for that reason */
  char command[1024];
} bx_ctx;

/* Records one proven-bound comparison (ratio <= 1 passes); prints a line on
 * stderr when it fails. */
void bx_check(bx_ctx *x, const char *what, double ratio);

int bx_part_poly(bx_ctx *x);    /* parts 1, 4, 5 */
int bx_part_depth(bx_ctx *x);   /* part 2 */
int bx_part_entry(bx_ctx *x);   /* part 3 */
int bx_write_report(bx_ctx *x); /* CSVs, plots, REPORT.md */

/* progress on stdout: "[  12.3 s] message" */
void bx_note(bx_ctx *x, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
