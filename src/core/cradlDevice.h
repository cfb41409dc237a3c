#ifndef cradlDevice_h
#define cradlDevice_h

#include "cradlCoreExport.h"

#include <c10/core/Device.h>

#include <string>

namespace cradl
{

/** Parses "cpu", "cuda" or "cuda:N" and checks that the device exists.
 *  Throws std::invalid_argument for a malformed name and std::runtime_error
 *  when CUDA is asked for but this LibTorch or this machine cannot provide it;
 *  both messages say what to do instead. */
CRADL_CORE_EXPORT c10::Device
parseDevice(const std::string & name);

/** The canonical spelling of a device ("cpu", "cuda:0"). */
CRADL_CORE_EXPORT std::string
deviceName(const c10::Device & device);

/** Number of CUDA devices this process can use (0 with a CPU-only LibTorch). */
CRADL_CORE_EXPORT int
cudaDeviceCount();

} // namespace cradl

#endif
