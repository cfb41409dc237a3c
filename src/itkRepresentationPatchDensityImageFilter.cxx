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
            std::vector<double> &            sliceNLL)
{
  const auto & fitted = *mixture.GetImpl();
  if (fitted.patch.empty())
  {
    itkGenericExceptionMacro(<< "the mixture has no patch density: fit it from scans with GaussianMixtureFitter");
  }
  return cradl::scoreSliceImage<VDimension>(
    slices, "patch scoring", sliceNLL, [&](const at::Tensor & batch, at::Tensor & nll) {
      const c10::Device target = cradl::parseDevice(device);
      auto              network = encoder.GetImpl()->encoder();
      network->to(target);
      // The slice score, as the gradient map's: -log p of the representation.
      const cradl::RepresentationDensity density{ fitted.mixture, fitted.featureMean, fitted.featureStd };
      torch::NoGradGuard                 noGrad;
      std::vector<at::Tensor>            parts;
      for (int64_t start = 0; start < batch.size(0); start += batchSize)
      {
        const at::Tensor part = batch.slice(0, start, std::min(batch.size(0), start + int64_t{ batchSize }));
        parts.push_back(-density.logDensity(network->forward(part.to(target))).to(at::kCPU));
      }
      nll = at::cat(parts);
      return cradl::patchDensityMap(network, fitted.patch, batch, batchSize);
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
  return scoreSlices<2>(encoder, mixture, slices, device, batchSize, sliceNLL);
}

Image<float, 3>::Pointer
CradlScorePreprocessedSlicesByPatchDensity(const ContrastiveEncoderModel & encoder,
                                           const GaussianMixtureModel &    mixture,
                                           const Image<float, 3> *         slices,
                                           const std::string &             device,
                                           unsigned int                    batchSize,
                                           std::vector<double> &           sliceNLL)
{
  return scoreSlices<3>(encoder, mixture, slices, device, batchSize, sliceNLL);
}

} // namespace itk
