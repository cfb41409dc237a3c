// libFuzzer target: the Gaussian mixture loader (torch pickle, format checks,
// shapes and values of weights, means, covariances, standardisation).
#include "cradlFuzzFile.h"

#include "itkGaussianMixtureModel.h"

extern "C" int
LLVMFuzzerTestOneInput(const uint8_t * data, std::size_t size)
{
  try
  {
    itk::GaussianMixtureModel::Load(cradl_fuzz::inputFile(data, size, ".pt"));
  }
  catch (const itk::ExceptionObject &)
  {
  }
  return 0;
}
