#ifndef MAGICPIG_COPENBLAS_SHIM_H
#define MAGICPIG_COPENBLAS_SHIM_H
#include <cblas.h>
#endif
