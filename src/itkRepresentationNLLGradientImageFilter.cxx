#include "itkRepresentationNLLGradientImageFilter.h"

#include "cradlDevice.h"
#include "cradlErrorText.h"
#include "cradlImageTensorBridge.h"
#include "cradlNLLGradient.h"
#include "itkContrastiveEncoderModelImpl.h"
#include "itkGaussianMixtureModelImpl.h"

namespace itk
{

namespace
{
template <unsigned int VDimension>
typename Image<float, VDimension>::Pointer
scoreSlices(const ContrastiveEncoderModel & encoder,
            const GaussianMixtureModel &    mixture,
            const Image<float, VDimension> * slices,
            const std::string &             device,
            unsigned int                    batchSize,
            bool                            mixedPrecision,
            std::vector<double> &           sliceNLL)
{
  try
  {
    auto network = encoder.GetImpl()->encoder();
    network->to(cradl::parseDevice(device));
    const auto &                       fitted = *mixture.GetImpl();
    const cradl::RepresentationDensity density{ fitted.mixture, fitted.featureMean, fitted.featureStd };
    const auto result = cradl::nllGradient(network, density, cradl::imageToSliceBatch(slices), batchSize, mixedPrecision);
    const at::Tensor scores = result.nll.to(at::kCPU, at::kDouble).contiguous();
    sliceNLL.assign(scores.data_ptr<double>(), scores.data_ptr<double>() + scores.numel());
    return cradl::sliceBatchToImage(result.map, slices);
  }
  catch (const ExceptionObject &)
  {
    throw;
  }
  catch (const std::exception & error)
  {
    itkGenericExceptionMacro(<< "scoring failed: " << cradl::messageOf(error));
  }
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
