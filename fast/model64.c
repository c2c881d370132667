/* The shared model in double (exact64, approx). */
#define FA_REAL_BITS 64
#include "model_impl.h"
