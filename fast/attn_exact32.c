/* The exact head in float (exact32). */
#define FA_REAL_BITS 32
#include "attn_exact_impl.h"
