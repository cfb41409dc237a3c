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

// Each position's Mahalanobis distance [N, h, w] (rows [N, h, w, d],
// float64) under the pooled Gaussian or, given `cell` [N, h, w], under its
// cell's: positions sorted by cell, one product per cell.
at::Tensor
mahalanobis(const MixtureParameters & gaussians, const at::Tensor & rows, const at::Tensor & cell)
{
  const at::Tensor means = gaussians.means.to(rows.device());
  const at::Tensor factors = gaussians.precisionCholesky.to(rows.device());
  if (!cell.defined())
    return at::matmul(rows - means[0], factors[0]).pow(2).sum(-1).sqrt();
  const at::Tensor flat = rows.reshape({ -1, rows.size(-1) });
  const auto       sorted = cell.reshape({ -1 }).to(rows.device()).sort();
  const at::Tensor order = std::get<1>(sorted);
  const at::Tensor counts = at::bincount(std::get<0>(sorted), {}, gaussians.components()).cpu();
  at::Tensor       distance = at::empty({ flat.size(0) }, flat.options());
  int64_t          offset = 0;
  for (int64_t c = 0; c < counts.size(0); ++c)
  {
    const int64_t n = counts[c].item<int64_t>();
    if (n == 0)
      continue;
    const at::Tensor positions = order.slice(0, offset, offset + n);
    distance.index_put_({ positions }, at::matmul(flat.index_select(0, positions) - means[c], factors[c]).pow(2).sum(-1).sqrt());
    offset += n;
  }
  return distance.view(cell.sizes());
}

// One layer's distance map, upsampled to size x size: [N, 1, S, S] float32.
at::Tensor
distanceAt(const PatchLayerDensity & layer, const at::Tensor & features, int64_t size, const at::Tensor & cell)
{
  if (features.size(1) != layer.gaussian.dimension())
    throw std::invalid_argument("the patch density of layer " + std::to_string(layer.relu) + " was fitted to " +
                                std::to_string(layer.gaussian.dimension()) + " channels but the encoder gives " +
                                std::to_string(features.size(1)) + ": use the mixture fitted with this encoder");
  const at::Tensor rows = features.permute({ 0, 2, 3, 1 }).to(at::kDouble);
  const at::Tensor distance = mahalanobis(cell.defined() ? layer.cellGaussians : layer.gaussian, rows, cell);
  return at::upsample_bilinear2d(distance.unsqueeze(1).to(at::kFloat), { size, size }, /*align_corners=*/false);
}

void
checkFrames(const at::Tensor & frames, int64_t count)
{
  if (frames.dim() != 2 || frames.size(0) != count || frames.size(1) != SliceFrameColumns)
    throw std::invalid_argument("slice frames must be [" + std::to_string(count) + ", " +
                                std::to_string(SliceFrameColumns) + "] (one row per slice)");
}

// A batch's cells at one layer's resolution, when scored by cell.
at::Tensor
cellsOf(const PatchDensity & density, const at::Tensor & frames, const at::Tensor & features)
{
  if (!density.conditioned() || !frames.defined())
    return {};
  return positionCells(frames, features.size(2), features.size(3), density.cells);
}

// The slices' distance maps in batches: visit(start, end, maps, representation).
template <typename TVisit>
void
forEachDistanceBatch(ContrastiveEncoder & encoder, const PatchDensity & density, const at::Tensor & slices,
                     int64_t batchSize, bool withRepresentation, const at::Tensor & frames, bool byCell, TVisit && visit)
{
  std::vector<int64_t> relus;
  for (const auto & layer : density.layers)
    relus.push_back(layer.relu);
  const c10::Device  device = deviceOf(encoder);
  torch::NoGradGuard noGrad;
  for (int64_t start = 0; start < slices.size(0); start += batchSize)
  {
    const int64_t    end = std::min(slices.size(0), start + batchSize);
    const at::Tensor batch = slices.slice(0, start, end).to(device, at::kFloat);
    const at::Tensor batchFrames = byCell ? frames.slice(0, start, end) : at::Tensor();
    at::Tensor       output;
    const auto       features = encoderFeatureMaps(encoder, batch, relus, withRepresentation ? &output : nullptr);
    std::vector<at::Tensor> maps;
    for (std::size_t l = 0; l < relus.size(); ++l)
      maps.push_back(distanceAt(density.layers[l], features[l], slices.size(3), cellsOf(density, batchFrames, features[l]))
                       .to(at::kCPU));
    visit(start, end, maps, output);
  }
}
} // namespace

at::Tensor
positionCells(const at::Tensor & frames, int64_t height, int64_t width, const PatchPositionCells & cells)
{
  if (cells.grid < 1 || cells.depthBins < 1)
    throw std::invalid_argument("positionCells: the grid and the depth bins must be at least 1");
  checkFrames(frames, frames.dim() == 2 ? frames.size(0) : -1);
  const at::Tensor f = frames.to(at::kCPU, at::kDouble);
  // The cell along one axis of each position's centre, [N, n].
  const auto along = [&](int64_t n, int64_t startColumn) {
    const at::Tensor centres = ((at::arange(n, f.options()) + 0.5) / static_cast<double>(n)).unsqueeze(0);
    const at::Tensor start = f.select(1, startColumn).unsqueeze(1);
    const at::Tensor extent = (f.select(1, startColumn + 1).unsqueeze(1) - start).clamp_min(1e-9);
    return at::floor((centres - start) / extent * static_cast<double>(cells.grid)).clamp(0, cells.grid - 1).to(at::kLong);
  };
  const at::Tensor column = along(width, 0);
  const at::Tensor row = along(height, 2);
  const at::Tensor depth =
    at::floor(f.select(1, 4) * static_cast<double>(cells.depthBins)).clamp(0, cells.depthBins - 1).to(at::kLong);
  return (depth.view({ -1, 1, 1 }) * cells.grid + row.unsqueeze(2)) * cells.grid + column.unsqueeze(1);
}

std::vector<at::Tensor>
patchDistanceMaps(ContrastiveEncoder & encoder, const PatchDensity & density, const at::Tensor & slices,
                  int64_t batchSize, at::Tensor * representations, const at::Tensor & frames)
{
  if (slices.dim() != 4 || slices.size(1) != 1)
    throw std::invalid_argument("patchDistanceMaps: slices must be [N, 1, S, S]");
  if (density.empty())
    throw std::invalid_argument("patchDistanceMaps: the patch density is empty (fit it first)");
  if (frames.defined())
    checkFrames(frames, slices.size(0));
  std::vector<std::vector<at::Tensor>> parts(density.layers.size());
  std::vector<at::Tensor>              outputs;
  forEachDistanceBatch(encoder, density, slices, batchSize, representations != nullptr, frames, frames.defined(),
                       [&](int64_t, int64_t, const std::vector<at::Tensor> & maps, const at::Tensor & output) {
                         if (representations != nullptr)
                           outputs.push_back(output.to(at::kCPU));
                         for (std::size_t l = 0; l < maps.size(); ++l)
                           parts[l].push_back(maps[l]);
                       });
  std::vector<at::Tensor> maps;
  for (auto & part : parts)
    maps.push_back(at::cat(part, 0));
  if (representations != nullptr)
    *representations = at::cat(outputs, 0);
  return maps;
}

at::Tensor
patchDensityMap(ContrastiveEncoder & encoder, const PatchDensity & density, const at::Tensor & slices,
                int64_t batchSize, at::Tensor * representations, const at::Tensor & frames)
{
  const auto distances = patchDistanceMaps(encoder, density, slices, batchSize, representations, frames);
  const bool byCell = density.conditioned() && frames.defined();
  at::Tensor map = at::zeros_like(distances.front());
  for (std::size_t l = 0; l < distances.size(); ++l)
  {
    const auto & layer = density.layers[l];
    map += byCell ? (distances[l] - layer.cellHealthyMean) / layer.cellHealthyStd
                  : (distances[l] - layer.healthyMean) / layer.healthyStd;
  }
  return map / static_cast<double>(distances.size());
}

namespace
{
// Sums of feature vectors and of their outer products, and their count:
// pooled, and per cell when the density is conditioned.
struct LayerMoments
{
  at::Tensor sum, products, count;             // [d], [d, d], scalar
  at::Tensor cellSums, cellProducts, cellCount; // [C, d], [C, d, d], [C]

  void
  sumOver(const ProcessSum & sumAcrossProcesses)
  {
    if (!sumAcrossProcesses)
      return;
    std::vector<at::Tensor> parts{ sum, products, count.reshape({ 1 }) };
    if (cellSums.defined())
      parts.insert(parts.end(), { cellSums, cellProducts, cellCount });
    sumAcrossProcesses(parts);
    count = parts[2].reshape({});
  }

  void
  add(const at::Tensor & rows, const at::Tensor & cell, int64_t cells)
  {
    if (!sum.defined())
    {
      const int64_t d = rows.size(1);
      sum = at::zeros({ d }, rows.options());
      products = at::zeros({ d, d }, rows.options());
      count = at::zeros({}, rows.options());
      if (cell.defined())
      {
        cellSums = at::zeros({ cells, d }, rows.options());
        cellProducts = at::zeros({ cells, d, d }, rows.options());
        cellCount = at::zeros({ cells }, rows.options());
      }
    }
    sum += rows.sum(0);
    products += rows.t().matmul(rows);
    count += rows.size(0);
    if (!cell.defined())
      return;
    const at::Tensor index = cell.to(rows.device());
    cellSums.index_add_(0, index, rows);
    cellCount.index_add_(0, index, at::ones({ rows.size(0) }, rows.options()));
    const auto       sorted = index.sort();
    const at::Tensor order = std::get<1>(sorted);
    const at::Tensor counts = at::bincount(std::get<0>(sorted), {}, cells).cpu();
    int64_t          offset = 0;
    for (int64_t c = 0; c < cells; ++c)
    {
      const int64_t n = counts[c].item<int64_t>();
      if (n == 0)
        continue;
      const at::Tensor part = rows.index_select(0, order.slice(0, offset, offset + n));
      cellProducts[c] += part.t().matmul(part);
      offset += n;
    }
  }
};

// Each cell's Gaussian: the posterior mean under a normal-inverse-Wishart
// prior with mean mu0 and scale Sigma0 (the pooled fit), both weighing tau
// pseudo-positions: mu_c = (n x_c + tau mu0) / (n + tau),
// Sigma_c = (tau Sigma0 + S_c + tau n / (tau + n) (x_c - mu0)(x_c - mu0)^T) / (tau + n) + eps I,
// with S_c the cell's scatter about its own mean x_c. An empty cell is the pooled fit.
MixtureParameters
cellGaussians(const LayerMoments & moments, const at::Tensor & pooledMean, const at::Tensor & pooledScatterCovariance,
              double tau, double regularization)
{
  const int64_t    cells = moments.cellCount.size(0);
  const int64_t    d = pooledMean.size(0);
  const at::Tensor n = moments.cellCount.view({ cells, 1 });
  const at::Tensor cellMean = at::where(n > 0, moments.cellSums / n.clamp_min(1.0), pooledMean.unsqueeze(0));
  const at::Tensor scatter =
    moments.cellProducts - n.view({ cells, 1, 1 }) * cellMean.unsqueeze(2) * cellMean.unsqueeze(1);
  const at::Tensor offset = cellMean - pooledMean.unsqueeze(0);
  const at::Tensor pull = (tau * n / (tau + n)).view({ cells, 1, 1 });
  const at::Tensor covariances =
    (tau * pooledScatterCovariance.unsqueeze(0) + scatter + pull * offset.unsqueeze(2) * offset.unsqueeze(1)) /
      (tau + n).view({ cells, 1, 1 }) +
    regularization * at::eye(d, pooledMean.options()).unsqueeze(0);
  const at::Tensor means = (moments.cellSums + tau * pooledMean.unsqueeze(0)) / (n + tau);
  // Rounded to float32, as they are stored: the model in memory is the one on disk.
  const auto stored = [](const at::Tensor & t) { return t.to(at::kCPU, at::kFloat).to(at::kDouble); };
  return MixtureParameters::fromCovariances(at::full({ cells }, 1.0 / cells, at::kDouble), stored(means),
                                            stored(covariances));
}

// Mean and population standard deviation of values pooled over batches.
struct RunningMoments
{
  double sum = 0.0, squares = 0.0, count = 0.0;

  void
  sumOver(const ProcessSum & sumAcrossProcesses)
  {
    if (!sumAcrossProcesses)
      return;
    std::vector<at::Tensor> totals{ at::tensor({ sum, squares, count }, at::kDouble) };
    sumAcrossProcesses(totals);
    sum = totals[0][0].item<double>();
    squares = totals[0][1].item<double>();
    count = totals[0][2].item<double>();
  }

  void
  add(const at::Tensor & values)
  {
    const at::Tensor v = values.to(at::kDouble);
    sum += v.sum().item<double>();
    squares += v.pow(2).sum().item<double>();
    count += static_cast<double>(v.numel());
  }
  double
  mean() const
  {
    return sum / count;
  }
  double
  std() const
  {
    return std::sqrt(std::max(1e-12, squares / count - mean() * mean()));
  }
};
void
checkPatchInputs(const at::Tensor & slices, const at::Tensor & masks, const PatchDensityOptions & options,
                 const at::Tensor & frames)
{
  if (slices.dim() != 4 || slices.size(1) != 1 || masks.sizes() != slices.sizes())
    throw std::invalid_argument("fitPatchDensity: slices and masks must both be [N, 1, S, S]");
  if (options.relus.empty() || options.batchSize < 1 || !(options.regularization >= 0.0))
    throw std::invalid_argument("fitPatchDensity: give at least one layer, a positive batch size and regularization >= 0");
  if (options.cells.grid > 0)
  {
    if (options.cells.depthBins < 1 || !(options.cells.priorWeight > 0.0))
      throw std::invalid_argument("fitPatchDensity: position cells need at least one depth bin and a prior weight > 0");
    if (!frames.defined())
      throw std::invalid_argument("fitPatchDensity: position cells need the slices' frames");
    checkFrames(frames, slices.size(0));
  }
}

// Pass 1 of the fit: each layer's moments of the brain positions' feature
// vectors (pooled, and per cell), summed over the processes.
std::vector<LayerMoments>
brainMoments(ContrastiveEncoder & encoder, const at::Tensor & slices, const at::Tensor & masks,
             const PatchDensityOptions & options, const at::Tensor & frames)
{
  const c10::Device         device = deviceOf(encoder);
  const bool                byCell = options.cells.grid > 0;
  std::vector<LayerMoments> moments(options.relus.size());
  for (int64_t start = 0; start < slices.size(0); start += options.batchSize)
  {
    const int64_t end = std::min(slices.size(0), start + options.batchSize);
    const auto    features = encoderFeatureMaps(encoder, slices.slice(0, start, end).to(device, at::kFloat), options.relus);
    const at::Tensor mask = masks.slice(0, start, end).to(device);
    for (std::size_t l = 0; l < moments.size(); ++l)
    {
      const at::Tensor brain = brainAt(mask, features[l].size(2), features[l].size(3)).reshape({ -1 });
      const at::Tensor rows = brainRows(features[l], brain);
      const at::Tensor cell =
        byCell ? positionCells(frames.slice(0, start, end), features[l].size(2), features[l].size(3), options.cells)
                   .reshape({ -1 })
                   .index({ brain.cpu() })
               : at::Tensor();
      moments[l].add(rows, cell, options.cells.count());
    }
  }
  for (auto & layer : moments)
    layer.sumOver(options.sumAcrossProcesses);
  return moments;
}
} // namespace

PatchDensity
fitPatchDensity(ContrastiveEncoder & encoder, const at::Tensor & slices, const at::Tensor & masks,
                const PatchDensityOptions & options, const at::Tensor & frames)
{
  checkPatchInputs(slices, masks, options, frames);
  const bool                byCell = options.cells.grid > 0;
  const std::size_t         L = options.relus.size();
  torch::NoGradGuard        noGrad;
  std::vector<LayerMoments> moments = brainMoments(encoder, slices, masks, options, frames);
  PatchDensity density;
  density.regularization = options.regularization;
  density.cells = byCell ? options.cells : PatchPositionCells{};
  for (std::size_t l = 0; l < L; ++l)
  {
    const double n = moments[l].sum.defined() ? moments[l].count.item<double>() : 0.0;
    if (n < 2.0)
      throw std::invalid_argument("fitPatchDensity: fewer than two brain positions at layer " +
                                  std::to_string(options.relus[l]) + ": give slices with brain");
    const int64_t    channels = moments[l].sum.size(0);
    const at::Tensor mean = moments[l].sum / n;
    // Unbiased, as numpy.cov; then the regularization on the diagonal.
    const at::Tensor covariance = (moments[l].products - n * at::outer(mean, mean)) / (n - 1.0);
    PatchLayerDensity layer;
    layer.relu = options.relus[l];
    layer.gaussian = MixtureParameters::fromCovariances(
      at::ones({ 1 }, mean.options()).cpu(), mean.unsqueeze(0).cpu(),
      (covariance + options.regularization * at::eye(channels, mean.options())).unsqueeze(0).cpu());
    if (byCell)
      layer.cellGaussians = cellGaussians(moments[l], mean, covariance, options.cells.priorWeight * channels,
                                          options.regularization);
    density.layers.push_back(layer);
  }
  // Pass 2: each layer's upsampled distances on healthy brain pixels, pooled and by cell.
  std::vector<RunningMoments> pooled(L), cell(L);
  const auto                  healthy = [&](std::vector<RunningMoments> & statistics, bool useCells) {
    forEachDistanceBatch(encoder, density, slices, options.batchSize, false, frames, useCells,
                         [&](int64_t start, int64_t end, const std::vector<at::Tensor> & maps, const at::Tensor &) {
                           const at::Tensor brain = (masks.slice(0, start, end) != 0).to(at::kCPU);
                           for (std::size_t l = 0; l < L; ++l)
                             statistics[l].add(maps[l].index({ brain }));
                         });
  };
  healthy(pooled, false);
  if (byCell)
    healthy(cell, true);
  for (std::size_t l = 0; l < L; ++l)
  {
    pooled[l].sumOver(options.sumAcrossProcesses);
    if (byCell)
      cell[l].sumOver(options.sumAcrossProcesses);
    density.layers[l].healthyMean = pooled[l].mean();
    density.layers[l].healthyStd = pooled[l].std();
    if (byCell)
    {
      density.layers[l].cellHealthyMean = cell[l].mean();
      density.layers[l].cellHealthyStd = cell[l].std();
    }
  }
  return density;
}

} // namespace cradl
