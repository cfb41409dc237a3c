#include "cradlGaussianMixture.h"
#include "cradlNpy.h"
#include "cradlTensorFiles.h"
#include "../cradlErrorModel.h"
#include "../cradlPythonOracle.h"

#include <gtest/gtest.h>

#include <cmath>
#include <iostream>

namespace
{
double
maxRelative(const at::Tensor & actual, const at::Tensor & expected)
{
  return ((actual - expected).abs() / expected.abs().clamp_min(1.0)).max().item<double>();
}

// Three anisotropic clusters in d dimensions plus a start far from the answer.
struct Problem
{
  at::Tensor               X;
  cradl::MixtureParameters start;
  at::Tensor               precisions;
};

Problem
clusters(int64_t n, int64_t d, int64_t K, uint64_t seed)
{
  at::manual_seed(seed);
  std::vector<at::Tensor> parts;
  for (int64_t k = 0; k < K; ++k)
  {
    const at::Tensor mix = at::randn({ d, d }, at::kDouble) * 0.5 + at::eye(d, at::kDouble);
    parts.push_back(at::matmul(at::randn({ n / K, d }, at::kDouble), mix) + 3.0 * at::randn({ 1, d }, at::kDouble));
  }
  Problem problem;
  problem.X = at::cat(parts, 0);
  const at::Tensor weights = at::full({ K }, 1.0 / K, at::kDouble);
  const at::Tensor means = problem.X.index_select(0, at::arange(0, K, at::kLong) * 7);
  problem.precisions = at::eye(d, at::kDouble).unsqueeze(0).repeat({ K, 1, 1 }) * 0.5;
  problem.start = cradl::MixtureParameters::fromPrecisions(weights, means, problem.precisions);
  return problem;
}

std::map<std::string, double>
sklearnFit(const Problem & problem, const std::filesystem::path & folder, double tol, int maxIter, double reg)
{
  cradl_test::saveTensor(folder / "X.npy", problem.X);
  cradl_test::saveTensor(folder / "weights.npy", problem.start.weights);
  cradl_test::saveTensor(folder / "means.npy", problem.start.means);
  cradl_test::saveTensor(folder / "precisions.npy", problem.precisions);
  return cradl_test::runPythonOracle("gmm_oracle.py", { folder.string(), std::to_string(tol), std::to_string(maxIter),
                                                        std::to_string(reg) });
}
} // namespace

TEST(GaussianMixture, OneComponentHasTheClosedFormFit)
{
  // K = 1: EM converges in one step to the sample mean and (biased) covariance + reg.
  at::manual_seed(1);
  const at::Tensor  X = at::randn({ 200, 3 }, at::kDouble) * at::tensor({ 1.0, 2.0, 0.5 }, at::kDouble) + 4.0;
  cradl::EmOptions  options;
  options.regularization = 1e-5;
  const auto        result = cradl::fitEm(X, options);
  const at::Tensor  centred = X - X.mean(0);
  const at::Tensor  covariance = at::matmul(centred.t(), centred) / 200.0 + at::eye(3, at::kDouble) * 1e-5;
  // Sums of N = 200 float64 terms on both sides: within 2 gamma_N of the
  // magnitudes summed (plus the mean's error carried into the centring).
  const double sums = 2 * cradl_test::gamma(200 + 3, cradl_test::Float64UnitRoundoff);
  EXPECT_LT(maxRelative(result.parameters.means[0], X.mean(0)), sums * X.abs().max().item<double>());
  EXPECT_LT(maxRelative(result.parameters.covariances[0], covariance),
            4 * sums * at::matmul(centred.abs().t(), centred.abs()).max().item<double>() / 200.0);
  EXPECT_DOUBLE_EQ(result.parameters.weights[0].item<double>(), 1.0);
  // log N by hand for the first sample.
  const at::Tensor difference = X[0] - X.mean(0);
  const double     quadratic = at::dot(difference, at::matmul(at::linalg_inv(covariance), difference)).item<double>();
  const double     expected = -0.5 * (3 * std::log(2 * M_PI) + at::logdet(covariance).item<double>() + quadratic);
  // Cholesky against inverse + LU log-determinant: each backward stable, off by
  // gamma_{d^2} times the covariance's condition number of the terms.
  const double condition = at::linalg_cond(covariance).item<double>();
  EXPECT_NEAR(cradl::mixtureLogDensity(result.parameters, X)[0].item<double>(), expected,
              2 * cradl_test::gamma(9, cradl_test::Float64UnitRoundoff) * condition *
                (3 * std::log(2 * M_PI) + std::abs(at::logdet(covariance).item<double>()) + quadratic));
}

class GaussianMixtureOracle : public ::testing::TestWithParam<std::tuple<int64_t, int64_t, int64_t, double>>
{};

TEST_P(GaussianMixtureOracle, MatchesSklearnFromTheSameStart)
{
  const auto [n, d, K, tol] = GetParam();
  const Problem problem = clusters(n, d, K, 7);
  const auto    folder = cradl_test::scratchFolder("gmm-" + std::to_string(n) + "-" + std::to_string(d));
  const auto    oracle = sklearnFit(problem, folder, tol, 200, 1e-5);

  // Model: sklearn and this code do the same float64 steps in other orders and
  // factorisations. One E-step or M-step is backward stable, off by
  // gamma_{N d} (its longest sums) times the covariances' condition number;
  // EM carries each iteration's error into the next without growing it near
  // its fixed point, so n iterations are off by at most n times that.
  const auto conditionOf = [](const at::Tensor & covariances) {
    return at::linalg_cond(covariances).max().item<double>();
  };
  const double step = cradl_test::gamma(n * d, cradl_test::Float64UnitRoundoff);
  EXPECT_LT(maxRelative(cradl::mixtureLogDensity(problem.start, problem.X), cradl_test::loadTensor(folder / "score_samples.npy")),
            2 * step * conditionOf(problem.start.covariances));
  cradl::EmOptions options;
  options.components = K;
  options.tolerance = tol;
  options.maxIterations = 200;
  const auto result = cradl::fitEm(problem.X, options, &problem.start);
  EXPECT_EQ(result.iterations, static_cast<int64_t>(oracle.at("n_iter")));
  EXPECT_EQ(result.converged, oracle.at("converged") != 0.0);
  const double fit = 2 * static_cast<double>(result.iterations + 1) * step *
                     std::max(conditionOf(result.parameters.covariances), conditionOf(problem.start.covariances));
  EXPECT_NEAR(result.lowerBound, oracle.at("lower_bound"), fit * std::abs(oracle.at("lower_bound")));
  EXPECT_LT(maxRelative(cradl::mixtureLogDensity(result.parameters, problem.X),
                        cradl_test::loadTensor(folder / "fitted_score_samples.npy")),
            fit);
  EXPECT_LT(maxRelative(result.parameters.weights, cradl_test::loadTensor(folder / "fitted_weights.npy")), fit);
  EXPECT_LT(maxRelative(result.parameters.means, cradl_test::loadTensor(folder / "fitted_means.npy")), fit);
  EXPECT_LT(maxRelative(result.parameters.covariances, cradl_test::loadTensor(folder / "fitted_covariances.npy")), fit);
}

INSTANTIATE_TEST_SUITE_P(Shapes,
                         GaussianMixtureOracle,
                         ::testing::Values(std::make_tuple(600L, 6L, 3L, 1e-6),   // to convergence
                                           std::make_tuple(300L, 40L, 2L, 1e-2),  // the authors' tol
                                           std::make_tuple(30L, 40L, 2L, 1e-3))); // N <= d: singular scatter + reg

// Rigorous bound on the float32 E-step's error in the mean log-likelihood at
// `mixture`: X, the means and C = precision Cholesky rounded to float32 (u
// each), the projections x C - mu C as dot products of length d (gamma_d
// each), their squares summed over d (gamma_d), a component's log-density off
// by half its squared norm's error, and log-sum-exp 1-Lipschitz in the max norm.
double
float32EStepErrorBound(const cradl::MixtureParameters & mixture, const at::Tensor & X)
{
  const int64_t    d = mixture.dimension();
  const double     u = cradl_test::Float32UnitRoundoff;
  const double     perProduct = cradl_test::gamma(d, u) + 2 * u;
  const at::Tensor C = mixture.precisionCholesky;                                     // [K, d, d]
  const at::Tensor projected = at::matmul(X.unsqueeze(0), C) - at::matmul(mixture.means.unsqueeze(1), C); // [K, N, d]
  const at::Tensor magnitude = at::matmul(X.abs().unsqueeze(0), C.abs()) + at::matmul(mixture.means.abs().unsqueeze(1), C.abs());
  const at::Tensor entryError = perProduct * magnitude + u * projected.abs();
  const at::Tensor squared = projected.pow(2).sum(2);
  const at::Tensor squaredError =
    (2 * projected.abs() * entryError + entryError.pow(2)).sum(2) + cradl_test::gamma(d, u) * squared;
  return (0.5 * std::get<0>(squaredError.max(0))).mean().item<double>();
}

TEST(GaussianMixture, Float32ComputeStaysClose)
{
  const Problem    problem = clusters(600, 16, 3, 5);
  cradl::EmOptions options;
  options.components = 3;
  options.tolerance = 1e-4;
  options.float32Compute = true;
  const auto fast = cradl::fitEm(problem.X, options, &problem.start);
  // The fast path ran: the E-step's products were float32.
  EXPECT_EQ(fast.productDtype, at::kFloat);
  // The float64 fit, stopped at the same iteration.
  options.float32Compute = false;
  options.tolerance = 0.0;
  options.maxIterations = fast.iterations;
  const auto exact = cradl::fitEm(problem.X, options, &problem.start);
  EXPECT_EQ(exact.productDtype, at::kDouble);
  ASSERT_EQ(exact.iterations, fast.iterations);
  // Near an EM fixed point the mean log-likelihood is stationary in the
  // parameters, so the float32 M-step moves it only to second order; what
  // remains is the E-step's rounding.
  const double bound = float32EStepErrorBound(exact.parameters, problem.X);
  EXPECT_NEAR(fast.lowerBound, exact.lowerBound, cradl_test::DrawSafetyFactor * bound) << "bound " << bound;
  EXPECT_LT(bound, 1e-3 * std::abs(exact.lowerBound)); // and the bound says something
}

TEST(GaussianMixture, InitialisationsGiveValidModels)
{
  const Problem problem = clusters(300, 5, 3, 3);
  for (const char * init : { "kmeans++", "random" })
  {
    cradl::EmOptions options;
    options.components = 3;
    options.initialisation = init;
    options.seed = 11;
    const auto result = cradl::fitEm(problem.X, options);
    EXPECT_TRUE(std::isfinite(result.lowerBound)) << init;
    EXPECT_NEAR(result.parameters.weights.sum().item<double>(), 1.0, cradl_test::gamma(2 * 3, cradl_test::Float64UnitRoundoff));
    // Same seed, same fit.
    const auto again = cradl::fitEm(problem.X, options);
    EXPECT_EQ(again.lowerBound, result.lowerBound) << init;
  }
  // k-means++ finds the three clusters: better than one Gaussian by far.
  cradl::EmOptions one;
  cradl::EmOptions three;
  three.components = 3;
  EXPECT_GT(cradl::fitEm(problem.X, three).lowerBound, cradl::fitEm(problem.X, one).lowerBound + 1.0);
}

TEST(GaussianMixture, BicPrefersTheRightNumberOfClusters)
{
  const Problem problem = clusters(600, 4, 3, 9);
  std::vector<double> bic;
  for (int64_t K : { 1, 2, 3, 6 })
  {
    cradl::EmOptions options;
    options.components = K;
    options.tolerance = 1e-4;
    bic.push_back(cradl::bayesianInformationCriterion(cradl::fitEm(problem.X, options).parameters, problem.X));
  }
  EXPECT_EQ(std::min_element(bic.begin(), bic.end()) - bic.begin(), 2); // K = 3
}

TEST(GaussianMixture, BadInputsAreRefused)
{
  cradl::EmOptions options;
  options.components = 5;
  EXPECT_THROW(cradl::fitEm(at::randn({ 4, 2 }, at::kDouble), options), std::invalid_argument);
  at::Tensor poisoned = at::randn({ 10, 2 }, at::kDouble);
  poisoned[3][1] = std::nan("");
  EXPECT_THROW(cradl::fitEm(poisoned, cradl::EmOptions()), std::invalid_argument);
  options.components = 1;
  options.initialisation = "spectral";
  EXPECT_THROW(cradl::fitEm(at::randn({ 10, 2 }, at::kDouble), options), std::invalid_argument);
}

TEST(GaussianMixture, LogDensityIsDifferentiable)
{
  const Problem    problem = clusters(90, 3, 3, 2);
  const at::Tensor x = problem.X.slice(0, 0, 4).clone().requires_grad_(true);
  cradl::mixtureLogDensity(problem.start, x).sum().backward();
  // Finite differences on one coordinate.
  const double     h = 1e-6;
  at::Tensor       plus = problem.X.slice(0, 0, 4).clone();
  at::Tensor       minus = plus.clone();
  plus[1][2] += h;
  minus[1][2] -= h;
  const double numeric = (cradl::mixtureLogDensity(problem.start, plus).sum().item<double>() -
                          cradl::mixtureLogDensity(problem.start, minus).sum().item<double>()) /
                         (2 * h);
  // Central difference: truncation h^2 times a third derivative over 6 (from
  // the quotient at 2h, as in the NLL-gradient test) and rounding of the
  // float64 log-densities over 2h.
  const auto quotient = [&](double step) {
    at::Tensor up = problem.X.slice(0, 0, 4).clone();
    at::Tensor down = up.clone();
    up[1][2] += step;
    down[1][2] -= step;
    return (cradl::mixtureLogDensity(problem.start, up).sum().item<double>() -
            cradl::mixtureLogDensity(problem.start, down).sum().item<double>()) /
           (2 * step);
  };
  const double truncation = std::abs(quotient(2 * h) - numeric) / 3.0;
  const double rounding = cradl_test::gamma(64, cradl_test::Float64UnitRoundoff) *
                          cradl::mixtureLogDensity(problem.start, plus).abs().sum().item<double>() / h;
  EXPECT_NEAR(x.grad()[1][2].item<double>(), numeric, cradl_test::DrawSafetyFactor * (truncation + rounding));
}

TEST(GaussianMixture, BlockedEStepEqualsTheDenseDensityForEveryTriangle)
{
  // d = 300: three column blocks (128, 128, 44), so the block bounds and the
  // rows each block reads are exercised; C upper (EM's own), lower (from
  // precisions).
  at::manual_seed(7);
  const int64_t    d = 300;
  const at::Tensor X = at::randn({ 500, d }, at::kDouble);
  const at::Tensor A = at::randn({ 2, d, d }, at::kDouble) / std::sqrt(static_cast<double>(d));
  const at::Tensor covariances = at::matmul(A, A.transpose(1, 2)) + at::eye(d, at::kDouble) * 0.5;
  const at::Tensor means = at::randn({ 2, d }, at::kDouble) * 0.3;
  const at::Tensor weights = at::tensor({ 0.3, 0.7 }, at::kDouble);
  const auto       upper = cradl::MixtureParameters::fromCovariances(weights, means, covariances);
  const auto       lower = cradl::MixtureParameters::fromPrecisions(weights, means, at::linalg_inv(covariances));
  ASSERT_TRUE(at::equal(upper.precisionCholesky, upper.precisionCholesky.triu()));
  ASSERT_TRUE(at::equal(lower.precisionCholesky, lower.precisionCholesky.tril()));
  // The reference: (x - mu)^T Sigma^-1 (x - mu) through a solve, no factor of C.
  const at::Tensor centred = X.unsqueeze(0) - means.unsqueeze(1); // [K, N, d]
  const at::Tensor quadratic = (centred * at::linalg_solve(covariances, centred.transpose(1, 2)).transpose(1, 2)).sum(2).t();
  const at::Tensor expected = -0.5 * (d * std::log(2 * M_PI) + at::logdet(covariances).unsqueeze(0) + quadratic) +
                              at::log(weights).unsqueeze(0);
  // Both sides are backward-stable float64 evaluations: within gamma_{d^2}
  // times the condition number of the magnitudes involved.
  const double bound = cradl_test::gamma(d * d, cradl_test::Float64UnitRoundoff) * at::linalg_cond(covariances).max().item<double>() *
                       (expected.abs().max().item<double>() + 1.0);
  for (const cradl::MixtureParameters * mixture : { &upper, &lower })
  {
    const at::Tensor blocked = cradl::weightedComponentLogDensity(*mixture, X);
    EXPECT_LT((blocked - expected).abs().max().item<double>(), bound);
    // The differentiable (dense) path gives the same numbers.
    const at::Tensor dense = cradl::weightedComponentLogDensity(*mixture, X.clone().requires_grad_()).detach();
    EXPECT_LT((blocked - dense).abs().max().item<double>(), bound);
  }
}

TEST(GaussianMixture, OneComponentsLowerBoundIsTheMeanLogLikelihoodOfItsFit)
{
  // K = 1 iterates without passes over the rows (the closed form of the mean
  // Mahalanobis distance); the lower bound must still be the rows' mean
  // log-likelihood under the fit, computed here row by row.
  at::manual_seed(3);
  const at::Tensor X = at::randn({ 2000, 300 }, at::kDouble) * at::linspace(0.5, 2.0, 300, at::kDouble) + 1.0;
  for (const bool float32 : { false, true })
  {
    cradl::EmOptions options;
    options.regularization = 1e-2;
    options.float32Compute = float32;
    const auto   result = cradl::fitEm(X, options);
    const double direct = cradl::mixtureLogDensity(result.parameters, X).mean().item<double>();
    EXPECT_EQ(result.iterations, 2);
    EXPECT_TRUE(result.converged);
    // The closed form takes Sigma - r I for the rows' scatter S; the computed
    // scatter is off by gamma_N(u) |X - mu|^T |X - mu| / N (u of the compute
    // precision), which moves the mean Mahalanobis distance tr(Sigma^-1 S) by
    // at most |Sigma^-1|_F |dS|_F. The direct side is a float64 evaluation.
    const double     u = float32 ? cradl_test::Float32UnitRoundoff : cradl_test::Float64UnitRoundoff;
    const at::Tensor centred = (X - X.mean(0)).abs();
    const at::Tensor covariance = result.parameters.covariances[0];
    const double     scatterError = cradl_test::gamma(2000 + 300, u) * at::matmul(centred.t(), centred).norm().item<double>() / 2000;
    const double     bound = 0.5 * at::linalg_inv(covariance).norm().item<double>() * scatterError +
                         cradl_test::gamma(300 * 300, cradl_test::Float64UnitRoundoff) * at::linalg_cond(covariance).item<double>() *
                           std::abs(direct);
    EXPECT_NEAR(result.lowerBound, direct, bound) << (float32 ? "float32" : "float64") << " compute";
  }
}
