# proofs/gappa/rnd_sign.g -- rounding keeps the sign: for all reals x, y with |x|, |y| <= 2^1000,
#     x <= 0 implies rnd(x) <= 0, and y >= 0 implies rnd(y) >= 0.
# The third part of fp_rnd (proofs/fp.acsl).
@rnd = float<ieee_64, ne>;
{ x in [-0x1p1000, 0] /\ y in [0, 0x1p1000] -> rnd(x) in [-0x1p1000, 0] /\ rnd(y) in [0, 0x1p1000] }
