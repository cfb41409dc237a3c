// cradl bench gmm: EM fit of a full-covariance Gaussian mixture to a .npy
// matrix; the counterpart of the anchor gmm_sklearn.py (--dump writes its data).
#include "cradlBenchSupport.h"
#include "cradlBenchCommands.h"

#include "cradlDevice.h"
#include "cradlGaussianMixture.h"
#include "cradlNpy.h"
#include "cradlThreads.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <iostream>

namespace cradl_cli
{

namespace
{
struct Options
{
  std::string input;
  int64_t     rows = 0;
  int64_t     components = 4;
  double      tolerance = 0.1;
  int64_t     maxIterations = 100;
  double      regularization = 1e-6;
  std::string initialisation = "kmeans++";
  int         threads = 0;
  bool        float32Compute = false;
  int64_t     kmeansSample = cradl::EmOptions{}.kmeansSampleSize;
  std::string device = "cpu";
};

void
run(const Options & options)
{
  cradl::setComputeThreads(options.threads > 0 ? options.threads : cradl::availableCores());
  const auto array = cradl::readNpy(options.input);
  if (array.shape.size() != 2)
  {
    throw std::runtime_error("--input must be an [N, d] matrix");
  }
  at::Tensor X = at::tensor(array.asDoubles(), at::kDouble).view(array.shape);
  if (options.rows > 0)
  {
    X = X.slice(0, 0, options.rows).contiguous();
  }
  X = X.to(cradl::parseDevice(options.device));
  cradl::EmOptions em;
  em.components = options.components;
  em.tolerance = options.tolerance;
  em.maxIterations = options.maxIterations;
  em.regularization = options.regularization;
  em.initialisation = options.initialisation;
  em.float32Compute = options.float32Compute;
  em.kmeansSampleSize = options.kmeansSample;

  const auto start = std::chrono::steady_clock::now();
  const auto result = cradl::fitEm(X, em);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double N = static_cast<double>(X.size(0));
  const double d = static_cast<double>(X.size(1));
  // E-step projections and M-step scatter: 2 N d^2 each, per component.
  const double flopsPerIteration = 4.0 * N * options.components * d * d;

  nlohmann::json out;
  out["bench"] = "gmm";
  out["N"] = X.size(0);
  out["d"] = X.size(1);
  out["components"] = options.components;
  out["init"] = options.initialisation;
  out["tol"] = options.tolerance;
  out["reg_covar"] = options.regularization;
  out["float32_compute"] = options.float32Compute;
  out["kmeans_sample"] = options.kmeansSample;
  out["threads"] = cradl::computeThreads();
  out["fit_s"] = seconds;
  out["init_s"] = result.initialisationSeconds;
  out["n_iter"] = result.iterations;
  out["converged"] = result.converged;
  out["s_per_iter"] = result.emSeconds / static_cast<double>(result.iterations);
  // K = 1 iterates in closed form (no pass over the rows): no product rate.
  out["closed_form_iterations"] = options.components == 1;
  out["gflop_per_s"] = options.components == 1 ? nlohmann::json() : nlohmann::json(flopsPerIteration * result.iterations / result.emSeconds / 1e9);
  out["mean_loglik"] = result.lowerBound;
  printBenchResult(out);
}
} // namespace

void
addBenchGmm(CLI::App & bench)
{
  auto   options = std::make_shared<Options>();
  auto * command = bench.add_subcommand("gmm", "EM fit of a Gaussian mixture to an [N, d] .npy; one JSON line");
  command->add_option("--input", options->input, "float64/float32 [N, d] .npy (C order)")->required()->check(CLI::ExistingFile);
  command->add_option("--rows", options->rows, "use the first N rows (0 = all)")->capture_default_str();
  command->add_option("--components", options->components, "K")->capture_default_str();
  command->add_option("--tol", options->tolerance, "stop when the mean log-likelihood changes less")->capture_default_str();
  command->add_option("--max-iter", options->maxIterations, "most EM iterations")->capture_default_str();
  command->add_option("--reg", options->regularization, "added to covariance diagonals")->capture_default_str();
  command->add_option("--init", options->initialisation, "kmeans++ or random")->capture_default_str();
  command->add_option("--threads", options->threads, "threads (0 = all cores)")->capture_default_str();
  command->add_option("--device", options->device, "cpu, cuda or cuda:N")->capture_default_str();
  command->add_flag("--float32", options->float32Compute, "float32 products with float64 sums");
  command->add_option("--kmeans-sample", options->kmeansSample, "k-means on this many random rows (0 = all)")
    ->capture_default_str();
  command->callback([options] { run(*options); });
}

} // namespace cradl_cli
