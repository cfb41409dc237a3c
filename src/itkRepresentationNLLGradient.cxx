#include "itkRepresentationNLLGradientImageFilter.h"
#include "cradlErrorText.h"

#include "cradlDevice.h"
#include "cradlNLLGradient.h"
#include "itkContrastiveEncoderModelImpl.h"
#include "itkGaussianMixtureModelImpl.h"

#include <cstring>

namespace itk
{
namespace detail
{

void
ComputeRepresentationNLLGradient(const ContrastiveEncoderModel & encoder,
                                 const GaussianMixtureModel &    mixture,
                                 const float *                   slices,
                                 unsigned int                    count,
                                 unsigned int                    size,
                                 const std::string &             device,
                                 unsigned int                    batchSize,
                                 bool                            mixedPrecision,
                                 float *                         gradient,
                                 double *                        nll)
{
  try
  {
    auto network = encoder.GetImpl()->encoder();
    network->to(cradl::parseDevice(device));
    const auto &                 fitted = *mixture.GetImpl();
    const cradl::RepresentationDensity density{ fitted.mixture, fitted.featureMean, fitted.featureStd };
    const at::Tensor batch =
      at::from_blob(const_cast<float *>(slices), { count, 1, size, size }, at::kFloat);
    const auto result = cradl::nllGradient(network, density, batch, batchSize, mixedPrecision);
    std::memcpy(gradient, result.map.contiguous().data_ptr<float>(), sizeof(float) * result.map.numel());
    const at::Tensor scores = result.nll.to(at::kDouble).contiguous();
    std::memcpy(nll, scores.data_ptr<double>(), sizeof(double) * scores.numel());
  }
  catch (const std::exception & error)
  {
    itkGenericExceptionMacro(<< "scoring failed: " << cradl::messageOf(error));
  }
}

} // namespace detail
} // namespace itk
