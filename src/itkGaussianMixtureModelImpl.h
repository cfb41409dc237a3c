#ifndef itkGaussianMixtureModelImpl_h
#define itkGaussianMixtureModelImpl_h

// Private: the torch state behind itk::GaussianMixtureModel.

#include "cradlGaussianMixture.h"
#include "cradlModelFile.h"
#include "cradlPatchDensity.h"

namespace itk
{
namespace detail
{

struct GaussianMixtureModelImpl
{
  cradl::MixtureParameters mixture;     // float64, CPU
  at::Tensor               featureMean; // [d]
  at::Tensor               featureStd;  // [d]
  cradl::ValueDict         fit = cradl::makeValueDict(); // how it was fitted
  cradl::PatchDensity      patch;                        // the densities of feature patches; may be empty

  static constexpr const char * Format = "cradl.gaussian-mixture";
  static constexpr int64_t      FormatVersion = 1;

  /** log p of raw representations [N, d], differentiable, in z's dtype/device. */
  at::Tensor
  logLikelihood(const at::Tensor & representations) const
  {
    const at::Tensor standardised = (representations - featureMean.to(representations.device(), representations.scalar_type())) /
                                    featureStd.to(representations.device(), representations.scalar_type());
    return cradl::mixtureLogDensity(mixture, standardised);
  }

  cradl::ValueDict
  toDict() const;
  /** Checks names, types, shapes and values (finite, weights >= 0, std > 0,
   *  Cholesky diagonal > 0); throws std::runtime_error naming `source`. */
  static GaussianMixtureModelImpl
  fromDict(const cradl::ValueDict & dict, const std::string & source);
  static GaussianMixtureModelImpl
  load(const std::string & fileName);
};

} // namespace detail
} // namespace itk

#endif
