# proofs/gappa/rnd_rel.g -- relative rounding error of binary64 round-to-nearest-even in the
# normal range: for every real x with 2^-1021 <= |x| <= 2^1000,
#     |rnd(x) - x| <= 2^-53 |x|.
# This is the first half of fp_rnd (proofs/fp.acsl), admitted by the step functions of
# fast/kern/kern_fp.h at x = a + b, a - b, a * b, a / b (IEEE 754 correctly rounds each one).
# (Gappa needs |x| >= 2^-1021, not 2^-1022, to apply its relative-error theorem.)
@rnd = float<ieee_64, ne>;
{ |x| in [0x1p-1021, 0x1p1000] -> rnd(x) -/ x in [-0x1p-53, 0x1p-53] }
