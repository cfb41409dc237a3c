// The patch density's comparison and its dictionary in model files.
#include "cradlPatchDensity.h"

#include <stdexcept>
#include <string>

namespace cradl
{

namespace
{
bool
sameValues(const at::Tensor & a, const at::Tensor & b)
{
  if (!a.defined() || !b.defined())
    return a.defined() == b.defined();
  return a.sizes() == b.sizes() && a.scalar_type() == b.scalar_type() && at::equal(a, b);
}

bool
sameMixture(const MixtureParameters & a, const MixtureParameters & b)
{
  return sameValues(a.weights, b.weights) && sameValues(a.means, b.means) && sameValues(a.covariances, b.covariances) &&
         sameValues(a.precisionCholesky, b.precisionCholesky);
}
} // namespace

bool
PatchDensity::operator==(const PatchDensity & other) const
{
  if (layers.size() != other.layers.size() || regularization != other.regularization || !(cells == other.cells))
    return false;
  for (std::size_t i = 0; i < layers.size(); ++i)
  {
    const PatchLayerDensity & a = layers[i];
    const PatchLayerDensity & b = other.layers[i];
    if (a.relu != b.relu || a.healthyMean != b.healthyMean || a.healthyStd != b.healthyStd ||
        a.cellHealthyMean != b.cellHealthyMean || a.cellHealthyStd != b.cellHealthyStd ||
        !sameMixture(a.gaussian, b.gaussian) || !sameMixture(a.cellGaussians, b.cellGaussians))
      return false;
  }
  return true;
}

ValueDict
PatchDensity::toDict() const
{
  ValueDict dict = makeValueDict();
  dict.insert("regularization", regularization);
  dict.insert("layers", static_cast<int64_t>(layers.size()));
  dict.insert("cell_grid", cells.grid);
  dict.insert("cell_depth_bins", cells.depthBins);
  dict.insert("cell_prior_weight", cells.priorWeight);
  for (std::size_t l = 0; l < layers.size(); ++l)
  {
    ValueDict layer = makeValueDict();
    layer.insert("relu", layers[l].relu);
    layer.insert("mean", layers[l].gaussian.means[0].cpu());
    layer.insert("covariance", layers[l].gaussian.covariances[0].cpu());
    layer.insert("healthy_mean", layers[l].healthyMean);
    layer.insert("healthy_std", layers[l].healthyStd);
    if (conditioned())
    {
      // float32 on disk (and after the fit): the cells hold most of the file
      // (C d^2 values), and 2^-24 is far below the covariances' sampling error.
      layer.insert("cell_means", layers[l].cellGaussians.means.to(at::kCPU, at::kFloat));
      layer.insert("cell_covariances", layers[l].cellGaussians.covariances.to(at::kCPU, at::kFloat));
      layer.insert("cell_healthy_mean", layers[l].cellHealthyMean);
      layer.insert("cell_healthy_std", layers[l].cellHealthyStd);
    }
    dict.insert("layer_" + std::to_string(l), layer);
  }
  return dict;
}

namespace
{
template <typename TRefuse>
MixtureParameters
cellsFromDict(const ValueDict & layer, int64_t cells, int64_t channels, PatchLayerDensity & entry,
              const TRefuse & refuse, int64_t l)
{
  const std::string which = "layer " + std::to_string(l);
  for (const char * name : { "cell_means", "cell_covariances" })
    if (!layer.contains(name) || !layer.at(name).isTensor() || !layer.at(name).toTensor().is_floating_point())
      refuse(which + " has no floating-point \"" + name + "\"");
  for (const char * name : { "cell_healthy_mean", "cell_healthy_std" })
    if (!layer.contains(name) || !layer.at(name).isDouble())
      refuse(which + " has no number \"" + name + "\"");
  const at::Tensor means = layer.at("cell_means").toTensor().to(at::kDouble);
  const at::Tensor covariances = layer.at("cell_covariances").toTensor().to(at::kDouble);
  if (means.sizes() != at::IntArrayRef({ cells, channels }) ||
      covariances.sizes() != at::IntArrayRef({ cells, channels, channels }))
    refuse(which + " has cell Gaussians of the wrong shape");
  if (!at::isfinite(means).all().item<bool>() || !at::isfinite(covariances).all().item<bool>())
    refuse(which + " holds non-finite cell values");
  entry.cellHealthyMean = layer.at("cell_healthy_mean").toDouble();
  entry.cellHealthyStd = layer.at("cell_healthy_std").toDouble();
  if (!std::isfinite(entry.cellHealthyMean) || !(entry.cellHealthyStd > 0.0) || !std::isfinite(entry.cellHealthyStd))
    refuse(which + " has unusable cell statistics");
  try
  {
    return MixtureParameters::fromCovariances(at::full({ cells }, 1.0 / cells, at::kDouble), means, covariances);
  }
  catch (const std::exception &)
  {
    refuse(which + " has a cell covariance that is not positive definite");
  }
  return {};
}
} // namespace

PatchDensity
PatchDensity::fromDict(const ValueDict & dict, const std::string & source)
{
  const auto refuse = [&](const std::string & what) {
    throw std::runtime_error("'" + source + "': the patch density " + what);
  };
  if (!dict.contains("layers") || !dict.at("layers").isInt() || !dict.contains("regularization") ||
      !dict.at("regularization").isDouble())
    refuse("has no layer count or regularization");
  const int64_t count = dict.at("layers").toInt();
  if (count < 1 || count > 16)
    refuse("has " + std::to_string(count) + " layers (1 to 16 expected)");
  PatchDensity density;
  density.regularization = dict.at("regularization").toDouble();
  // Files from before position cells have none: location-agnostic.
  if (dict.contains("cell_grid"))
  {
    if (!dict.at("cell_grid").isInt() || !dict.contains("cell_depth_bins") || !dict.at("cell_depth_bins").isInt() ||
        !dict.contains("cell_prior_weight") || !dict.at("cell_prior_weight").isDouble())
      refuse("has an incomplete position-cell record");
    density.cells.grid = dict.at("cell_grid").toInt();
    density.cells.depthBins = dict.at("cell_depth_bins").toInt();
    density.cells.priorWeight = dict.at("cell_prior_weight").toDouble();
    if (density.cells.grid < 0 || density.cells.grid > 64 || density.cells.depthBins < 1 ||
        density.cells.depthBins > 64 || !(density.cells.priorWeight > 0.0) || !std::isfinite(density.cells.priorWeight))
      refuse("has position cells out of range (grid 0 to 64, depth bins 1 to 64, prior weight > 0)");
  }
  for (int64_t l = 0; l < count; ++l)
  {
    const std::string key = "layer_" + std::to_string(l);
    if (!dict.contains(key) || !dict.at(key).isGenericDict())
      refuse("has no \"" + key + "\"");
    const ValueDict layer = dict.at(key).toGenericDict();
    for (const char * name : { "mean", "covariance" })
      if (!layer.contains(name) || !layer.at(name).isTensor() || !layer.at(name).toTensor().is_floating_point())
        refuse("layer " + std::to_string(l) + " has no floating-point \"" + name + "\"");
    for (const char * name : { "healthy_mean", "healthy_std" })
      if (!layer.contains(name) || !layer.at(name).isDouble())
        refuse("layer " + std::to_string(l) + " has no number \"" + name + "\"");
    if (!layer.contains("relu") || !layer.at("relu").isInt() || layer.at("relu").toInt() < 0)
      refuse("layer " + std::to_string(l) + " has no layer index");
    const at::Tensor mean = layer.at("mean").toTensor().to(at::kDouble);
    const at::Tensor covariance = layer.at("covariance").toTensor().to(at::kDouble);
    if (mean.dim() != 1 || covariance.sizes() != at::IntArrayRef({ mean.size(0), mean.size(0) }) || mean.size(0) < 1)
      refuse("layer " + std::to_string(l) + " has inconsistent shapes");
    if (!at::isfinite(mean).all().item<bool>() || !at::isfinite(covariance).all().item<bool>())
      refuse("layer " + std::to_string(l) + " holds non-finite values");
    PatchLayerDensity entry;
    entry.relu = layer.at("relu").toInt();
    entry.healthyMean = layer.at("healthy_mean").toDouble();
    entry.healthyStd = layer.at("healthy_std").toDouble();
    if (!std::isfinite(entry.healthyMean) || !(entry.healthyStd > 0.0) || !std::isfinite(entry.healthyStd))
      refuse("layer " + std::to_string(l) + " has unusable healthy statistics");
    try
    {
      entry.gaussian = MixtureParameters::fromCovariances(at::ones({ 1 }, at::kDouble), mean.unsqueeze(0),
                                                          covariance.unsqueeze(0));
    }
    catch (const std::exception &)
    {
      refuse("layer " + std::to_string(l) + " has a covariance that is not positive definite");
    }
    if (density.conditioned())
      entry.cellGaussians = cellsFromDict(layer, density.cells.count(), mean.size(0), entry, refuse, l);
    density.layers.push_back(entry);
  }
  return density;
}

} // namespace cradl
