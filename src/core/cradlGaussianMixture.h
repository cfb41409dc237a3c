#ifndef cradlGaussianMixture_h
#define cradlGaussianMixture_h

// Stage 2 of CRADL: a K-component full-covariance Gaussian mixture fitted by
// EM to the (standardised) representations, following scikit-learn's
// GaussianMixture step for step so that both reach the same fit from the
// same start.

#include "cradlCoreExport.h"
#include "cradlSettingDeclarations.h"
#include "cradlModelFile.h"

#include <ATen/ATen.h>

#include <functional>
#include <string>
#include <vector>

namespace cradl
{

/** Mixture parameters, float64. precisionCholesky[k] = C with C C^T the
 *  inverse covariance (scikit-learn's precisions_cholesky_). */
struct CRADL_CORE_EXPORT MixtureParameters
{
  at::Tensor weights;           // [K]
  at::Tensor means;             // [K, d]
  at::Tensor covariances;       // [K, d, d]
  at::Tensor precisionCholesky; // [K, d, d]

  int64_t
  components() const
  {
    return weights.size(0);
  }
  int64_t
  dimension() const
  {
    return means.size(1);
  }
  /** The same parameters on another device. */
  MixtureParameters
  to(const c10::Device & device) const;

  /** From covariances (precision Cholesky as scikit-learn computes it). */
  static MixtureParameters
  fromCovariances(const at::Tensor & weights, const at::Tensor & means, const at::Tensor & covariances);
  /** From precisions (scikit-learn's precisions_init): C = cholesky(P). */
  static MixtureParameters
  fromPrecisions(const at::Tensor & weights, const at::Tensor & means, const at::Tensor & precisions);
};

/** Per-sample log p(x) [N], differentiable with respect to X, computed in
 *  X's dtype on X's device; rows are processed in chunks to bound memory. */
CRADL_CORE_EXPORT at::Tensor
mixtureLogDensity(const MixtureParameters & mixture, const at::Tensor & X);

/** log N(x | mu_k, Sigma_k) + log w_k, [N, K]. */
CRADL_CORE_EXPORT at::Tensor
weightedComponentLogDensity(const MixtureParameters & mixture, const at::Tensor & X);

/** Sums tensors over the processes of a run, in place (DistributedGroup::allReduceSum). */
using ProcessSum = std::function<void(std::vector<at::Tensor> &)>;

struct CRADL_CORE_EXPORT EmOptions
{
  int64_t     components = 1;
  double      tolerance = defaults::fitter::Tolerance;  // on the change of the mean log-likelihood
  int64_t     maxIterations = defaults::fitter::MaximumNumberOfIterations;
  double      regularization = defaults::fitter::CovarianceRegularization; // added to every covariance's diagonal
  std::string initialisation = defaults::fitter::Initialization; // or "random" (random responsibilities, the paper)
  int64_t     kmeansIterations = 10; // Lloyd iterations after k-means++ seeding
  // k-means (seeding and Lloyd) on this many rows drawn at random, then one
  // assignment of every row; 0: all rows. Its passes over X dominate the
  // start of a large fit; the start differs a little, the fit it leads to
  // as little as any other start does.
  int64_t     kmeansSampleSize = 10000;
  uint64_t    seed = 0;
  bool        float32Compute = false; // float32 products, float64 sums: ~2x faster, ~1e-6 relative
  /** With several processes (each holding its own rows of X): sums the
   *  given tensors over the processes, in place (DistributedGroup::
   *  allReduceSum). EM's sufficient statistics and the log-likelihood go
   *  through it, so every process gets the mixture of all rows. Empty: one
   *  process. The start must then be the same everywhere: K = 1, or
   *  `initial` parameters (e.g. broadcast from rank 0). */
  ProcessSum sumAcrossProcesses;
};

struct CRADL_CORE_EXPORT EmResult
{
  MixtureParameters   parameters;
  int64_t             iterations = 0;
  bool                converged = false;
  double              lowerBound = 0.0; // mean log-likelihood at the last E-step
  std::vector<double> lowerBounds;
  // The dtype the E-step's projections were computed in: the witness of
  // EmOptions::float32Compute.
  at::ScalarType      productDtype = at::kDouble;
  double              initialisationSeconds = 0.0;
  double              emSeconds = 0.0;
};

/** EM on X [N, d] (float64 recommended; on any device). Starts from
 *  `initial` when given, else from options.initialisation. Throws
 *  std::invalid_argument for N < K, non-finite X or bad options. */
CRADL_CORE_EXPORT EmResult
fitEm(const at::Tensor & X, const EmOptions & options, const MixtureParameters * initial = nullptr);

/** EM's start from options.initialisation (k-means++ or random
 *  responsibilities, then one M-step) on X alone; for K = 1 the M-step's sums
 *  go through options.sumAcrossProcesses. */
CRADL_CORE_EXPORT MixtureParameters
initialMixture(const at::Tensor & X, const EmOptions & options);

/** Bayesian information criterion: -2 N mean log p + p log N, p the free
 *  parameters; N and the log-likelihood summed over the processes when
 *  `sumAcrossProcesses` is given (each holding its own rows of X). */
CRADL_CORE_EXPORT double
bayesianInformationCriterion(const MixtureParameters & mixture, const at::Tensor & X,
                             const ProcessSum & sumAcrossProcesses = {});

} // namespace cradl

#endif
