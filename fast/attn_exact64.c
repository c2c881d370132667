/* The exact head in double (exact64 and the reference for approx tests). */
#define FA_REAL_BITS 64
#include "attn_exact_impl.h"
