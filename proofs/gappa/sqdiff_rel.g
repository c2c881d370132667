# proofs/gappa/sqdiff_rel.g -- the squared difference step kern_fsqdiff(x, c) = rnd(rnd(x - c)^2)
# (fast/kern/kern_fp.h), relative case: for every real t = x - c with 2^-510 <= |t| <= 2^499,
#     |rnd(rnd(t) * rnd(t)) - t^2| <= 2^-51 t^2.
@rnd = float<ieee_64, ne>;
d = rnd(t);
r = rnd(d * d);
{ |t| in [0x1p-510, 0x1p499] -> r -/ (t * t) in [-0x1p-51, 0x1p-51] }
