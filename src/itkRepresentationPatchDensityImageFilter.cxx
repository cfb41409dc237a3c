#include "itkRepresentationPatchDensityImageFilter.h"

#include "cradlDevice.h"
#include "cradlNLLGradient.h"
#include "cradlPatchDensity.h"
#include "cradlSliceScoring.h"
#include "itkContrastiveEncoderModelImpl.h"
#include "itkGaussianMixtureModelImpl.h"

#include <torch/types.h>

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
            std::vector<double> &            sliceNLL,
            const std::vector<CradlSliceFrame> & frames)
{
  const auto & fitted = *mixture.GetImpl();
  if (fitted.patch.empty())
  {
    itkGenericExceptionMacro(<< "the mixture has no patch density: fit it from scans with GaussianMixtureFitter");
  }
  return cradl::scoreSliceImage<VDimension>(
    slices, "patch scoring", sliceNLL, [&](const at::Tensor & batch, at::Tensor & nll) {
      auto network = encoder.GetImpl()->encoder();
      network->to(cradl::parseDevice(device));
      // One encoder pass gives the feature maps and the representation, whose
      // -log p is the slice score, as the gradient map's.
      at::Tensor                         representations;
      const at::Tensor                   map = cradl::patchDensityMap(network, fitted.patch, batch, batchSize,
                                                    &representations, cradl::sliceFramesToTensor(frames));
      const cradl::RepresentationDensity density{ fitted.mixture, fitted.featureMean, fitted.featureStd };
      torch::NoGradGuard                 noGrad;
      nll = -density.logDensity(representations).to(at::kCPU);
      return map;
    });
}
} // namespace

Image<float, 2>::Pointer
CradlScorePreprocessedSlicesByPatchDensity(const ContrastiveEncoderModel & encoder,
                                           const GaussianMixtureModel &    mixture,
                                           const Image<float, 2> *         slices,
                                           const std::string &             device,
                                           unsigned int                    batchSize,
                                           std::vector<double> &           sliceNLL)
{
  return scoreSlices<2>(encoder, mixture, slices, device, batchSize, sliceNLL, {});
}

Image<float, 3>::Pointer
CradlScorePreprocessedSlicesByPatchDensity(const ContrastiveEncoderModel & encoder,
                                           const GaussianMixtureModel &    mixture,
                                           const Image<float, 3> *         slices,
                                           const std::string &             device,
                                           unsigned int                    batchSize,
                                           std::vector<double> &           sliceNLL,
                                           const std::vector<CradlSliceFrame> & frames)
{
  return scoreSlices<3>(encoder, mixture, slices, device, batchSize, sliceNLL, frames);
}

} // namespace itk
