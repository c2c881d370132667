# proofs/gappa/int_exact.g -- an integer 0 <= n <= 2^53 converts to binary64 exactly
# (kern_i2d in fast/kern/kern_fp.h): rnd(n) = n.
@rnd = float<ieee_64, ne>;
@toint = int<zr>;
n = toint(y);
{ n in [0, 0x1p53] -> rnd(n) - n in [0, 0] }
