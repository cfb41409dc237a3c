#include "cradlAugment.h"
#include "../cradlErrorModel.h"

#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>

#include <cmath>

namespace
{
// The geometric path (affine_grid + grid_sample, float32): a sample position is
// off by at most gamma_8 x the slice size in pixels (a 3-term affine map, its
// normalisation and back), so a bilinear value by that times the largest
// difference of neighbours (at most twice the largest |value|), plus one rounding.
double
geometricError(const at::Tensor & input)
{
  const double peak = input.abs().max().item<double>();
  return cradl_test::gamma(8, cradl_test::Float32UnitRoundoff) * static_cast<double>(input.size(3)) * 2 * peak +
         cradl_test::Float32UnitRoundoff * peak;
}

at::Tensor
slices(int64_t n = 4, int64_t size = 32)
{
  return at::rand({ n, 1, size, size }, at::make_generator<at::CPUGeneratorImpl>(1)) * 2.0 - 1.0;
}
at::Generator
generator(uint64_t seed = 7)
{
  return at::make_generator<at::CPUGeneratorImpl>(seed);
}
double
maxDifference(const at::Tensor & a, const at::Tensor & b)
{
  return (a - b).abs().max().item<double>();
}
} // namespace

TEST(Augment, IdentityParametersGiveIdentity)
{
  auto       random = generator();
  const auto input = slices();
  EXPECT_TRUE(at::equal(cradl::augment(input, cradl::AugmentationOptions::none(), random), input));

  // The geometric path with an identity transform is exact too (pixel centres).
  auto options = cradl::AugmentationOptions::none();
  options.rotate = true;
  options.maxRotation = 0.0;
  EXPECT_LT(maxDifference(cradl::augment(input, options, random), input), geometricError(input));
}

TEST(Augment, MirrorFlipsLeftRight)
{
  auto options = cradl::AugmentationOptions::none();
  options.mirror = true;
  options.mirrorProbability = 1.0;
  auto       random = generator();
  const auto input = slices();
  EXPECT_LT(maxDifference(cradl::augment(input, options, random), input.flip({ 3 })), geometricError(input));
}

TEST(Augment, BrightnessScalesEachViewByItsFactor)
{
  auto options = cradl::AugmentationOptions::none();
  options.brightness = true;
  options.clipLow = -100;
  options.clipHigh = 100;
  auto       random = generator();
  const auto input = slices();
  const auto parameters = cradl::drawAugmentation(4, options, random);
  const auto output = cradl::applyAugmentation(input, parameters, options, random);
  for (int64_t view = 0; view < 4; ++view)
  {
    const float factor = parameters.brightness[view].item<float>();
    EXPECT_GE(factor, 0.95f);
    EXPECT_LE(factor, 1.1f);
    // One float32 product each side.
    EXPECT_LT(maxDifference(output[view], input[view] * factor),
              2 * cradl_test::Float32UnitRoundoff * 1.1 * input.abs().max().item<double>());
  }
  EXPECT_NE(parameters.brightness[0].item<float>(), parameters.brightness[1].item<float>()); // each view its own
}

TEST(Augment, NoiseHasTheDrawnStandardDeviation)
{
  auto options = cradl::AugmentationOptions::none();
  options.noise = true;
  options.clipLow = -100;
  options.clipHigh = 100;
  auto       random = generator();
  const auto input = slices(3, 128);
  const auto parameters = cradl::drawAugmentation(3, options, random);
  const auto output = cradl::applyAugmentation(input, parameters, options, random);
  for (int64_t view = 0; view < 3; ++view)
  {
    const double expected = parameters.noiseStd[view].item<double>();
    EXPECT_LE(expected, 0.05);
    // The sample standard deviation of n Gaussian draws has a relative standard
    // error of 1/sqrt(2(n - 1)): four of those.
    const double n = static_cast<double>(input[view].numel());
    EXPECT_NEAR((output[view] - input[view]).std().item<double>(), expected, 4.0 / std::sqrt(2 * (n - 1)) * expected);
  }
}

TEST(Augment, ClipBoundsTheValues)
{
  auto options = cradl::AugmentationOptions::none();
  options.brightness = true;
  options.brightnessLow = options.brightnessHigh = 3.0;
  auto       random = generator();
  const auto output = cradl::augment(slices(), options, random);
  EXPECT_LE(output.max().item<float>(), 1.5f);
  EXPECT_GE(output.min().item<float>(), -1.5f);
  EXPECT_EQ(output.max().item<float>(), 1.5f);
}

// A quarter turn moves pixel centres onto pixel centres: out(x, y) = in(-y, x),
// i.e. out[row j][col i] = in[row i][col S-1-j].
TEST(Augment, RotationTurnsTheSamplingGrid)
{
  auto       options = cradl::AugmentationOptions::none();
  auto       random = generator();
  const auto input = slices(1, 4);
  cradl::AugmentationParameters quarter;
  quarter.theta = at::tensor({ 0.0f, -1.0f, 0.0f, 1.0f, 0.0f, 0.0f }).view({ 1, 2, 3 });
  quarter.brightness = at::ones({ 1 });
  quarter.noiseStd = at::zeros({ 1 });
  options.rotate = true; // take the geometric path
  const auto output = cradl::applyAugmentation(input, quarter, options, random);
  for (int64_t j = 0; j < 4; ++j)
    for (int64_t i = 0; i < 4; ++i)
    {
      EXPECT_NEAR(output[0][0][j][i].item<float>(), input[0][0][i][3 - j].item<float>(), geometricError(input));
    }

  // Drawn angles stay within +-maxRotation and scale within its range.
  options.maxRotation = 0.1;
  options.scale = true;
  const auto drawn = cradl::drawAugmentation(1000, options, random).theta;
  const auto a = drawn.select(2, 0).select(1, 0); // cos * zoom
  const auto b = drawn.select(2, 0).select(1, 1); // sin * zoom
  const auto angle = at::atan2(b, a);
  const auto zoom = at::sqrt(a * a + b * b);
  // Angles and zooms drawn in float32 and recovered by atan2 / hypot: a few roundings.
  const double drawn32 = 8 * cradl_test::Float32UnitRoundoff;
  EXPECT_LE(angle.abs().max().item<double>(), 0.1 * (1 + drawn32));
  EXPECT_GE(zoom.min().item<double>(), 0.9 * (1 - drawn32));
  EXPECT_LE(zoom.max().item<double>(), 1.2 * (1 + drawn32));
}

TEST(Augment, CropResizesTo129AndShiftsTheCentre)
{
  auto options = cradl::AugmentationOptions::none();
  options.crop = true;
  options.cropCentreLow = options.cropCentreHigh = 0.6;
  auto       random = generator();
  const auto theta = cradl::drawAugmentation(2, options, random).theta;
  // float32 entries, each a couple of roundings of its exact value.
  const double entry = 4 * cradl_test::Float32UnitRoundoff;
  EXPECT_NEAR(theta[0][0][0].item<double>(), 128.0 / 129.0, entry);
  EXPECT_NEAR(theta[0][1][1].item<double>(), 128.0 / 129.0, entry);
  EXPECT_NEAR(theta[1][0][2].item<double>(), 0.2, entry); // 2 * 0.6 - 1
  EXPECT_NEAR(theta[1][1][2].item<double>(), 0.2, entry);

  // The default centre range U(42, 87) of 129 pixels.
  auto       defaults = cradl::AugmentationOptions();
  defaults.rotate = defaults.scale = defaults.mirror = false;
  const auto shifts = cradl::drawAugmentation(2000, defaults, random).theta.select(2, 2);
  EXPECT_GE(shifts.min().item<double>(), 2.0 * 42 / 129 - 1 - 4 * cradl_test::Float32UnitRoundoff); // float32 shifts
  EXPECT_LE(shifts.max().item<double>(), 2.0 * 87 / 129 - 1 + 4 * cradl_test::Float32UnitRoundoff);
}

TEST(Augment, SeededAndEachViewIndependent)
{
  const auto input = slices(6, 32);
  auto       first = generator(5);
  auto       second = generator(5);
  auto       other = generator(6);
  const auto a = cradl::augment(input, {}, first);
  EXPECT_TRUE(at::equal(a, cradl::augment(input, {}, second)));
  EXPECT_FALSE(at::equal(a, cradl::augment(input, {}, other)));
  // Two views of one slice differ.
  EXPECT_GT(maxDifference(cradl::augment(input, {}, first), a), 1e-3);
}
