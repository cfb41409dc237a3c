// libFuzzer target: the .npy reader (magic, version, header dict, shape,
// dtype, data length).
#include "cradlFuzzFile.h"

#include "cradlNpy.h"

#include <stdexcept>

extern "C" int
LLVMFuzzerTestOneInput(const uint8_t * data, std::size_t size)
{
  try
  {
    const auto array = cradl::readNpy(cradl_fuzz::inputFile(data, size, ".npy"));
    (void)array.asDoubles();
  }
  catch (const std::runtime_error &)
  {
  }
  catch (const std::invalid_argument &)
  {
  }
  return 0;
}
