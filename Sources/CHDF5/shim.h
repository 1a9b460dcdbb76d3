#ifndef MAGICPIG_CHDF5_SHIM_H
#define MAGICPIG_CHDF5_SHIM_H
#include <hdf5.h>

// HDF5's predefined type ids, file-access flags and property-list classes are comma-expression
// macros (they call H5open() first) that Swift cannot import; these shims expose them as calls.

static inline hid_t mp_H5T_NATIVE_FLOAT(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t mp_H5T_NATIVE_DOUBLE(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t mp_H5T_NATIVE_INT64(void) { return H5T_NATIVE_INT64; }
static inline hid_t mp_H5T_IEEE_F32LE(void) { return H5T_IEEE_F32LE; }
static inline hid_t mp_H5T_STD_I64LE(void) { return H5T_STD_I64LE; }
static inline hid_t mp_H5T_C_S1(void) { return H5T_C_S1; }
static inline size_t mp_H5T_VARIABLE(void) { return H5T_VARIABLE; }

static inline unsigned mp_H5F_ACC_RDONLY(void) { return H5F_ACC_RDONLY; }
static inline unsigned mp_H5F_ACC_TRUNC(void) { return H5F_ACC_TRUNC; }
static inline unsigned mp_H5F_ACC_EXCL(void) { return H5F_ACC_EXCL; }

static inline hid_t mp_H5P_DEFAULT(void) { return H5P_DEFAULT; }
static inline hid_t mp_H5P_FILE_ACCESS(void) { return H5P_FILE_ACCESS; }
static inline hid_t mp_H5P_LINK_CREATE(void) { return H5P_LINK_CREATE; }
static inline hid_t mp_H5E_DEFAULT(void) { return H5E_DEFAULT; }

/// IEEE half precision, little endian, built the way h5py builds its float16 type, so h5py
/// reads such datasets as numpy float16. The caller closes the returned id.
static inline hid_t mp_create_float16_type(void) {
    hid_t t = H5Tcopy(H5T_IEEE_F32LE);
    if (t < 0) return t;
    if (H5Tset_fields(t, 15, 10, 5, 0, 10) < 0 || H5Tset_size(t, 2) < 0 || H5Tset_ebias(t, 15) < 0) {
        H5Tclose(t);
        return -1;
    }
    return t;
}

/// A file-access property list with HDF5's file locking turned off, for a file no other process
/// may open (CaptureWriter's private temporary file). The caller closes the returned id.
static inline hid_t mp_create_unlocked_fapl(void) {
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl < 0) return fapl;
    if (H5Pset_file_locking(fapl, 0, 1) < 0) {
        H5Pclose(fapl);
        return -1;
    }
    return fapl;
}

/// Turns off HDF5's automatic printing of its error stack for the calling thread (the stack is
/// per thread in a thread-safe build); failures are reported through typed Swift errors instead.
static inline void mp_silence_errors(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

#endif
