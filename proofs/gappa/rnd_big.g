# proofs/gappa/rnd_big.g -- no overflow below fp_big: |x| <= 2^1000 implies |rnd(x)| <= 2^1000,
# so rnd(x) is finite. WP proves the same fact for each step's operation itself (its
# -wp-rte is_nan_or_infinite goals go to Gappa); this script states it once, standalone.
@rnd = float<ieee_64, ne>;
{ |x| <= 0x1p1000 -> |rnd(x)| <= 0x1p1000 }
