#include "cradlPatchDensity.h"

#include <torch/nn/modules/activation.h>
#include <torch/types.h>

#include <cmath>
#include <stdexcept>

namespace cradl
{

int64_t
featureLayerCount(const EncoderOptions & options)
{
  return options.downsamplingLayers();
}

std::vector<at::Tensor>
encoderFeatureMaps(ContrastiveEncoder & encoder, const at::Tensor & slices, const std::vector<int64_t> & relus,
                   at::Tensor * representation)
{
  const int64_t count = featureLayerCount(encoder->options());
  int64_t       deepest = -1;
  for (const int64_t relu : relus)
  {
    if (relu < 0 || relu >= count)
      throw std::invalid_argument("encoderFeatureMaps: the encoder has ReLUs 0 to " + std::to_string(count - 1) +
                                  ", not " + std::to_string(relu));
    deepest = std::max(deepest, relu);
  }
  encoder->eval();
  torch::NoGradGuard      noGrad;
  std::vector<at::Tensor> byRelu(count);
  at::Tensor              x = slices;
  int64_t                 relu = 0;
  for (auto & module : *encoder->layers)
  {
    if (relu > deepest && representation == nullptr)
      break;
    x = module.forward(x);
    if (module.ptr()->as<torch::nn::ReLUImpl>() != nullptr)
      byRelu[relu++] = x;
  }
  if (representation != nullptr)
    *representation = x.flatten(1);
  std::vector<at::Tensor> features;
  for (const int64_t wanted : relus)
    features.push_back(byRelu[wanted]);
  return features;
}

namespace
{
c10::Device
deviceOf(ContrastiveEncoder & encoder)
{
  return encoder->parameters().front().device();
}

// Brain positions at a feature map's resolution: area-averaged mask >= 1/2.
at::Tensor
brainAt(const at::Tensor & masks, int64_t height, int64_t width)
{
  return at::adaptive_avg_pool2d((masks != 0).to(at::kFloat), { height, width }) >= 0.5;
}

// Rows [M, C] of the feature vectors at brain positions, float64.
at::Tensor
brainRows(const at::Tensor & features, const at::Tensor & brain)
{
  const at::Tensor rows = features.permute({ 0, 2, 3, 1 }).reshape({ -1, features.size(1) });
  return rows.index({ brain.reshape({ -1 }) }).to(at::kDouble);
}

at::Tensor
distanceAt(const PatchLayerDensity & layer, const at::Tensor & features, int64_t size)
{
  const MixtureParameters & g = layer.gaussian;
  if (features.size(1) != g.dimension())
    throw std::invalid_argument("the patch density of layer " + std::to_string(layer.relu) + " was fitted to " +
                                std::to_string(g.dimension()) + " channels but the encoder gives " +
                                std::to_string(features.size(1)) + ": use the mixture fitted with this encoder");
  const at::Tensor rows = features.permute({ 0, 2, 3, 1 }).to(at::kDouble);
  const at::Tensor whitened =
    at::matmul(rows - g.means[0].to(rows.device()), g.precisionCholesky[0].to(rows.device()));
  const at::Tensor distance = whitened.pow(2).sum(-1).sqrt().unsqueeze(1); // [N, 1, h, w]
  return at::upsample_bilinear2d(distance.to(at::kFloat), { size, size }, /*align_corners=*/false);
}
} // namespace

std::vector<at::Tensor>
patchDistanceMaps(ContrastiveEncoder & encoder, const PatchDensity & density, const at::Tensor & slices,
                  int64_t batchSize, at::Tensor * representations)
{
  if (slices.dim() != 4 || slices.size(1) != 1)
    throw std::invalid_argument("patchDistanceMaps: slices must be [N, 1, S, S]");
  if (density.empty())
    throw std::invalid_argument("patchDistanceMaps: the patch density is empty (fit it first)");
  std::vector<int64_t> relus;
  for (const auto & layer : density.layers)
    relus.push_back(layer.relu);
  const c10::Device                    device = deviceOf(encoder);
  std::vector<std::vector<at::Tensor>> parts(relus.size());
  std::vector<at::Tensor>              outputs;
  torch::NoGradGuard                   noGrad;
  for (int64_t start = 0; start < slices.size(0); start += batchSize)
  {
    const at::Tensor batch = slices.slice(0, start, std::min(slices.size(0), start + batchSize)).to(device, at::kFloat);
    at::Tensor       output;
    const auto       features = encoderFeatureMaps(encoder, batch, relus, representations ? &output : nullptr);
    if (representations != nullptr)
      outputs.push_back(output.to(at::kCPU));
    for (std::size_t l = 0; l < relus.size(); ++l)
      parts[l].push_back(distanceAt(density.layers[l], features[l], slices.size(3)).to(at::kCPU));
  }
  std::vector<at::Tensor> maps;
  for (auto & part : parts)
    maps.push_back(at::cat(part, 0));
  if (representations != nullptr)
    *representations = at::cat(outputs, 0);
  return maps;
}

at::Tensor
patchDensityMap(ContrastiveEncoder & encoder, const PatchDensity & density, const at::Tensor & slices,
                int64_t batchSize, at::Tensor * representations)
{
  const auto distances = patchDistanceMaps(encoder, density, slices, batchSize, representations);
  at::Tensor map = at::zeros_like(distances.front());
  for (std::size_t l = 0; l < distances.size(); ++l)
  {
    const auto & layer = density.layers[l];
    map += (distances[l] - layer.healthyMean) / layer.healthyStd;
  }
  return map / static_cast<double>(distances.size());
}

PatchDensity
fitPatchDensity(ContrastiveEncoder & encoder, const at::Tensor & slices, const at::Tensor & masks,
                const PatchDensityOptions & options)
{
  if (slices.dim() != 4 || slices.size(1) != 1 || masks.sizes() != slices.sizes())
    throw std::invalid_argument("fitPatchDensity: slices and masks must both be [N, 1, S, S]");
  if (options.relus.empty() || options.batchSize < 1 || !(options.regularization >= 0.0))
    throw std::invalid_argument("fitPatchDensity: give at least one layer, a positive batch size and regularization >= 0");
  const c10::Device device = deviceOf(encoder);
  const auto        batches = [&](const auto & visit) {
    for (int64_t start = 0; start < slices.size(0); start += options.batchSize)
    {
      const int64_t end = std::min(slices.size(0), start + options.batchSize);
      visit(slices.slice(0, start, end).to(device, at::kFloat), masks.slice(0, start, end).to(device));
    }
  };
  // Pass 1: sums of the brain positions' feature vectors and their outer products.
  const std::size_t       L = options.relus.size();
  std::vector<at::Tensor> sums(L), products(L);
  std::vector<int64_t>    counts(L, 0);
  batches([&](const at::Tensor & batch, const at::Tensor & mask) {
    const auto features = encoderFeatureMaps(encoder, batch, options.relus);
    for (std::size_t l = 0; l < L; ++l)
    {
      const at::Tensor rows = brainRows(features[l], brainAt(mask, features[l].size(2), features[l].size(3)));
      sums[l] = sums[l].defined() ? sums[l] + rows.sum(0) : rows.sum(0);
      products[l] = products[l].defined() ? products[l] + rows.t().matmul(rows) : rows.t().matmul(rows);
      counts[l] += rows.size(0);
    }
  });
  PatchDensity density;
  density.regularization = options.regularization;
  for (std::size_t l = 0; l < L; ++l)
  {
    const int64_t channels = sums[l].size(0);
    if (counts[l] < 2)
      throw std::invalid_argument("fitPatchDensity: fewer than two brain positions at layer " +
                                  std::to_string(options.relus[l]) + ": give slices with brain");
    const double     n = static_cast<double>(counts[l]);
    const at::Tensor mean = sums[l] / n;
    // Unbiased, as numpy.cov; then the regularization on the diagonal.
    const at::Tensor covariance = (products[l] - n * at::outer(mean, mean)) / (n - 1.0) +
                                  options.regularization * at::eye(channels, mean.options());
    PatchLayerDensity layer;
    layer.relu = options.relus[l];
    layer.gaussian = MixtureParameters::fromCovariances(at::ones({ 1 }, mean.options()).cpu(), mean.unsqueeze(0).cpu(),
                                                        covariance.unsqueeze(0).cpu());
    density.layers.push_back(layer);
  }
  // Pass 2: each layer's upsampled distance on healthy brain pixels.
  std::vector<double> sum(L, 0.0), squares(L, 0.0), pixels(L, 0.0);
  batches([&](const at::Tensor & batch, const at::Tensor & mask) {
    const auto       distances = patchDistanceMaps(encoder, density, batch, options.batchSize);
    const at::Tensor brain = (mask != 0).to(at::kCPU);
    for (std::size_t l = 0; l < L; ++l)
    {
      const at::Tensor values = distances[l].index({ brain }).to(at::kDouble);
      sum[l] += values.sum().item<double>();
      squares[l] += values.pow(2).sum().item<double>();
      pixels[l] += static_cast<double>(values.numel());
    }
  });
  for (std::size_t l = 0; l < L; ++l)
  {
    density.layers[l].healthyMean = sum[l] / pixels[l];
    density.layers[l].healthyStd =
      std::sqrt(std::max(1e-12, squares[l] / pixels[l] - density.layers[l].healthyMean * density.layers[l].healthyMean));
  }
  return density;
}

ValueDict
PatchDensity::toDict() const
{
  ValueDict dict = makeValueDict();
  dict.insert("regularization", regularization);
  dict.insert("layers", static_cast<int64_t>(layers.size()));
  for (std::size_t l = 0; l < layers.size(); ++l)
  {
    ValueDict layer = makeValueDict();
    layer.insert("relu", layers[l].relu);
    layer.insert("mean", layers[l].gaussian.means[0].cpu());
    layer.insert("covariance", layers[l].gaussian.covariances[0].cpu());
    layer.insert("healthy_mean", layers[l].healthyMean);
    layer.insert("healthy_std", layers[l].healthyStd);
    dict.insert("layer_" + std::to_string(l), layer);
  }
  return dict;
}

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
    density.layers.push_back(entry);
  }
  return density;
}

} // namespace cradl
