# proofs/gappa/rnd_sub.g -- absolute rounding error near zero (subnormal range and just above):
# for every real x with |x| <= 2^-1021,
#     |rnd(x) - x| <= 2^-1075.
# The second half of fp_rnd (proofs/fp.acsl).
@rnd = float<ieee_64, ne>;
{ |x| <= 0x1p-1021 -> |rnd(x) - x| <= 0x1p-1075 }
