// libFuzzer target: the manifest parser (CSV quoting, header columns, paths).
#include "cradlFuzzFile.h"

#include "itkCradlManifest.h"

extern "C" int
LLVMFuzzerTestOneInput(const uint8_t * data, std::size_t size)
{
  try
  {
    auto manifest = itk::CradlManifest::New();
    manifest->Read(cradl_fuzz::inputFile(data, size, ".csv"));
  }
  catch (const itk::ExceptionObject &)
  {
  }
  return 0;
}
