#include "itkRepresentationPatchDensityImageFilter.h"

#include "cradlDevice.h"
#include "cradlErrorText.h"
#include "cradlImageTensorBridge.h"
#include "cradlNLLGradient.h"
#include "cradlPatchDensity.h"
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
  try
  {
    const auto & fitted = *mixture.GetImpl();
    if (fitted.patch.empty())
    {
      itkGenericExceptionMacro(<< "the mixture has no patch density: fit it from scans with GaussianMixtureFitter");
    }
    auto network = encoder.GetImpl()->encoder();
    network->to(cradl::parseDevice(device));
    const at::Tensor batch = cradl::imageToSliceBatch(slices);
    const at::Tensor map = cradl::patchDensityMap(network, fitted.patch, batch, batchSize);
    // The slice score, as the gradient map's: -log p of the representation.
    const cradl::RepresentationDensity density{ fitted.mixture, fitted.featureMean, fitted.featureStd };
    torch::NoGradGuard                 noGrad;
    std::vector<at::Tensor>            nll;
    for (int64_t start = 0; start < batch.size(0); start += batchSize)
    {
      const at::Tensor part = batch.slice(0, start, std::min(batch.size(0), start + int64_t{ batchSize }));
      nll.push_back(-density.logDensity(network->forward(part.to(cradl::parseDevice(device)))).to(at::kCPU));
    }
    const at::Tensor scores = at::cat(nll).to(at::kDouble).contiguous();
    sliceNLL.assign(scores.data_ptr<double>(), scores.data_ptr<double>() + scores.numel());
    return cradl::sliceBatchToImage(map, slices);
  }
  catch (const ExceptionObject &)
  {
    throw;
  }
  catch (const std::exception & error)
  {
    itkGenericExceptionMacro(<< "patch scoring failed: " << cradl::messageOf(error));
  }
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
