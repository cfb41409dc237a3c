#include "cradlGaussianMixture.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/core/grad_mode.h>

#include <functional>

#include <chrono>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace cradl
{

namespace
{

at::Tensor
precisionCholeskyOf(const at::Tensor & covariances)
{
  const at::Tensor lower = at::linalg_cholesky(covariances);
  const at::Tensor identity = at::eye(covariances.size(1), covariances.options()).expand_as(covariances);
  return at::linalg_solve_triangular(lower, identity, /*upper=*/false).transpose(1, 2).contiguous();
}

// Sums over the processes when there are several; nothing otherwise.
void
sumOver(const ProcessSum & sumAcrossProcesses, std::vector<at::Tensor> & tensors)
{
  if (sumAcrossProcesses)
    sumAcrossProcesses(tensors);
}

// W^T W of rows W [n, d], computing the blocks on and above the diagonal
// only and mirroring the rest: (b + 1) / 2b of the full product's flops for
// b blocks of columns (a symmetric rank-k update, which LibTorch lacks).
at::Tensor
symmetricGram(const at::Tensor & W)
{
  const int64_t d = W.size(1);
  const int64_t block = d >= 256 ? 128 : d;
  at::Tensor    gram = at::empty({ d, d }, W.options());
  for (int64_t i = 0; i < d; i += block)
  {
    const int64_t    iEnd = std::min(d, i + block);
    const at::Tensor left = W.slice(1, i, iEnd).t();
    // The row of blocks from the diagonal to the right, in one product.
    at::Tensor row = gram.slice(0, i, iEnd).slice(1, i, d);
    at::mm_out(row, left, W.slice(1, i, d));
    if (iEnd < d)
      gram.slice(0, iEnd, d).slice(1, i, iEnd).copy_(gram.slice(0, i, iEnd).slice(1, iEnd, d).t());
  }
  return gram;
}

// M-step as scikit-learn's _estimate_gaussian_parameters ("full"), then the
// weights normalised as in _m_step.
MixtureParameters
maximisation(const at::Tensor & X, const at::Tensor & responsibilities, double regularization, bool float32Compute,
             const ProcessSum & sumAcrossProcesses = {})
{
  const auto              eps = std::numeric_limits<double>::epsilon();
  std::vector<at::Tensor> firstMoments{ responsibilities.sum(0), at::matmul(responsibilities.t(), X) };
  sumOver(sumAcrossProcesses, firstMoments);
  const at::Tensor nk = firstMoments[0] + 10 * eps;
  const at::Tensor means = firstMoments[1] / nk.unsqueeze(1);
  const int64_t    K = nk.size(0);
  const int64_t    d = X.size(1);
  at::Tensor       covariances = at::empty({ K, d, d }, X.options());
  const at::Tensor diagonal = at::eye(d, X.options()) * regularization;
  for (int64_t k = 0; k < K; ++k)
  {
    // Rows whose responsibility is below 1e-14 change the scatter by less
    // than N x 1e-14 of its weight; in high dimension most rows are, so
    // skipping them saves most of the M-step (all but one row per row at the
    // hard k-means start).
    const at::Tensor weight = responsibilities.select(1, k);
    const at::Tensor rows = at::nonzero(weight > 1e-14).squeeze(1);
    // sqrt(w) (x - mu) scaled rows: the scatter is their Gram matrix W^T W.
    at::Tensor scaled = X.index_select(0, rows).sub_(means[k]).mul_(weight.index_select(0, rows).sqrt().unsqueeze(1));
    covariances[k] = symmetricGram(float32Compute ? scaled.to(at::kFloat) : scaled).to(X.scalar_type());
  }
  // The scatter about the means of all rows, summed over the processes.
  std::vector<at::Tensor> scatters{ covariances };
  sumOver(sumAcrossProcesses, scatters);
  covariances = scatters[0] / nk.view({ K, 1, 1 }) + diagonal;
  MixtureParameters mixture;
  mixture.weights = nk / nk.sum();
  mixture.means = means;
  mixture.covariances = covariances;
  mixture.precisionCholesky = precisionCholeskyOf(covariances);
  return mixture;
}

at::Tensor
componentLogDensity(const MixtureParameters & mixture,
                    const at::Tensor &        X,
                    bool                      float32Compute,
                    at::ScalarType *          productDtype = nullptr)
{
  // log N(x | mu_k, Sigma_k) = -d/2 log 2pi + log det C_k - |x C_k - mu_k C_k|^2 / 2
  const int64_t    d = mixture.dimension();
  const int64_t    K = mixture.components();
  const auto       dtype = float32Compute ? at::kFloat : X.scalar_type();
  const at::Tensor C = mixture.precisionCholesky.to(X.device(), dtype);
  const at::Tensor logDeterminant = at::log(at::diagonal(mixture.precisionCholesky, 0, 1, 2)).sum(1).to(X.device(), X.scalar_type());
  const at::Tensor shift = at::matmul(mixture.means.to(X.device(), dtype).unsqueeze(1), C).squeeze(1); // [K, d]
  const at::Tensor stacked = C.permute({ 1, 0, 2 }).reshape({ d, K * d });                            // [d, K d]
  // Chunks of rows whose projections fit in about 16 MB: one buffer, reused,
  // filled by the product and squared in place, stays in the cache and is
  // not allocated (and page-faulted) again for every chunk.
  const int64_t chunkRows = std::max<int64_t>(256, (int64_t{ 16 } << 20) / (K * d * static_cast<int64_t>(c10::elementSize(dtype))));
  const bool    needsGrad = X.requires_grad() && at::GradMode::is_enabled();
  at::Tensor    buffer = needsGrad ? at::Tensor() : at::empty({ std::min(chunkRows, X.size(0)), K * d }, X.options().dtype(dtype));
  std::vector<at::Tensor> chunks;
  for (int64_t start = 0; start < X.size(0); start += chunkRows)
  {
    const at::Tensor rows = X.slice(0, start, std::min(X.size(0), start + chunkRows)).to(dtype);
    if (needsGrad) // the differentiable path (NLL gradients): plain ops for autograd
    {
      const at::Tensor projected = at::matmul(rows, stacked).view({ rows.size(0), K, d }) - shift.unsqueeze(0);
      chunks.push_back(projected.pow(2).sum(2).to(X.scalar_type()));
    }
    else
    {
      at::Tensor projected = buffer.slice(0, 0, rows.size(0));
      at::mm_out(projected, rows, stacked);
      at::Tensor byComponent = projected.view({ rows.size(0), K, d });
      byComponent.sub_(shift.unsqueeze(0)).pow_(2);
      chunks.push_back(byComponent.sum(2).to(X.scalar_type()));
    }
    if (productDtype != nullptr)
      *productDtype = dtype;
  }
  const at::Tensor squared = at::cat(chunks, 0);
  return -0.5 * (static_cast<double>(d) * std::log(2.0 * M_PI) + squared) + logDeterminant.unsqueeze(0);
}

void
checkSamples(const at::Tensor & X)
{
  if (X.dim() != 2 || X.size(0) < 1)
  {
    throw std::invalid_argument("the representations must be a non-empty [N, d] matrix");
  }
  if (!at::isfinite(X).all().item<bool>())
  {
    throw std::invalid_argument("the representations hold NaN or inf values: check the encoder and the scans");
  }
}

// k-means++ seeding (squared-distance sampling), then Lloyd iterations; the
// hard assignments become responsibilities, as scikit-learn's "kmeans" init.
at::Tensor
kmeansResponsibilities(const at::Tensor & all, const EmOptions & options, at::Generator & generator)
{
  // Seeding and Lloyd on a random sample of the rows, when there are more.
  const bool       sampled = options.kmeansSampleSize > 0 && all.size(0) > options.kmeansSampleSize;
  const at::Tensor X = sampled ? all.index_select(0, at::randperm(all.size(0), generator, at::TensorOptions().dtype(at::kLong))
                                                       .slice(0, 0, options.kmeansSampleSize)
                                                       .to(all.device()))
                               : all;
  const int64_t N = X.size(0);
  const int64_t K = options.components;
  const auto    cpu = at::TensorOptions().dtype(at::kDouble);
  const auto    pick = [&](const at::Tensor & weights) {
    const at::Tensor cumulative = weights.cumsum(0);
    const double     u = at::empty({ 1 }, cpu).uniform_(0.0, 1.0, generator).item<double>() *
                     cumulative[-1].item<double>();
    return std::min<int64_t>(N - 1, at::searchsorted(cumulative, at::scalar_tensor(u, cpu)).item<int64_t>());
  };
  const at::Tensor squaredNorms = X.pow(2).sum(1);
  const auto       distancesTo = [&](const at::Tensor & centres) {
    return (squaredNorms.unsqueeze(1) - 2.0 * at::matmul(X, centres.t()) + centres.pow(2).sum(1).unsqueeze(0))
      .clamp_min(0.0);
  };
  // The nearest centre of each row of `rows`: |x|^2 is the same for every
  // centre, so the argmin needs only |c|^2 - 2 x.c (one pass over the rows).
  const auto nearest = [](const at::Tensor & rows, const at::Tensor & centres) {
    return (centres.pow(2).sum(1).unsqueeze(0) - 2.0 * at::matmul(rows, centres.t())).argmin(1);
  };
  std::vector<int64_t> chosen{ pick(at::ones({ N }, cpu)) };
  at::Tensor           closest = distancesTo(X.index_select(0, at::tensor(chosen, at::kLong).to(X.device())))
                         .select(1, 0)
                         .to(at::kCPU, at::kDouble);
  while (static_cast<int64_t>(chosen.size()) < K)
  {
    const double total = closest.sum().item<double>();
    chosen.push_back(total > 0.0 ? pick(closest) : pick(at::ones({ N }, cpu)));
    const at::Tensor latest = X.index_select(0, at::tensor(std::vector<int64_t>{ chosen.back() }, at::kLong).to(X.device()));
    closest = at::minimum(closest, distancesTo(latest).select(1, 0).to(at::kCPU, at::kDouble));
  }
  at::Tensor centres = X.index_select(0, at::tensor(chosen, at::kLong).to(X.device()));
  at::Tensor labels;
  for (int64_t iteration = 0; iteration <= options.kmeansIterations; ++iteration)
  {
    labels = nearest(X, centres);
    if (iteration == options.kmeansIterations)
      break;
    const at::Tensor oneHot = at::one_hot(labels, K).to(X.scalar_type());
    const at::Tensor counts = oneHot.sum(0);
    const at::Tensor sums = at::matmul(oneHot.t(), X);
    // Empty clusters keep their centre.
    centres = at::where(counts.unsqueeze(1) > 0, sums / counts.clamp_min(1.0).unsqueeze(1), centres);
  }
  if (sampled) // every row to its nearest centre
    labels = nearest(all, centres);
  return at::one_hot(labels, K).to(X.scalar_type());
}
} // namespace

MixtureParameters
MixtureParameters::to(const c10::Device & device) const
{
  return { weights.to(device), means.to(device), covariances.to(device), precisionCholesky.to(device) };
}

MixtureParameters
MixtureParameters::fromCovariances(const at::Tensor & weights, const at::Tensor & means, const at::Tensor & covariances)
{
  MixtureParameters mixture{ weights.to(at::kDouble), means.to(at::kDouble), covariances.to(at::kDouble), {} };
  mixture.precisionCholesky = precisionCholeskyOf(mixture.covariances);
  return mixture;
}

MixtureParameters
MixtureParameters::fromPrecisions(const at::Tensor & weights, const at::Tensor & means, const at::Tensor & precisions)
{
  const at::Tensor P = precisions.to(at::kDouble);
  return { weights.to(at::kDouble), means.to(at::kDouble), at::linalg_inv(P), at::linalg_cholesky(P) };
}

at::Tensor
weightedComponentLogDensity(const MixtureParameters & mixture, const at::Tensor & X)
{
  return componentLogDensity(mixture, X, false) +
         at::log(mixture.weights).to(X.device(), X.scalar_type()).unsqueeze(0);
}

at::Tensor
mixtureLogDensity(const MixtureParameters & mixture, const at::Tensor & X)
{
  return at::logsumexp(weightedComponentLogDensity(mixture, X), 1);
}

MixtureParameters
initialMixture(const at::Tensor & samples, const EmOptions & options)
{
  const at::Tensor X = samples.to(at::kDouble);
  const int64_t    N = X.size(0);
  at::Generator    generator = at::make_generator<at::CPUGeneratorImpl>(options.seed);
  at::Tensor       responsibilities;
  if (options.initialisation != "kmeans++" && options.initialisation != "random")
  {
    throw std::invalid_argument("unknown initialisation '" + options.initialisation + "': use kmeans++ or random");
  }
  if (options.components == 1)
  {
    // One component: every start gives the same first M-step.
    responsibilities = at::ones({ N, 1 }, X.options());
  }
  else if (options.initialisation == "kmeans++")
  {
    responsibilities = kmeansResponsibilities(X, options, generator);
  }
  else
  {
    responsibilities = at::empty({ N, options.components }, at::kDouble).uniform_(0.0, 1.0, generator).to(X.device());
    responsibilities = responsibilities / responsibilities.sum(1, true);
  }
  // K = 1 over several processes: the first M-step's sums are global.
  return maximisation(X, responsibilities, options.regularization, options.float32Compute,
                      options.components == 1 ? options.sumAcrossProcesses : ProcessSum{});
}

EmResult
fitEm(const at::Tensor & samples, const EmOptions & options, const MixtureParameters * initial)
{
  checkSamples(samples);
  const int64_t N = samples.size(0);
  if (options.components < 1 || N < options.components)
  {
    throw std::invalid_argument("a mixture of " + std::to_string(options.components) + " components needs at least as many samples; got " +
                                std::to_string(N));
  }
  if (!(options.regularization > 0.0) || options.maxIterations < 1 || !(options.tolerance >= 0.0))
  {
    throw std::invalid_argument("EM needs regularization > 0, maxIterations >= 1 and tolerance >= 0");
  }
  const at::Tensor X = samples.to(at::kDouble);
  using Clock = std::chrono::steady_clock;
  const auto started = Clock::now();

  EmResult result;
  if (initial != nullptr)
  {
    result.parameters = initial->to(X.device());
  }
  else
  {
    if (options.sumAcrossProcesses && options.components > 1)
    {
      throw std::invalid_argument("EM over several processes needs the same start everywhere: give initial "
                                  "parameters (e.g. rank 0's, broadcast) when K > 1");
    }
    result.parameters = initialMixture(X, options);
  }
  const auto initialised = Clock::now();

  double lowerBound = -std::numeric_limits<double>::infinity();
  for (int64_t iteration = 1; iteration <= options.maxIterations; ++iteration)
  {
    const double     previous = lowerBound;
    const at::Tensor weighted = componentLogDensity(result.parameters, X, options.float32Compute, &result.productDtype) +
                                at::log(result.parameters.weights).unsqueeze(0);
    const at::Tensor logNormaliser = at::logsumexp(weighted, 1);
    const at::Tensor responsibilities = at::exp(weighted - logNormaliser.unsqueeze(1));
    result.parameters = maximisation(X, responsibilities, options.regularization, options.float32Compute,
                                     options.sumAcrossProcesses);
    if (options.sumAcrossProcesses)
    {
      std::vector<at::Tensor> likelihood{ logNormaliser.sum().reshape({ 1 }),
                                          at::full({ 1 }, static_cast<double>(N), logNormaliser.options()) };
      options.sumAcrossProcesses(likelihood);
      lowerBound = (likelihood[0] / likelihood[1]).item<double>();
    }
    else
    {
      lowerBound = logNormaliser.mean().item<double>();
    }
    result.lowerBounds.push_back(lowerBound);
    result.iterations = iteration;
    if (!std::isfinite(lowerBound))
    {
      throw std::runtime_error("EM diverged (log-likelihood " + std::to_string(lowerBound) +
                               "): raise the covariance regularization");
    }
    if (std::abs(lowerBound - previous) < options.tolerance)
    {
      result.converged = true;
      break;
    }
  }
  result.lowerBound = lowerBound;
  result.initialisationSeconds = std::chrono::duration<double>(initialised - started).count();
  result.emSeconds = std::chrono::duration<double>(Clock::now() - initialised).count();
  return result;
}

double
bayesianInformationCriterion(const MixtureParameters & mixture, const at::Tensor & X, const ProcessSum & sumAcrossProcesses)
{
  const double K = static_cast<double>(mixture.components());
  const double d = static_cast<double>(mixture.dimension());
  const double freeParameters = (K - 1.0) + K * d + K * d * (d + 1.0) / 2.0;
  std::vector<at::Tensor> totals{ mixtureLogDensity(mixture, X.to(at::kDouble)).sum().reshape({ 1 }).cpu(),
                                  at::full({ 1 }, static_cast<double>(X.size(0)), at::kDouble) };
  if (sumAcrossProcesses)
    sumAcrossProcesses(totals);
  const double N = totals[1].item<double>();
  const double meanLogLikelihood = totals[0].item<double>() / N;
  return -2.0 * N * meanLogLikelihood + freeParameters * std::log(N);
}

} // namespace cradl
