# proofs/gappa/rnd32_sub.g -- binary32 absolute rounding error near zero (subnormal range and
# just above): for every real x with |x| <= 2^-125,   |rnd32(x) - x| <= 2^-150.
# The second half of fp32_rnd (proofs/fp32.acsl).
@rnd = float<ieee_32, ne>;
{ |x| <= 0x1p-125 -> |rnd(x) - x| <= 0x1p-150 }
