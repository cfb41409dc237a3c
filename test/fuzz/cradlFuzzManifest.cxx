// libFuzzer target: the manifest parser behind itk::CradlManifest::Read
// (CSV quoting, header columns, field counts, path resolution).
#include "cradlManifestText.h"

#include <cstdint>
#include <sstream>
#include <stdexcept>

extern "C" int
LLVMFuzzerTestOneInput(const uint8_t * data, std::size_t size)
{
  std::istringstream text(std::string(reinterpret_cast<const char *>(data), size));
  try
  {
    cradl::parseManifest(text, "fuzz.csv", "/data/set");
  }
  catch (const std::runtime_error &)
  {
  }
  return 0;
}
