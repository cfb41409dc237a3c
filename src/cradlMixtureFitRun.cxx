#include "cradlMixtureFitRun.h"

#include "cradlDevice.h"
#include "cradlDistributed.h"
#include "cradlImageTensorBridge.h"
#include "cradlPatchDensity.h"
#include "cradlTensorViews.h"
#include "itkContrastiveEncoderModelImpl.h"
#include "itkGaussianMixtureModelImpl.h"

#include <torch/types.h>

#include <chrono>

namespace cradl
{

namespace
{
// The run's sum over its processes, or nothing in a single process.
ProcessSum
sumOverRun(bool distributed, const std::string & device)
{
  const std::shared_ptr<DistributedGroup> group =
    distributed ? processGroupOfEnvironment(parseDevice(device)) : std::shared_ptr<DistributedGroup>();
  if (!group)
    return {};
  return [group](std::vector<at::Tensor> & tensors) { group->allReduceSum(tensors); };
}
} // namespace

std::vector<double>
encodeSlices(const itk::detail::ContrastiveEncoderModelImpl & encoder,
             const SliceSet &                                 slices,
             const std::string &                              device,
             int64_t                                          batchSize)
{
  const c10::Device  target = parseDevice(device);
  auto               network = encoder.encoder();
  network->to(target);
  torch::NoGradGuard noGrad;
  const at::Tensor   all =
    viewSliceBatch(const_cast<float *>(slices.pixels.data()), { slices.count, slices.size, slices.size }, [](void *) {});
  std::vector<at::Tensor> parts;
  for (int64_t start = 0; start < slices.count; start += batchSize)
  {
    parts.push_back(network->forward(all.slice(0, start, std::min(slices.count, start + batchSize)).to(target))
                      .to(at::kCPU, at::kDouble));
  }
  const at::Tensor features = at::cat(parts, 0).contiguous();
  return std::vector<double>(features.data_ptr<double>(), features.data_ptr<double>() + features.numel());
}

PatchDensityFit
fitPatchDensityOf(const itk::detail::ContrastiveEncoderModelImpl & encoder,
                  const SliceSet &                                 slices,
                  const std::string &                              device,
                  const PatchDensitySettings &                     settings)
{
  auto network = encoder.encoder();
  network->to(parseDevice(device));
  const SliceBatchShape shape{ slices.count, slices.size, slices.size };
  const at::Tensor      pixels = viewSliceBatch(const_cast<float *>(slices.pixels.data()), shape, [](void *) {});
  const at::Tensor      masks = viewMaskBatch(slices.masks.data(), shape);
  PatchDensityOptions options;
  options.relus.assign(settings.layers.begin(), settings.layers.end());
  options.batchSize = settings.batchSize;
  options.cells.grid = settings.positionGrid;
  options.cells.depthBins = settings.depthBins;
  options.cells.priorWeight = settings.priorWeight;
  options.sumAcrossProcesses = sumOverRun(settings.distributed, device);
  return { std::make_shared<const PatchDensity>(
    fitPatchDensity(network, pixels, masks, options, sliceFramesToTensor(slices.frames))) };
}

namespace
{
// Standardises X in place with the features' mean and population standard
// deviation over every process's rows (as sklearn's StandardScaler;
// constant features keep scale 1).
void
standardise(at::Tensor & X, const ProcessSum & sum, int64_t samples, at::Tensor & mean, at::Tensor & std)
{
  if (sum)
  {
    std::vector<at::Tensor> total{ X.sum(0) };
    sum(total);
    mean = total[0] / static_cast<double>(samples);
    std::vector<at::Tensor> squares{ (X - mean).pow(2).sum(0) };
    sum(squares);
    std = (squares[0] / static_cast<double>(samples)).sqrt();
  }
  else
  {
    mean = X.mean(0);
    std = X.std(0, /*unbiased=*/false);
  }
  std = at::where(std > 1e-12, std, at::ones_like(std));
  X = (X - mean) / std;
}

EmOptions
emOptionsOf(const MixtureFitSettings & settings, unsigned int components, const ProcessSum & sum)
{
  EmOptions options;
  options.components = components;
  options.tolerance = settings.tolerance;
  options.maxIterations = settings.maxIterations;
  options.regularization = settings.regularization;
  options.initialisation = settings.initialisation;
  options.seed = settings.seed;
  options.float32Compute = settings.float32Compute;
  options.sumAcrossProcesses = sum;
  return options;
}

// A fitted candidate as a model: its mixture, the standardisation, and how it was fitted.
std::shared_ptr<itk::detail::GaussianMixtureModelImpl>
modelOf(unsigned int components, const EmResult & em, double bic, const at::Tensor & mean, const at::Tensor & std,
        int64_t samples, const MixtureFitSettings & settings)
{
  auto model = std::make_shared<itk::detail::GaussianMixtureModelImpl>();
  model->mixture = em.parameters.to(c10::kCPU);
  model->featureMean = mean;
  model->featureStd = std;
  model->fit.insert("components", static_cast<int64_t>(components));
  model->fit.insert("iterations", em.iterations);
  model->fit.insert("converged", em.converged);
  model->fit.insert("mean_log_likelihood", em.lowerBound);
  model->fit.insert("bic", bic);
  model->fit.insert("tolerance", settings.tolerance);
  model->fit.insert("regularization", settings.regularization);
  model->fit.insert("initialisation", settings.initialisation);
  model->fit.insert("samples", samples);
  model->fit.insert("standardized", settings.standardize);
  return model;
}
} // namespace

MixtureFitResult
fitMixture(const std::vector<double> & features, int64_t rows, int64_t columns, const MixtureFitSettings & settings)
{
  const c10::Device                        device = parseDevice(settings.device);
  const std::shared_ptr<DistributedGroup> group =
    settings.distributed ? processGroupOfEnvironment(device) : std::shared_ptr<DistributedGroup>();
  const ProcessSum sum = sumOverRun(settings.distributed, settings.device);
  at::Tensor       X = viewMatrix(features.data(), rows, columns).clone();
  int64_t          samples = rows;
  if (sum)
  {
    std::vector<at::Tensor> count{ at::full({ 1 }, static_cast<double>(rows), at::kDouble) };
    sum(count);
    samples = static_cast<int64_t>(count[0].item<double>());
  }
  at::Tensor mean = at::zeros({ columns }, at::kDouble);
  at::Tensor std = at::ones({ columns }, at::kDouble);
  if (settings.standardize)
    standardise(X, sum, samples, mean, std);
  X = X.to(device);

  MixtureFitResult result;
  result.samples = samples;
  for (const unsigned int K : settings.components)
  {
    const EmOptions   options = emOptionsOf(settings, K, sum);
    const auto        started = std::chrono::steady_clock::now();
    MixtureParameters start;
    if (group && K > 1)
    {
      // The same start everywhere: rank 0's, from its own rows.
      EmOptions alone = options;
      alone.sumAcrossProcesses = {};
      start = group->rank() == 0 ? initialMixture(X, alone).to(c10::kCPU)
                                 : MixtureParameters{ at::zeros({ K }, at::kDouble), at::zeros({ K, columns }, at::kDouble),
                                                      at::zeros({ K, columns, columns }, at::kDouble),
                                                      at::zeros({ K, columns, columns }, at::kDouble) };
      std::vector<at::Tensor> parts{ start.weights, start.means, start.covariances, start.precisionCholesky };
      group->broadcast(parts, 0);
    }
    const auto   em = fitEm(X, options, start.weights.defined() ? &start : nullptr);
    const double bic = bayesianInformationCriterion(em.parameters, X, sum);
    result.candidates.push_back({ K, em.iterations, em.converged, em.lowerBound, bic,
                                  std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count() });
    result.models.push_back(modelOf(K, em, bic, mean, std, samples, settings));
  }
  return result;
}

void
recordScoringMode(itk::detail::GaussianMixtureModelImpl & chosen,
                  const std::string &                     mode,
                  const std::vector<std::string> &        candidateModes)
{
  c10::List<std::string> modes;
  for (const auto & candidateMode : candidateModes)
    modes.push_back(candidateMode);
  chosen.fit.insert_or_assign("score_mode", mode);
  chosen.fit.insert_or_assign("candidate_score_modes", modes);
}

void
recordSelection(itk::detail::GaussianMixtureModelImpl & chosen,
                const std::string &                     criterion,
                const std::vector<MixtureCandidate> &   candidates,
                const std::vector<double> &             validationAUPRC)
{
  std::vector<double> table;
  for (std::size_t c = 0; c < candidates.size(); ++c)
  {
    table.insert(table.end(), { static_cast<double>(candidates[c].components),
                                static_cast<double>(candidates[c].iterations), candidates[c].meanLogLikelihood,
                                candidates[c].bic, validationAUPRC[c] });
  }
  chosen.fit.insert_or_assign("selection", criterion);
  chosen.fit.insert_or_assign("candidates_k_iterations_loglik_bic_auprc", at::tensor(table, at::kDouble).view({ -1, 5 }));
}

} // namespace cradl
