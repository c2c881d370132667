# proofs/gappa/rnd32_big.g -- no binary32 overflow below fp32_big: |x| <= 2^126 implies
# |rnd32(x)| <= 2^126 (below FLT_MAX), so rnd32(x) is finite. WP proves the same fact for each
# binary32 step's operation (its -wp-rte goal goes to Gappa); this states it once, standalone.
@rnd = float<ieee_32, ne>;
{ |x| <= 0x1p126 -> |rnd(x)| <= 0x1p126 }
