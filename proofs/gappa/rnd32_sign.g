# proofs/gappa/rnd32_sign.g -- binary32 rounding keeps the sign: for all reals x, y with
# |x|, |y| <= 2^126, x <= 0 implies rnd32(x) <= 0, and y >= 0 implies rnd32(y) >= 0.
# The third part of fp32_rnd (proofs/fp32.acsl).
@rnd = float<ieee_32, ne>;
{ x in [-0x1p126, 0] /\ y in [0, 0x1p126] -> rnd(x) in [-0x1p126, 0] /\ rnd(y) in [0, 0x1p126] }
