# proofs/gappa/sqdiff_abs.g -- kern_fsqdiff near zero: for every real t = x - c with
# |t| <= 2^-510,   |rnd(rnd(t) * rnd(t)) - t^2| <= 2^-1060, and the result is >= 0.
@rnd = float<ieee_64, ne>;
d = rnd(t);
r = rnd(d * d);
{ |t| <= 0x1p-510 -> |r - t * t| <= 0x1p-1060 /\ r in [0, 0x1p-1000] }
