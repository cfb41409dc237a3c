// libFuzzer target: the encoder model loader behind
// itk::ContrastiveEncoderModel::Load (zip structure, torch pickle, format,
// every field a getter reads, every tensor's name and shape). Any input must
// load or raise an exception (which Load turns into an itk::ExceptionObject):
// never a crash, a sanitizer report, a leak or a hang.
#include "cradlFuzzFile.h"

#include "itkContrastiveEncoderModelImpl.h"

extern "C" int
LLVMFuzzerTestOneInput(const uint8_t * data, std::size_t size)
{
  try
  {
    itk::detail::ContrastiveEncoderModelImpl::load(cradl_fuzz::inputFile(data, size, ".pt"));
  }
  catch (const std::exception &)
  {
  }
  return 0;
}
