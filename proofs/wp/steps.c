/* The WP entry point for the step functions of fast/kern/kern_fp.h (IEEE float model). */
#include "fast/kern/kern_fp.h"
