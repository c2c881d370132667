/* The shared model in float (exact32). */
#define FA_REAL_BITS 32
#include "model_impl.h"
