// libFuzzer target: the encoder model loader (torch pickle, format checks,
// every tensor's name and shape). Any input must give a model or an
// itk::ExceptionObject, never a crash, a leak or a hang.
#include "cradlFuzzFile.h"

#include "itkContrastiveEncoderModel.h"

extern "C" int
LLVMFuzzerTestOneInput(const uint8_t * data, std::size_t size)
{
  try
  {
    itk::ContrastiveEncoderModel::Load(cradl_fuzz::inputFile(data, size, ".pt"));
  }
  catch (const itk::ExceptionObject &)
  {
  }
  return 0;
}
