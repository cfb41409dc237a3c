#include "itkGaussianMixtureModelImpl.h"

#include <stdexcept>

namespace itk
{
namespace detail
{
cradl::ValueDict
GaussianMixtureModelImpl::toDict() const
{
  cradl::ValueDict dict = cradl::makeValueDict();
  dict.insert("format", std::string(Format));
  dict.insert("format_version", FormatVersion);
  dict.insert("weights", mixture.weights.cpu());
  dict.insert("means", mixture.means.cpu());
  dict.insert("covariances", mixture.covariances.cpu());
  dict.insert("precisions_cholesky", mixture.precisionCholesky.cpu());
  dict.insert("feature_mean", featureMean.cpu());
  dict.insert("feature_std", featureStd.cpu());
  dict.insert("fit", fit);
  if (!patch.empty())
    dict.insert("patch_density", patch.toDict());
  return dict;
}

GaussianMixtureModelImpl
GaussianMixtureModelImpl::fromDict(const cradl::ValueDict & dict, const std::string & source)
{
  for (const char * key : { "weights", "means", "covariances", "precisions_cholesky", "feature_mean", "feature_std" })
  {
    if (!dict.contains(key) || !dict.at(key).isTensor() || !dict.at(key).toTensor().is_floating_point())
      throw std::runtime_error("'" + source + "' has no floating-point tensor \"" + key + "\"");
  }
  if (!dict.contains("fit") || !dict.at("fit").isGenericDict())
    throw std::runtime_error("'" + source + "' has no \"fit\" record");
  const auto dimensions = [&](const char * key) { return dict.at(key).toTensor().dim(); };
  if (dimensions("weights") != 1 || dimensions("means") != 2 || dimensions("covariances") != 3 ||
      dimensions("precisions_cholesky") != 3 || dimensions("feature_mean") != 1 || dimensions("feature_std") != 1)
    throw std::runtime_error("'" + source + "': the mixture's arrays have the wrong number of dimensions");
  GaussianMixtureModelImpl impl;
  impl.mixture.weights = dict.at("weights").toTensor().to(at::kDouble);
  impl.mixture.means = dict.at("means").toTensor().to(at::kDouble);
  impl.mixture.covariances = dict.at("covariances").toTensor().to(at::kDouble);
  impl.mixture.precisionCholesky = dict.at("precisions_cholesky").toTensor().to(at::kDouble);
  impl.featureMean = dict.at("feature_mean").toTensor().to(at::kDouble);
  impl.featureStd = dict.at("feature_std").toTensor().to(at::kDouble);
  impl.fit = dict.at("fit").toGenericDict();
  if (dict.contains("patch_density"))
  {
    if (!dict.at("patch_density").isGenericDict())
      throw std::runtime_error("'" + source + "': \"patch_density\" is not a record");
    impl.patch = cradl::PatchDensity::fromDict(dict.at("patch_density").toGenericDict(), source);
  }
  const int64_t K = impl.mixture.weights.size(0);
  const int64_t d = impl.featureMean.size(0);
  if (impl.mixture.means.sizes() != at::IntArrayRef({ K, d }) ||
      impl.mixture.covariances.sizes() != at::IntArrayRef({ K, d, d }) ||
      impl.mixture.precisionCholesky.sizes() != at::IntArrayRef({ K, d, d }) || impl.featureStd.size(0) != d)
  {
    throw std::runtime_error("'" + source + "': the mixture's arrays have inconsistent shapes");
  }
  if (K < 1 || d < 1)
    throw std::runtime_error("'" + source + "': the mixture is empty");
  for (const at::Tensor & values : { impl.mixture.weights, impl.mixture.means, impl.mixture.covariances,
                                     impl.mixture.precisionCholesky, impl.featureMean, impl.featureStd })
  {
    if (!at::isfinite(values).all().item<bool>())
      throw std::runtime_error("'" + source + "': the mixture holds NaN or infinite values");
  }
  if (!(impl.mixture.weights >= 0).all().item<bool>() || !(impl.featureStd > 0).all().item<bool>() ||
      !(at::diagonal(impl.mixture.precisionCholesky, 0, 1, 2) > 0).all().item<bool>())
    throw std::runtime_error("'" + source + "': negative weights, a non-positive standard deviation or a precision "
                             "Cholesky factor with a non-positive diagonal: not a fitted mixture");
  return impl;
}

GaussianMixtureModelImpl
GaussianMixtureModelImpl::load(const std::string & fileName)
{
  return fromDict(cradl::loadDict(fileName, Format, FormatVersion), fileName);
}
} // namespace detail
} // namespace itk
