#include "itkRepresentationNLLGradientImageFilter.h"

#include "cradlDevice.h"
#include "cradlNLLGradient.h"
#include "cradlSliceScoring.h"
#include "itkContrastiveEncoderModelImpl.h"
#include "itkGaussianMixtureModelImpl.h"

namespace itk
{

namespace
{
template <unsigned int VDimension>
typename Image<float, VDimension>::Pointer
scoreSlices(const ContrastiveEncoderModel &  encoder,
            const GaussianMixtureModel &     mixture,
            const Image<float, VDimension> * slices,
            const std::string &              device,
            unsigned int                     batchSize,
            bool                             mixedPrecision,
            std::vector<double> &            sliceNLL)
{
  return cradl::scoreSliceImage<VDimension>(slices, "scoring", sliceNLL, [&](const at::Tensor & batch, at::Tensor & nll) {
    auto network = encoder.GetImpl()->encoder();
    network->to(cradl::parseDevice(device));
    const auto &                       fitted = *mixture.GetImpl();
    const cradl::RepresentationDensity density{ fitted.mixture, fitted.featureMean, fitted.featureStd };
    auto result = cradl::nllGradient(network, density, batch, batchSize, mixedPrecision);
    nll = result.nll;
    return result.map;
  });
}
} // namespace

Image<float, 2>::Pointer
CradlScorePreprocessedSlices(const ContrastiveEncoderModel & encoder,
                             const GaussianMixtureModel &    mixture,
                             const Image<float, 2> *         slices,
                             const std::string &             device,
                             unsigned int                    batchSize,
                             bool                            mixedPrecision,
                             std::vector<double> &           sliceNLL)
{
  return scoreSlices<2>(encoder, mixture, slices, device, batchSize, mixedPrecision, sliceNLL);
}

Image<float, 3>::Pointer
CradlScorePreprocessedSlices(const ContrastiveEncoderModel & encoder,
                             const GaussianMixtureModel &    mixture,
                             const Image<float, 3> *         slices,
                             const std::string &             device,
                             unsigned int                    batchSize,
                             bool                            mixedPrecision,
                             std::vector<double> &           sliceNLL)
{
  return scoreSlices<3>(encoder, mixture, slices, device, batchSize, mixedPrecision, sliceNLL);
}

} // namespace itk
