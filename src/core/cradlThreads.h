#ifndef cradlThreads_h
#define cradlThreads_h

#include "cradlCoreExport.h"

namespace cradl
{

/** Cores this process may run on (its CPU affinity), at least 1. LibTorch's
 *  own default is 1 thread on these machines, so callers pass this explicitly. */
CRADL_CORE_EXPORT int
availableCores();

/** Sets torch's intra-op threads and, when the BLAS is OpenBLAS, its threads,
 *  so that a matmul inside a torch op does not start a second pool on top. */
CRADL_CORE_EXPORT void
setComputeThreads(int threads);

/** Torch's current intra-op thread count. */
CRADL_CORE_EXPORT int
computeThreads();

} // namespace cradl

#endif
