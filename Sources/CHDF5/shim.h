#ifndef MAGICPIG_CHDF5_SHIM_H
#define MAGICPIG_CHDF5_SHIM_H
#include <hdf5.h>
#endif
