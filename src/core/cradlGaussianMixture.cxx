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

// Which of C's entries can be non-zero: EM's own C (precisionCholeskyOf) is
// upper triangular, the Cholesky factor of given precisions lower triangular.
enum class Triangle
{
  upper,
  lower,
  full
};

Triangle
triangleOf(const at::Tensor & C)
{
  if (at::equal(C, C.triu()))
    return Triangle::upper;
  if (at::equal(C, C.tril()))
    return Triangle::lower;
  return Triangle::full;
}

// sum_j ((x C_k)_j - (mu_k C_k)_j)^2 for every row x and component k, [N, K],
// without autograd: C's columns in blocks of 128, each block multiplied by
// the columns of X its non-zero rows meet only (5/8 of the full product's
// flops at d = 512 for a triangular C), into one cache-sized buffer that is
// reused for every chunk of rows and squared in place.
at::Tensor
squaredProjections(const at::Tensor & X, const at::Tensor & C, const at::Tensor & shift)
{
  const int64_t  d = C.size(1);
  const int64_t  K = C.size(0);
  const Triangle triangle = triangleOf(C);
  const int64_t  block = triangle != Triangle::full && d >= 256 ? 128 : d;
  struct ColumnBlock
  {
    int64_t    firstRow, endRow, width;
    at::Tensor weights; // [endRow - firstRow, K * width]: the block's columns of every C_k
    at::Tensor shift;   // [K, width]
  };
  std::vector<ColumnBlock> blocks;
  for (int64_t first = 0; first < d; first += block)
  {
    const int64_t end = std::min(d, first + block);
    const int64_t firstRow = triangle == Triangle::lower ? first : 0;
    const int64_t endRow = triangle == Triangle::upper ? end : d;
    blocks.push_back({ firstRow, endRow, end - first,
                       C.slice(1, firstRow, endRow).slice(2, first, end).permute({ 1, 0, 2 }).reshape({ endRow - firstRow, K * (end - first) }).contiguous(),
                       shift.slice(1, first, end).unsqueeze(0) });
  }
  const int64_t chunkRows =
    std::max<int64_t>(256, (int64_t{ 16 } << 20) / (K * block * static_cast<int64_t>(c10::elementSize(X.scalar_type()))));
  const int64_t N = X.size(0);
  at::Tensor    buffer = at::empty({ std::min(chunkRows, N) * K * block }, X.options());
  at::Tensor    squared = at::zeros({ N, K }, X.options());
  for (int64_t start = 0; start < N; start += chunkRows)
  {
    const int64_t    n = std::min(N, start + chunkRows) - start;
    const at::Tensor rows = X.slice(0, start, start + n);
    at::Tensor       sums = squared.slice(0, start, start + n);
    for (const ColumnBlock & columns : blocks)
    {
      at::Tensor projected = buffer.slice(0, 0, n * K * columns.width).view({ n, K * columns.width });
      at::mm_out(projected, rows.slice(1, columns.firstRow, columns.endRow), columns.weights);
      at::Tensor byComponent = projected.view({ n, K, columns.width });
      byComponent.sub_(columns.shift).pow_(2);
      sums.add_(byComponent.sum(2));
    }
  }
  return squared;
}

at::Tensor
componentLogDensity(const MixtureParameters &    mixture,
                    const at::Tensor &           X,
                    bool                         float32Compute,
                    at::ScalarType *             productDtype = nullptr,
                    c10::optional<at::ScalarType> resultDtype = c10::nullopt)
{
  const at::ScalarType result = resultDtype.value_or(X.scalar_type());
  // log N(x | mu_k, Sigma_k) = -d/2 log 2pi + log det C_k - |x C_k - mu_k C_k|^2 / 2
  const int64_t    d = mixture.dimension();
  const int64_t    K = mixture.components();
  const auto       dtype = float32Compute ? at::kFloat : X.scalar_type();
  const at::Tensor C = mixture.precisionCholesky.to(X.device(), dtype);
  const at::Tensor logDeterminant = at::log(at::diagonal(mixture.precisionCholesky, 0, 1, 2)).sum(1).to(X.device(), result);
  const at::Tensor shift = at::matmul(mixture.means.to(X.device(), dtype).unsqueeze(1), C).squeeze(1); // [K, d]
  if (productDtype != nullptr)
    *productDtype = dtype;
  at::Tensor squared;
  if (X.requires_grad() && at::GradMode::is_enabled())
  {
    // The differentiable path (NLL gradients): plain ops for autograd.
    const at::Tensor stacked = C.permute({ 1, 0, 2 }).reshape({ d, K * d }); // [d, K d]
    const at::Tensor projected = at::matmul(X.to(dtype), stacked).view({ X.size(0), K, d }) - shift.unsqueeze(0);
    squared = projected.pow(2).sum(2).to(result);
  }
  else
  {
    squared = squaredProjections(X.to(dtype), C, shift).to(result);
  }
  return -0.5 * (static_cast<double>(d) * std::log(2.0 * M_PI) + squared) + logDeterminant.unsqueeze(0);
}

// The mean log-likelihood of the rows under one Gaussian whose mean and
// covariance are their own (plus the regularisation on the diagonal): with
// Sigma = S + r I and S the rows' covariance about that mean, the mean
// Mahalanobis distance is tr(Sigma^-1 S) = d - r tr(Sigma^-1), no pass over
// the rows. K = 1's every EM iteration after the first M-step is this.
double
ownMomentsLogLikelihood(const MixtureParameters & mixture, double regularization)
{
  const int64_t    d = mixture.dimension();
  const at::Tensor C = mixture.precisionCholesky[0];
  const double     logDeterminant = at::log(at::diagonal(C)).sum().item<double>();
  const double     traceOfPrecision = C.pow(2).sum().item<double>(); // tr(C C^T)
  return -0.5 * (static_cast<double>(d) * std::log(2.0 * M_PI) + static_cast<double>(d) - regularization * traceOfPrecision) +
         logDeterminant;
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

namespace
{
void
checkEmInputs(const at::Tensor & samples, const EmOptions & options)
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
}

// One E-step and M-step: result.parameters become the next ones; returns
// the mean log-likelihood of the rows (over every process) under the old ones.
double
emIteration(const at::Tensor & X, const at::Tensor & productRows, const EmOptions & options, EmResult & result)
{
  const at::Tensor weighted = componentLogDensity(result.parameters, productRows, options.float32Compute,
                                                  &result.productDtype, X.scalar_type()) +
                              at::log(result.parameters.weights).unsqueeze(0);
  const at::Tensor logNormaliser = at::logsumexp(weighted, 1);
  const at::Tensor responsibilities = at::exp(weighted - logNormaliser.unsqueeze(1));
  result.parameters = maximisation(X, responsibilities, options.regularization, options.float32Compute,
                                   options.sumAcrossProcesses);
  std::vector<at::Tensor> likelihood{ logNormaliser.sum().reshape({ 1 }),
                                      at::full({ 1 }, static_cast<double>(X.size(0)), logNormaliser.options()) };
  sumOver(options.sumAcrossProcesses, likelihood);
  return (likelihood[0] / likelihood[1]).item<double>();
}
} // namespace

EmResult
fitEm(const at::Tensor & samples, const EmOptions & options, const MixtureParameters * initial)
{
  checkEmInputs(samples, options);
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

  // The E-step's products read X in their own precision: converted once, by
  // the first E-step that needs it (K = 1 from its own start needs none).
  at::Tensor productRows;
  // K = 1: every responsibility is 1, so every M-step returns the rows' own
  // mean and covariance; once the parameters are those, an iteration is the
  // closed-form log-likelihood (no pass over the rows) and the same M-step.
  bool   ownMoments = options.components == 1 && initial == nullptr;
  double lowerBound = -std::numeric_limits<double>::infinity();
  for (int64_t iteration = 1; iteration <= options.maxIterations; ++iteration)
  {
    const double previous = lowerBound;
    if (ownMoments)
    {
      lowerBound = ownMomentsLogLikelihood(result.parameters, options.regularization);
      result.productDtype = options.float32Compute ? at::kFloat : at::kDouble;
    }
    else
    {
      if (!productRows.defined())
        productRows = options.float32Compute ? X.to(at::kFloat) : X;
      lowerBound = emIteration(X, productRows, options, result);
      ownMoments = options.components == 1;
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
