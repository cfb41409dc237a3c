// libFuzzer target: the Gaussian mixture loader behind
// itk::GaussianMixtureModel::Load (zip structure, torch pickle, format,
// names, types, shapes and values of every array).
#include "cradlFuzzFile.h"

#include "itkGaussianMixtureModelImpl.h"

extern "C" int
LLVMFuzzerTestOneInput(const uint8_t * data, std::size_t size)
{
  try
  {
    itk::detail::GaussianMixtureModelImpl::load(cradl_fuzz::inputFile(data, size, ".pt"));
  }
  catch (const std::exception &)
  {
  }
  return 0;
}
