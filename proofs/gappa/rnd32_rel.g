# proofs/gappa/rnd32_rel.g -- relative rounding error of binary32 round-to-nearest-even in the
# normal range: for every real x with 2^-125 <= |x| <= 2^126,
#     |rnd32(x) - x| <= 2^-24 |x|.
# The first half of fp32_rnd (proofs/fp32.acsl), admitted by the binary32 steps of
# fast/kern/kern_fp.h (kern_fadd32, kern_fmul32) at x = a + b, a * b.
@rnd = float<ieee_32, ne>;
{ |x| in [0x1p-125, 0x1p126] -> rnd(x) -/ x in [-0x1p-24, 0x1p-24] }
