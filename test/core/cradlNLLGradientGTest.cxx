#include "cradlNLLGradient.h"

#include <gtest/gtest.h>
#include <torch/cuda.h>

namespace
{
struct Scoring
{
  cradl::ContrastiveEncoder    encoder{ nullptr };
  cradl::RepresentationDensity density;
};

// A tiny encoder (64 px, nf 2, nz 4) with BN statistics that are not the
// defaults, and a 2-component mixture over its standardised outputs.
Scoring
tinyScoring(at::ScalarType dtype)
{
  at::manual_seed(4);
  cradl::EncoderOptions options;
  options.imageSize = 64;
  options.nf = 2;
  options.nz = 4;
  Scoring scoring{ cradl::ContrastiveEncoder(options), {} };
  scoring.encoder->train();
  {
    torch::NoGradGuard noGrad;
    for (int i = 0; i < 3; ++i)
      scoring.encoder->forward(at::randn({ 8, 1, 64, 64 }));
  }
  scoring.encoder->to(dtype);
  scoring.encoder->eval();
  const at::Tensor means = at::randn({ 2, 4 }, at::kDouble) * 0.5;
  const at::Tensor root = at::randn({ 2, 4, 4 }, at::kDouble) * 0.3;
  const at::Tensor covariances = at::matmul(root, root.transpose(1, 2)) + at::eye(4, at::kDouble);
  scoring.density.mixture =
    cradl::MixtureParameters::fromCovariances(at::tensor({ 0.3, 0.7 }, at::kDouble), means, covariances);
  scoring.density.featureMean = at::randn({ 4 }, at::kDouble) * 0.1;
  scoring.density.featureStd = at::rand({ 4 }, at::kDouble) + 0.5;
  return scoring;
}
} // namespace

TEST(NLLGradient, EqualsFiniteDifferences)
{
  Scoring          scoring = tinyScoring(at::kDouble); // float64 so that differences are exact enough
  const at::Tensor slices = at::randn({ 2, 1, 64, 64 }, at::kDouble);
  const auto       result = cradl::nllGradient(scoring.encoder, scoring.density, slices);
  const auto nllOf = [&](const at::Tensor & x) {
    torch::NoGradGuard noGrad;
    return -scoring.density.logDensity(scoring.encoder->forward(x));
  };
  EXPECT_TRUE(at::allclose(result.nll, nllOf(slices)));
  const double h = 1e-5;
  for (const auto & [n, y, x] : { std::tuple<int, int, int>{ 0, 10, 20 }, { 1, 31, 32 }, { 1, 0, 63 }, { 0, 50, 5 } })
  {
    at::Tensor plus = slices.clone();
    at::Tensor minus = slices.clone();
    plus[n][0][y][x] += h;
    minus[n][0][y][x] -= h;
    const double numeric = (nllOf(plus)[n] - nllOf(minus)[n]).item<double>() / (2 * h);
    EXPECT_NEAR(result.map[n][0][y][x].item<double>(), std::abs(numeric), 1e-5 * std::max(1.0, std::abs(numeric)))
      << n << " " << y << " " << x;
  }
}

TEST(NLLGradient, BatchedEqualsOneSliceAtATime)
{
  Scoring          scoring = tinyScoring(at::kFloat);
  const at::Tensor slices = at::randn({ 5, 1, 64, 64 });
  const auto       batched = cradl::nllGradient(scoring.encoder, scoring.density, slices, 5);
  const auto       single = cradl::nllGradient(scoring.encoder, scoring.density, slices, 1);
  const auto       uneven = cradl::nllGradient(scoring.encoder, scoring.density, slices, 2);
  EXPECT_TRUE(at::allclose(batched.map, single.map, 1e-5, 1e-7));
  EXPECT_TRUE(at::allclose(batched.nll, single.nll, 1e-6, 1e-6));
  EXPECT_TRUE(at::allclose(uneven.map, single.map, 1e-5, 1e-7));
  // Weights are left as they were: no gradients accumulated on them.
  for (const auto & weight : scoring.encoder->parameters())
  {
    EXPECT_FALSE(weight.grad().defined());
  }
}

TEST(NLLGradient, Bfloat16StaysCloseToFloat32)
{
  Scoring          scoring = tinyScoring(at::kFloat);
  const at::Tensor slices = at::randn({ 4, 1, 64, 64 });
  const auto       exact = cradl::nllGradient(scoring.encoder, scoring.density, slices);
  const auto       fast = cradl::nllGradient(scoring.encoder, scoring.density, slices, 64, true);
  // bfloat16 keeps 8 bits of mantissa: maps agree in shape, not to the last digit.
  const double relative = ((fast.map - exact.map).norm() / exact.map.norm()).item<double>();
  const double cosine =
    ((fast.map * exact.map).sum() / (fast.map.norm() * exact.map.norm())).item<double>();
  EXPECT_LT(relative, 0.1);
  EXPECT_GT(cosine, 0.99);
  EXPECT_TRUE(at::allclose(fast.nll, exact.nll, 0.05, 0.05)) << fast.nll << exact.nll;
}

TEST(NLLGradient, RunsOnCuda)
{
  if (!torch::cuda::is_available())
  {
    GTEST_SKIP() << "no CUDA GPU";
  }
  Scoring          scoring = tinyScoring(at::kFloat);
  const at::Tensor slices = at::randn({ 3, 1, 64, 64 });
  const auto       onCpu = cradl::nllGradient(scoring.encoder, scoring.density, slices);
  scoring.encoder->to(at::kCUDA);
  const auto onGpu = cradl::nllGradient(scoring.encoder, scoring.density, slices);
  EXPECT_TRUE(at::allclose(onCpu.map, onGpu.map, 1e-3, 1e-5));
  EXPECT_TRUE(at::allclose(onCpu.nll, onGpu.nll, 1e-4, 1e-4));
}
