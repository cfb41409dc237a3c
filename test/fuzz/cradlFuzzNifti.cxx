// libFuzzer target: the raw NIfTI pass in front of ITK's reader (header
// layout, truncation, byte order, non-finite float voxels; plain and gzip).
#include "cradlFuzzFile.h"

#include "cradlNiftiScan.h"

extern "C" int
LLVMFuzzerTestOneInput(const uint8_t * data, std::size_t size)
{
  (void)cradl::scanNifti(cradl_fuzz::inputFile(data, size, ".nii"));
  return 0;
}
