# proofs/gappa/rnd32_f2d.g -- a float widens to double exactly (kern_f2d in fast/kern/kern_fp.h):
# for every binary32 number a = rnd32(x) (|x| <= 2^128 covers every finite float),
#     rnd64(a) = a.
@r32 = float<ieee_32, ne>;
@r64 = float<ieee_64, ne>;
a = r32(x);
{ |x| <= 0x1p128 -> r64(a) - a in [0, 0] }
