/* attnref: one command, subcommands gen | ref | run | check | bench ref | demo |
 * audit | bench fast. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "path.h"

static const char help_gen[] =
    "usage: attnref gen --config FILE|JSON --seed S [--bound B] -o CASE\n"
    "                   [--max-memory SIZE]\n"
    "\n"
    "Writes a random case: every input entry uniform in [-B, B] (default B = "
    "1),\n"
    "labels uniform in [0, vocab). The same seed gives the same bytes\n"
    "(xoshiro256** seeded through splitmix64).\n"
    "\n"
    "  --config   model config: JSON text (starting with '{') or a file "
    "holding it\n"
    "  --seed     unsigned 64-bit integer\n"
    "  --bound    B > 0\n"
    "  -o         output .safetensors (written atomically)\n"
    "  --max-memory  refuse a case larger than SIZE (default 8G; K/M/G/T)\n";

static const char help_ref[] =
    "usage: attnref ref CASE -o TRUTH [--prec BITS] [--double-double] "
    "[--verbose]\n"
    "                  [--max-memory SIZE]\n"
    "\n"
    "Computes the exact loss, activations and gradients of CASE in MPFR,\n"
    "certified by recomputation at a higher precision, and writes them as\n"
    "correctly rounded float64 (with --double-double also <name>@lo parts).\n"
    "Prints a one-line summary (precision, certified bits, time) on stderr.\n"
    "\n"
    "  --prec BITS        starting working precision (default 128)\n"
    "  --double-double    also write the low parts\n"
    "  --verbose          progress on stderr\n"
    "  --max-memory SIZE  refuse to plan more than SIZE bytes (default 8G)\n";

static const char help_run_head[] =
    "usage: attnref run --path NAME CASE -o OUT [--degree g]\n"
    "                   [--poly taylor|chebyshev] [--threads T] [--prec BITS]\n"
    "                   [--double-double] [--verbose] [--max-memory SIZE]\n"
    "\n"
    "Runs one registered path on CASE and writes its results in the truth's\n"
    "format, for `attnref check`.\n"
    "\n"
    "  --degree g   polynomial degree (approximate paths; default 4)\n"
    "  --poly       taylor | chebyshev (approximate paths; default taylor)\n"
    "  --threads T  threads (0 = library default)\n"
    "\n"
    "paths in this build:\n";

static const char help_check[] =
    "usage: attnref check --truth TRUTH --candidate CAND [--profile P]\n"
    "                     [--json FILE] [--junit FILE] [--max-memory SIZE]\n"
    "\n"
    "Compares every tensor of TRUTH (except <name>@lo) with CAND's tensor of\n"
    "the same name: max abs error, max relative error (over t != 0), max "
    "error\n"
    "in ULPs of the candidate's dtype, normwise ||c-t||/||t|| and the worst\n"
    "element. A tensor passes iff shapes match, every c is finite and\n"
    "  |c - t| <= atol * max|t| + rtol * |t|   for every element.\n"
    "Missing tensors fail; extra candidate tensors are listed.\n"
    "\n"
    "  --profile  fp64 (rtol 1e-11, atol 1e-11; default), fp32 (1.3e-6, "
    "1e-5),\n"
    "             tf32 (1e-3, 1e-4), fp16 (1e-3, 1e-5), bf16 (1.6e-2, 1e-5)\n"
    "  --json     write every metric as JSON\n"
    "  --junit    write JUnit XML, one <testcase> per tensor\n"
    "\n"
    "exit status: 0 all pass, 1 some fail, 2 usage or input error\n";

static const char help_bench[] =
    "usage: attnref bench ref [--config JSON|FILE] [--prec BITS] [--peer]\n"
    "                         [--csv FILE]\n"
    "\n"
    "Times the MPFR reference on a generated case (default n=128 d=32 "
    "heads=4\n"
    "layers=2 mlp=64 causal, seed 1, bound 1), then, in the same run, the "
    "cost\n"
    "of each MPFR operation at the precisions the run used, and compares the\n"
    "measured time with the time predicted from the operation counts.\n"
    "\n"
    "  --config  model config (JSON text or file)\n"
    "  --prec    starting precision (default 128)\n"
    "  --peer    also time the same case in mpmath (ref/peer_mpmath.py)\n"
    "  --csv     write the table as CSV\n";

static const char help_demo[] =
    "usage: attnref demo [--dir DIR] [--path NAME] [--config JSON|FILE]\n"
    "                    [--profile P]\n"
    "\n"
    "The main job on a built-in case: gen (seed 1, bound 1) -> ref (certified\n"
    "MPFR truth) -> run --path NAME (default exact64) -> check against the\n"
    "truth (profile fp64, fp32 for exact32), printing the report. Files go to\n"
    "DIR (default ./attnref-demo): case, truth, candidate, check.json.\n"
    "The default config: n=64 d=16 heads=2 layers=3 causal layernorm\n"
    "mlp=32 gelu xent vocab=50. Exit status is check's.\n";

static const char help_audit[] =
    "usage: attnref audit --truth TRUTH --candidate CAND [--plot FILE.png]\n"
    "                     [--csv FILE] [--json FILE] [--max-memory SIZE]\n"
    "\n"
    "How the candidate's error grows through the layers. Per layer l: the\n"
    "forward error of act.layers.l and the backward error of\n"
    "grad.act.layers.l, each as normwise ||c-t||/||t||, max|c-t|/max|t| and\n"
    "max |c-t|/|t| over t != 0 (check's metrics); the growth factor of the\n"
    "normwise error, err_l/err_{l-1} forward and err_l/err_{l+1} backward\n"
    "(the adjoint runs from the last layer down; '-' where both errors are 0,\n"
    "'inf' where only the earlier one is); the geometric-mean growth per\n"
    "layer; then the parameter gradients' errors grouped by layer.\n"
    "\n"
    "  --plot  PNG of error vs layer (log y), forward and backward, drawn by\n"
    "          gnuplot (pngcairo or png; $ATTNREF_GNUPLOT names another\n"
    "          executable); without gnuplot the table is still printed\n"
    "  --csv   one row per tensor: kind,layer,tensor,normwise,max_rel,\n"
    "          max_elem_rel,growth\n"
    "  --json  the same as JSON\n"
    "\n"
    "exit status: 0 audited, 2 usage or input error (a file unreadable, a\n"
    "layer output missing from either file or of another shape)\n";

static const char help_bench_fast[] =
    "usage: attnref bench fast [--quick] [--peer] [--csv FILE] [--budget S]\n"
    "                          [--threads T] [--bound B]\n"
    "\n"
    "exact64 against approx, forward + backward of one attention layer (one\n"
    "head, d = d_h, no norm, no MLP, residual, linear loss; seed 1):\n"
    "n = 1k..8k for d_h in {4, 8, 16}, g in {2, 4, 6}, causal and not, and\n"
    "the target case d_h = 8, g = 4 at n = 16k, 32k, 64k. Prints times, the\n"
    "speedup, each run's peak RSS (every run is its own child process), the\n"
    "normwise error of approx's act and grad.x against exact64's, and\n"
    "exact64's GFLOP/s at n=4096 d=64 heads=4 next to cblas_dgemm's in the\n"
    "same run; then which targets were met.\n"
    "\n"
    "  --quick    n up to 4k, d_h in {4, 8}, g in {2, 4} (a smoke test)\n"
    "  --peer     also PyTorch autograd, float64 (tests/interop/torch_time.py\n"
    "             under /usr/bin/python3, or $ATTNREF_PYTHON)\n"
    "  --csv      one row per measurement: case,path,n,d,heads,d_h,g,rank,\n"
    "             causal,threads,seconds,speedup_vs_exact64,peak_rss_mb,\n"
    "             err_act,err_grad_x,gflops,status\n"
    "  --budget   seconds: a run predicted from the one at n/2 to take longer\n"
    "             is skipped, \"skipped (budget)\" (default 60); any run is\n"
    "             stopped after 3 budgets + 30 s\n"
    "  --threads  threads for every path and torch (default: OpenMP's)\n"
    "  --bound    case entries uniform in [-B, B] (default 1, as attnref gen)\n";

static const char help_bounds[] =
    "usage: attnref bounds [--quick] [--out DIR] [--radius R] [--mpfr-max N]\n"
    "                      [--target T] [--no-plots]\n"
    "\n"
    "The error harness (error_reports/BOUNDS.md): the approx path against\n"
    "exact truth. 1) n = 2^7..2^16 at a fixed score radius R, degree g the\n"
    "smallest even one with eps(g,R) <= n^-c (c = 1, 2): every result's error,\n"
    "log-log slopes, and the proven a-priori bound of every result checked\n"
    "element by element; 2) depth L = 1..8, per-layer errors, fresh vs carried;\n"
    "3) the entry bound B: degree, rank and time for a target error against\n"
    "exact64; 4) exact64, exact32 and bf16-input floors. Uniform and outlier\n"
    "inputs. Writes DIR/REPORT.md, DIR/csv/*.csv, DIR/plots/*.png (gnuplot).\n"
    "\n"
    "  --quick     a reduced sweep (under a minute; the CTest)\n"
    "  --out       output folder (default error_reports)\n"
    "  --radius    part 1's fixed score radius R (default 0.5)\n"
    "  --mpfr-max  MPFR truth up to this n, exact64 above (default 512)\n"
    "  --target    part 3's relative error target (default 1e-6)\n"
    "  --no-plots  skip gnuplot\n"
    "\n"
    "exit status: 0 every proven bound held, 1 a measured error exceeded its\n"
    "proven bound, 2 usage error, 3 internal\n";

static char help_run[4096];

static cli_cmd commands[] = {
    {"gen", "write a random case file", help_gen, cmd_gen},
    {"ref", "exact MPFR truth for a case", help_ref, cmd_ref},
    {"run", "run any registered path on a case", help_run, cmd_run},
    {"check", "grade a candidate against the truth", help_check, cmd_check},
    {"bench ref", "time the reference against its cost model", help_bench,
     cmd_bench},
    {"demo", "gen -> ref -> run -> check on a built-in case", help_demo,
     cmd_demo},
    {"audit", "per-layer error growth, forward and backward", help_audit,
     cmd_audit},
    {"bench fast", "time exact64 against approx (and PyTorch)",
     help_bench_fast, cmd_bench_fast},
    {"bounds", "error harness: approx vs truth, proven bounds, report",
     help_bounds, cmd_bounds},
};
#define NCMD (sizeof commands / sizeof commands[0])

static void build_run_help(void) {
  size_t used = (size_t)snprintf(help_run, sizeof help_run, "%s", help_run_head);
  for (const ar_path *const *p = ar_paths(); *p && used < sizeof help_run; p++)
    used += (size_t)snprintf(help_run + used, sizeof help_run - used,
                             "  %-12s %s\n", (*p)->name, (*p)->summary);
}

static void usage(FILE *f) {
  fprintf(f, "usage: attnref COMMAND [ARGS]   (attnref help COMMAND)\n\n"
             "commands:\n");
  for (size_t i = 0; i < NCMD; i++)
    fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
  fprintf(f, "\npaths:\n");
  for (const ar_path *const *p = ar_paths(); *p; p++)
    fprintf(f, "  %-10s %s\n", (*p)->name, (*p)->summary);
  fprintf(f, "\nexit status: 0 ok, 1 check failed, 2 usage or input error, "
             "3 internal error\n");
}

/* The command named by argv[0] (and argv[1] for "bench ref"); *used <- words. */
static cli_cmd *find_cmd(int argc, char **argv, int *used) {
  for (size_t i = 0; i < NCMD; i++) {
    const char *sp = strchr(commands[i].name, ' ');
    if (!sp) {
      if (strcmp(argv[0], commands[i].name) == 0) {
        *used = 1;
        return &commands[i];
      }
    } else if (strncmp(argv[0], commands[i].name,
                       (size_t)(sp - commands[i].name)) == 0 &&
               argv[0][sp - commands[i].name] == '\0' && argc > 1 &&
               strcmp(argv[1], sp + 1) == 0) {
      *used = 2;
      return &commands[i];
    }
  }
  return NULL;
}

int main(int argc, char **argv) {
  build_run_help();
  if (argc < 2) {
    usage(stderr);
    return AR_FAIL_INPUT;
  }
  if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
    usage(stdout);
    return AR_OK;
  }
  if (!strcmp(argv[1], "help")) {
    if (argc == 2) {
      usage(stdout);
      return AR_OK;
    }
    int used;
    cli_cmd *c = find_cmd(argc - 2, argv + 2, &used);
    if (!c && !strcmp(argv[2], "bench")) c = find_cmd(2, (char *[]){"bench", "ref"}, &used);
    if (!c) {
      fprintf(stderr, "attnref help: unknown command \"%s\"\n", argv[2]);
      return AR_FAIL_INPUT;
    }
    fputs(c->help, stdout);
    return AR_OK;
  }
  int used;
  cli_cmd *c = find_cmd(argc - 1, argv + 1, &used);
  if (!c) {
    if (!strcmp(argv[1], "bench"))
      fprintf(stderr, "attnref bench: expected \"bench ref\" or \"bench fast\" (see attnref help bench)\n");
    else
      fprintf(stderr, "attnref: unknown command \"%s\" (see attnref --help)\n",
              argv[1]);
    return AR_FAIL_INPUT;
  }
  return c->main(c, argc - 1 - used, argv + 1 + used);
}
