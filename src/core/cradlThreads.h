#ifndef cradlThreads_h
#define cradlThreads_h

#include "cradlCoreExport.h"

namespace cradl
{

/** Cores this process may run on (its CPU affinity), at least 1. LibTorch's
 *  own default is 1 thread on these machines, so callers pass this explicitly. */
CRADL_CORE_EXPORT int
availableCores();

/** The most threads setComputeThreads() accepts: limits::MaximumThreadsPerCore
 *  x availableCores() (thousands of threads on a few cores took minutes for
 *  what 2 threads do in seconds). */
CRADL_CORE_EXPORT int
maximumComputeThreads();

/** Sets torch's intra-op threads and, when the BLAS is OpenBLAS, its threads,
 *  so that a matmul inside a torch op does not start a second pool on top;
 *  also keepFreedHostMemory(). Refuses (std::invalid_argument) fewer than 1
 *  or more than maximumComputeThreads(). */
CRADL_CORE_EXPORT void
setComputeThreads(int threads);

/** Makes glibc's malloc keep freed memory for reuse (no mmap per large
 *  block, no trimming) once per process, unless the environment already sets
 *  malloc's tunables (GLIBC_TUNABLES with glibc.malloc, MALLOC_*_) or
 *  CRADL_KEEP_FREED_MEMORY=0. A CPU training step allocates and frees
 *  activations of up to hundreds of MB; by default each is a fresh mmap whose
 *  pages the kernel faults in and zeroes again every step (a fifth of the
 *  step on a 2-core EPYC). Called by setComputeThreads. Returns whether the
 *  setting is in effect. */
CRADL_CORE_EXPORT bool
keepFreedHostMemory();

/** LibTorch's log lines on or off: glog's minimum level (Debian's LibTorch)
 *  and c10's caffe2_log_level (LibTorch without glog), found at run time,
 *  since which of the two a LibTorch has is not known when Cradl is built. */
CRADL_CORE_EXPORT void
setLibraryLogging(bool on);

/** Torch's current intra-op thread count. */
CRADL_CORE_EXPORT int
computeThreads();

} // namespace cradl

#endif
