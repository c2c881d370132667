/* The WP entry point for the logic library's lemmas (proofs/*.acsl), proved once here;
 * the kernel runs skip them (-wp-prop=-@lemma). */
#include "proofs/attnref.acsl"
