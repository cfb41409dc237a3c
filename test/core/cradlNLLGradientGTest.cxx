#include "cradlNLLGradient.h"
#include "cradlRoundingModel.h"

#include <gtest/gtest.h>
#include <torch/cuda.h>

#include <algorithm>

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

// The tiny encoder's longest sum of products (its last conv, 4 x 4 x 8
// channels) and its multiply-adds per 64 x 64 slice (~4e5).
constexpr int64_t LongestReduction = 4 * 4 * 8;
constexpr double  MultiplyAddsPerSlice = 4.0e5;

double
relativeL2(const at::Tensor & actual, const at::Tensor & exact)
{
  return ((actual.to(at::kDouble) - exact.to(at::kDouble)).norm() / exact.to(at::kDouble).norm()).item<double>();
}

double
maxAbsolute(const at::Tensor & actual, const at::Tensor & exact)
{
  return (actual.to(at::kDouble) - exact.to(at::kDouble)).abs().max().item<double>();
}

struct ModelDeviation
{
  double mapRelativeL2 = 0.0;  // ||map - exact|| / ||exact||
  double mapMaxRelative = 0.0; // max |map - exact| / max |exact|
  double nllMaxAbsolute = 0.0;
};

// The largest deviation from the exact (float64) result over a few draws of
// the rounding model (cradlRoundingModel.h) with unit round-off u.
ModelDeviation
roundingModelDeviation(const Scoring & scoring, const at::Tensor & slices, double unitRoundoff)
{
  auto         exactEncoder = cradl_test::float64Copy(scoring.encoder, cradl::ContrastiveEncoder(scoring.encoder->options()));
  const auto   exact = cradl::nllGradient(exactEncoder, scoring.density, slices.to(at::kDouble));
  const double mapPeak = exact.map.abs().max().item<double>();
  ModelDeviation deviation;
  for (uint64_t draw = 0; draw < 4; ++draw)
  {
    cradl_test::RoundingPerturbation perturb(unitRoundoff, 100 + draw);
    auto                             encoder = cradl_test::float64Copy(scoring.encoder, cradl::ContrastiveEncoder(scoring.encoder->options()));
    encoder->eval();
    perturb.perturbWeights(*encoder);
    at::Tensor       batch = slices.to(at::kDouble).requires_grad_(true);
    const at::Tensor nll = -scoring.density.logDensity(perturb.forward(encoder->layers, batch).flatten(1));
    nll.sum().backward();
    const at::Tensor map = batch.grad().abs();
    deviation.mapRelativeL2 = std::max(deviation.mapRelativeL2, relativeL2(map, exact.map));
    deviation.mapMaxRelative = std::max(deviation.mapMaxRelative, maxAbsolute(map, exact.map) / mapPeak);
    deviation.nllMaxAbsolute = std::max(deviation.nllMaxAbsolute, maxAbsolute(nll.detach(), exact.nll));
  }
  return deviation;
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
  // Evaluation error of the NLL in float64: independent roundings of the
  // multiply-adds, growing like the square root of their count.
  const at::Tensor nll = nllOf(slices);
  const double     evaluationError =
    std::sqrt(MultiplyAddsPerSlice) * cradl_test::Float64UnitRoundoff * nll.abs().max().item<double>();
  EXPECT_LE(maxAbsolute(result.nll, nll), 2 * evaluationError);
  // Central differences: truncation h^2 f'''/6, estimated from the quotients
  // at h and 2h (they differ by 3x the truncation at h); rounding 2e / 2h.
  const double h = 1e-5;
  const auto   quotient = [&](int n, int y, int x, double step) {
    at::Tensor plus = slices.clone();
    at::Tensor minus = slices.clone();
    plus[n][0][y][x] += step;
    minus[n][0][y][x] -= step;
    return (nllOf(plus)[n] - nllOf(minus)[n]).item<double>() / (2 * step);
  };
  for (const auto & [n, y, x] : { std::tuple<int, int, int>{ 0, 10, 20 }, { 1, 31, 32 }, { 1, 0, 63 }, { 0, 50, 5 } })
  {
    const double numeric = quotient(n, y, x, h);
    const double truncation = std::abs(quotient(n, y, x, 2 * h) - numeric) / 3.0;
    const double rounding = evaluationError / h;
    EXPECT_NEAR(result.map[n][0][y][x].item<double>(), std::abs(numeric),
                cradl_test::DrawSafetyFactor * (truncation + rounding))
      << n << " " << y << " " << x << ": truncation " << truncation << ", rounding " << rounding;
  }
}

TEST(NLLGradient, BatchedEqualsOneSliceAtATime)
{
  Scoring          scoring = tinyScoring(at::kFloat);
  const at::Tensor slices = at::randn({ 5, 1, 64, 64 });
  const auto       batched = cradl::nllGradient(scoring.encoder, scoring.density, slices, 5);
  const auto       single = cradl::nllGradient(scoring.encoder, scoring.density, slices, 1);
  const auto       uneven = cradl::nllGradient(scoring.encoder, scoring.density, slices, 2);
  // Each batch size may get its own kernel and summation order. Each result
  // is within one float32 rounding model of the exact one (sums of up to
  // LongestReduction terms, errors growing like its square root), so two
  // results differ by at most twice that.
  const auto model = roundingModelDeviation(
    scoring, slices, cradl_test::Float32UnitRoundoff * std::sqrt(static_cast<double>(LongestReduction)));
  ASSERT_GT(model.mapMaxRelative, 0.0); // the model did perturb
  const double mapBound = 2 * cradl_test::DrawSafetyFactor * model.mapMaxRelative * single.map.abs().max().item<double>();
  EXPECT_LE(maxAbsolute(batched.map, single.map), mapBound);
  EXPECT_LE(maxAbsolute(uneven.map, single.map), mapBound);
  EXPECT_LE(maxAbsolute(batched.nll, single.nll), 2 * cradl_test::DrawSafetyFactor * model.nllMaxAbsolute);
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
  // The fast path ran: the encoder's output was bfloat16.
  EXPECT_EQ(fast.representationDtype, at::kBFloat16);
  EXPECT_EQ(exact.representationDtype, at::kFloat);
  // bfloat16 keeps 8 significant bits: the tolerance is what the rounding
  // model with u = 2^-8 does to this encoder's map and NLL (float32's own
  // error is 2^16 times smaller and left out).
  const auto model = roundingModelDeviation(scoring, slices, cradl_test::Bfloat16UnitRoundoff);
  EXPECT_LT(relativeL2(fast.map, exact.map), cradl_test::DrawSafetyFactor * model.mapRelativeL2)
    << "model " << model.mapRelativeL2;
  EXPECT_LT(maxAbsolute(fast.nll, exact.nll), cradl_test::DrawSafetyFactor * model.nllMaxAbsolute)
    << fast.nll << exact.nll << "model " << model.nllMaxAbsolute;
  // A bound that loose would also pass a broken map: it is not.
  EXPECT_LT(model.mapRelativeL2, 0.5);
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
  // cuDNN may run float32 convolutions in TF32 (10 stored bits): the model at
  // that round-off bounds both devices' distance from the exact result.
  scoring.encoder->to(at::kCPU);
  const auto model = roundingModelDeviation(scoring, slices, cradl_test::Tf32UnitRoundoff);
  EXPECT_LT(relativeL2(onGpu.map, onCpu.map), 2 * cradl_test::DrawSafetyFactor * model.mapRelativeL2);
  EXPECT_LT(maxAbsolute(onGpu.nll, onCpu.nll), 2 * cradl_test::DrawSafetyFactor * model.nllMaxAbsolute);
}
