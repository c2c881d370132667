# proofs/gappa/rnd32_mulx.g -- the double product of two floats is exact (kern_fmulf in
# fast/kern/kern_fp.h): for binary32 numbers a = rnd32(x), b = rnd32(y) (|x|, |y| <= 2^128),
#     rnd64(a * b) = a * b
# (24 + 24 significant bits fit in 53; the product's exponent, at least 2^-298, stays far
# inside binary64's normal range).
@r32 = float<ieee_32, ne>;
@r64 = float<ieee_64, ne>;
a = r32(x);
b = r32(y);
{ |x| <= 0x1p128 /\ |y| <= 0x1p128 -> r64(a * b) - a * b in [0, 0] }
