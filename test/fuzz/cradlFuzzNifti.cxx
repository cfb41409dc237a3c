// libFuzzer target: reading a scan from a NIfTI file, with the raw checks in
// front of ITK's reader (truncation, non-finite voxels).
#include "cradlFuzzFile.h"

#include "itkCradlManifest.h"

extern "C" int
LLVMFuzzerTestOneInput(const uint8_t * data, std::size_t size)
{
  try
  {
    itk::CradlManifest::ReadScanImage(cradl_fuzz::inputFile(data, size, ".nii"));
  }
  catch (const itk::ExceptionObject &)
  {
  }
  return 0;
}
