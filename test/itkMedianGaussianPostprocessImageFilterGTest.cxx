#include "itkMedianGaussianPostprocessImageFilter.h"
#include "cradlErrorModel.h"
#include "cradlNpy.h"
#include "cradlPythonOracle.h"
#include "cradlTestImages.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace
{
using Map3D = itk::Image<float, 3>;
using Mask3D = itk::Image<unsigned char, 3>;
using Map2D = itk::Image<float, 2>;
using Mask2D = itk::Image<unsigned char, 2>;

template <typename TMap, typename TMask>
void
expectEqualsScipy(const TMap * map, const TMask * mask, unsigned int medianRadius, double sigma, unsigned int radius,
                  const std::string & name)
{
  auto filter = itk::MedianGaussianPostprocessImageFilter<TMap, TMask>::New();
  filter->SetInput(map);
  filter->SetMaskImage(mask);
  filter->SetMedianRadius(medianRadius);
  filter->SetGaussianSigma(sigma);
  filter->SetGaussianRadius(radius);
  filter->Update();
  const TMap * out = filter->GetOutput();
  EXPECT_EQ(out->GetLargestPossibleRegion(), map->GetLargestPossibleRegion());
  EXPECT_EQ(out->GetOrigin(), map->GetOrigin());
  EXPECT_EQ(out->GetDirection(), map->GetDirection());

  const auto size = map->GetLargestPossibleRegion().GetSize();
  const int64_t slices = TMap::ImageDimension == 3 ? size[TMap::ImageDimension - 1] : 1;
  const std::vector<int64_t> shape{ slices, static_cast<int64_t>(size[1]), static_cast<int64_t>(size[0]) };
  const auto folder = cradl_test::scratchFolder("postprocess-" + name);
  cradl::writeNpy((folder / "map.npy").string(), "<f4", shape, map->GetBufferPointer());
  cradl::writeNpy((folder / "mask.npy").string(), "|u1", shape, mask->GetBufferPointer());
  cradl_test::runPythonOracle("postprocess_oracle.py",
                              { (folder / "map.npy").string(), (folder / "mask.npy").string(),
                                (folder / "out.npy").string(), std::to_string(medianRadius), std::to_string(sigma),
                                std::to_string(radius) });
  const auto   expected = cradl::readNpy((folder / "out.npy").string()).asFloats();
  const auto   count = map->GetLargestPossibleRegion().GetNumberOfPixels();
  double       worst = 0.0;
  double       peak = 0.0;
  for (itk::SizeValueType i = 0; i < count; ++i)
  {
    worst = std::max(worst, std::abs(static_cast<double>(out->GetBufferPointer()[i]) - expected[i]));
    peak = std::max(peak, std::abs(static_cast<double>(map->GetBufferPointer()[i])));
  }
  // The median selects a value: exact. The Gaussian is two separable float32
  // passes of 2R+1 taps whose weights sum to 1, so it is within
  // gamma_{2(2R+1)} of the input's peak; scipy rounds its float64 result once.
  const double bound =
    (cradl_test::gamma(2 * (2 * radius + 1), cradl_test::Float32UnitRoundoff) + cradl_test::Float32UnitRoundoff) * peak;
  EXPECT_LE(worst, bound) << name;
}
} // namespace

TEST(MedianGaussianPostprocessImageFilter, KernelIsTheSampledNormalisedGaussian)
{
  auto       filter = itk::MedianGaussianPostprocessImageFilter<Map2D>::New();
  const auto kernel = filter->GetGaussianKernel();
  ASSERT_EQ(kernel.size(), 7u);
  double sum = 0.0;
  for (const double w : kernel)
    sum += w;
  // Normalised in float64: a 7-term sum and a division.
  EXPECT_NEAR(sum, 1.0, cradl_test::gamma(8, cradl_test::Float64UnitRoundoff));
  EXPECT_NEAR(kernel[3] / kernel[0], std::exp(9.0 / 18.0), 8 * cradl_test::Float64UnitRoundoff * std::exp(9.0 / 18.0)); // exp(-0) / exp(-3^2 / (2 * 3^2))
}

TEST(MedianGaussianPostprocessImageFilter, EqualsScipyOnVolumesAndSlices)
{
  std::mt19937                          random(4);
  std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
  // Odd sizes and a mask touching the border exercise the reflection.
  const auto map = cradl_test::makeImage<Map3D>({ { 37, 29, 4 } }, cradl_test::vector(1.0, 1.2, 3.0),
                                                cradl_test::point(5, 6, 7), cradl_test::rotation<3>(0.3),
                                                [&](auto i) { return uniform(random) + 0.05 * i[0]; });
  const auto mask = cradl_test::makeImageLike<Mask3D>(map.GetPointer(), [](auto i) {
    return std::pow((i[0] - 20.0) / 18.0, 2) + std::pow((i[1] - 14.0) / 12.0, 2) < 1.0 ? 1 : 0;
  });
  expectEqualsScipy(map.GetPointer(), mask.GetPointer(), 2, 3.0, 3, "default");
  expectEqualsScipy(map.GetPointer(), mask.GetPointer(), 1, 1.5, 4, "other");

  const auto slice = cradl_test::makeImage<Map2D>({ { 20, 15 } }, cradl_test::vector(1, 1), cradl_test::point(0, 0),
                                                  cradl_test::rotation<2>(0.0), [&](auto) { return uniform(random); });
  const auto sliceMask = cradl_test::makeImageLike<Mask2D>(slice.GetPointer(), [](auto i) { return i[0] > 2; });
  expectEqualsScipy(slice.GetPointer(), sliceMask.GetPointer(), 2, 3.0, 3, "slice");
}

TEST(MedianGaussianPostprocessImageFilter, MaskOnAnotherGridIsRefused)
{
  const auto map = cradl_test::makeImage<Map2D>({ { 8, 8 } }, cradl_test::vector(1, 1), cradl_test::point(0, 0),
                                                cradl_test::rotation<2>(0.0), [](auto) { return 1.0; });
  const auto mask = cradl_test::makeImage<Mask2D>({ { 8, 7 } }, cradl_test::vector(1, 1), cradl_test::point(0, 0),
                                                  cradl_test::rotation<2>(0.0), [](auto) { return 1; });
  auto filter = itk::MedianGaussianPostprocessImageFilter<Map2D>::New();
  filter->SetInput(map);
  filter->SetMaskImage(mask);
  EXPECT_NE(cradl_test::exceptionMessage([&] { filter->Update(); }).find("size [8, 8] vs [8, 7]"), std::string::npos);
}

namespace
{
std::vector<float>
valuesOf(const Map3D * image)
{
  return { image->GetBufferPointer(), image->GetBufferPointer() + image->GetLargestPossibleRegion().GetNumberOfPixels() };
}

std::vector<float>
freshlyPostprocessed(const Map3D * map, const Mask3D * mask, unsigned int medianRadius, double sigma)
{
  auto filter = itk::MedianGaussianPostprocessImageFilter<Map3D, Mask3D>::New();
  filter->SetInput(map);
  filter->SetMaskImage(mask);
  filter->SetMedianRadius(medianRadius);
  filter->SetGaussianSigma(sigma);
  filter->Update();
  return valuesOf(filter->GetOutput());
}
} // namespace

TEST(MedianGaussianPostprocessImageFilter, UpdatedAgainItGivesWhatAFreshFilterGivesAndLeavesItsInputAlone)
{
  // The filter keeps its mask, pad and median stages between updates; every
  // change of sigma, input values, mask or median radius must still give a
  // fresh filter's output, to the bit.
  std::mt19937                          random(9);
  std::uniform_real_distribution<float> uniform(0.5f, 1.0f);
  const auto map = cradl_test::makeImage<Map3D>({ { 23, 19, 3 } }, cradl_test::vector(1.0, 1.0, 2.0), cradl_test::point(0, 0, 0),
                                                cradl_test::rotation<3>(0.0), [&](auto) { return uniform(random); });
  const auto mask = cradl_test::makeImageLike<Mask3D>(map.GetPointer(), [](auto i) { return i[0] > 4 && i[1] < 15 ? 1 : 0; });
  const auto input = valuesOf(map.GetPointer());
  auto       filter = itk::MedianGaussianPostprocessImageFilter<Map3D, Mask3D>::New();
  filter->SetInput(map);
  filter->SetMaskImage(mask);
  filter->Update();
  EXPECT_EQ(valuesOf(filter->GetOutput()), freshlyPostprocessed(map.GetPointer(), mask.GetPointer(), 2, 3.0));
  EXPECT_EQ(valuesOf(map.GetPointer()), input) << "the input was masked in place";

  filter->SetGaussianSigma(1.5);
  filter->Update();
  EXPECT_EQ(valuesOf(filter->GetOutput()), freshlyPostprocessed(map.GetPointer(), mask.GetPointer(), 2, 1.5));

  for (itk::SizeValueType i = 0; i < input.size(); ++i)
    map->GetBufferPointer()[i] *= (i % 3 == 0 ? 2.0f : 0.5f);
  map->Modified();
  filter->Update();
  EXPECT_EQ(valuesOf(filter->GetOutput()), freshlyPostprocessed(map.GetPointer(), mask.GetPointer(), 2, 1.5));

  filter->SetMedianRadius(1);
  filter->Update();
  EXPECT_EQ(valuesOf(filter->GetOutput()), freshlyPostprocessed(map.GetPointer(), mask.GetPointer(), 1, 1.5));

  filter->SetMaskImage(nullptr);
  filter->Update();
  EXPECT_EQ(valuesOf(filter->GetOutput()), freshlyPostprocessed(map.GetPointer(), nullptr, 1, 1.5));
}

TEST(MedianGaussianPostprocessImageFilter, LargeRadiiEqualScipyEvenWhenThePadExceedsTheImage)
{
  // Radius 6 is past the vectorised median's fixed window (radius 5): it once
  // overran a stack array. At the largest radii the mirror pad is wider than
  // this image, so the border reflects more than once.
  std::mt19937                          random(6);
  std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
  const auto map = cradl_test::makeImage<Map3D>({ { 40, 33, 2 } }, cradl_test::vector(1.0, 1.0, 2.0),
                                                cradl_test::point(0, 0, 0), cradl_test::rotation<3>(0.0),
                                                [&](auto) { return uniform(random); });
  const auto mask = cradl_test::makeImageLike<Mask3D>(map.GetPointer(), [](auto i) { return i[0] > 3 ? 1 : 0; });
  expectEqualsScipy(map.GetPointer(), mask.GetPointer(), 6, 2.0, 3, "radius6");
  const auto small = cradl_test::makeImage<Map3D>({ { 12, 9, 2 } }, cradl_test::vector(1.0, 1.0, 2.0),
                                                  cradl_test::point(0, 0, 0), cradl_test::rotation<3>(0.0),
                                                  [&](auto) { return uniform(random); });
  const auto smallMask = cradl_test::makeImageLike<Mask3D>(small.GetPointer(), [](auto) { return 1; });
  expectEqualsScipy(small.GetPointer(), smallMask.GetPointer(), cradl::limits::MaximumMedianRadius, 5.0,
                    cradl::limits::MaximumGaussianRadius, "largest");
}

TEST(MedianGaussianPostprocessImageFilter, SettersRefuseValuesOutsideTheirRangeAndKeepTheOldOne)
{
  auto       filter = itk::MedianGaussianPostprocessImageFilter<Map2D>::New();
  const auto refusal = cradl_test::exceptionMessage;
  EXPECT_NE(refusal([&] { filter->SetMedianRadius(cradl::limits::MaximumMedianRadius + 1); })
              .find("MedianRadius must be from 0 to 15, got 16"),
            std::string::npos);
  EXPECT_NE(refusal([&] { filter->SetGaussianRadius(1000); }).find("GaussianRadius must be from 0 to 50"),
            std::string::npos);
  for (const double sigma : { 0.0, -1.0, 1e-300, std::nan(""), 1e9 })
    EXPECT_NE(refusal([&] { filter->SetGaussianSigma(sigma); }).find("GaussianSigma must be from"), std::string::npos)
      << sigma;
  EXPECT_EQ(filter->GetMedianRadius(), cradl::defaults::MedianRadius);
  EXPECT_EQ(filter->GetGaussianRadius(), cradl::defaults::GaussianRadius);
  EXPECT_EQ(filter->GetGaussianSigma(), cradl::defaults::GaussianSigma);
  filter->SetMedianRadius(cradl::limits::MaximumMedianRadius);
  EXPECT_EQ(filter->GetMedianRadius(), cradl::limits::MaximumMedianRadius);
}
