#include "itkCradlPreprocessImageFilter.h"
#include "cradlErrorModel.h"
#include "cradlTestImages.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace
{
using Image2D = itk::Image<float, 2>;
using Image3D = itk::Image<float, 3>;
using Mask2D = itk::Image<unsigned char, 2>;
using Filter2D = itk::CradlPreprocessImageFilter<Image2D>;
using Filter3D = itk::CradlPreprocessImageFilter<Image3D>;

itk::ImageBase<2>::DirectionType
identity2()
{
  return cradl_test::rotation<2>(0.0);
}

} // namespace

// 4 x 4 image holding 0..15, brain = the central 2 x 2 (5, 6, 9, 10), slice
// grid = the image grid: mean 7.5, population std sqrt(17/4), no interpolation.
TEST(CradlPreprocessImageFilter, ZScoresInsideTheMaskByHand)
{
  const auto image = cradl_test::makeImage<Image2D>({ { 4, 4 } }, cradl_test::vector(1.0, 1.0), cradl_test::point(0.0, 0.0),
                                                    identity2(), [](auto i) { return i[0] + 4 * i[1]; });
  const auto mask = cradl_test::makeImageLike<Mask2D>(
    image.GetPointer(), [](auto i) { return (i[0] == 1 || i[0] == 2) && (i[1] == 1 || i[1] == 2) ? 255 : 0; });

  auto filter = Filter2D::New();
  filter->SetInput(image);
  filter->SetMaskImage(mask);
  filter->SetSliceSize({ { 4, 4 } });
  filter->Update();

  EXPECT_DOUBLE_EQ(filter->GetBrainMean(), 7.5);
  EXPECT_DOUBLE_EQ(filter->GetBrainStandardDeviation(), std::sqrt(17.0 / 4.0));
  EXPECT_EQ(filter->GetBrainVoxelCount(), 4u);
  const Image2D * out = filter->GetOutput();
  const double    std = std::sqrt(4.25);
  // The z-score is computed in float64 and stored once as float32.
  EXPECT_NEAR(out->GetPixel({ { 1, 1 } }), -2.5 / std, cradl_test::float32Rounding(2.5 / std)); // -1.2127
  EXPECT_NEAR(out->GetPixel({ { 2, 1 } }), -1.5 / std, cradl_test::float32Rounding(1.5 / std)); // -0.7276
  EXPECT_NEAR(out->GetPixel({ { 1, 2 } }), 1.5 / std, cradl_test::float32Rounding(1.5 / std));
  EXPECT_NEAR(out->GetPixel({ { 2, 2 } }), 2.5 / std, cradl_test::float32Rounding(2.5 / std));
  EXPECT_EQ(out->GetPixel({ { 0, 0 } }), 0.0f);
  EXPECT_EQ(out->GetPixel({ { 3, 3 } }), 0.0f);
  EXPECT_EQ(out->GetSpacing(), image->GetSpacing());
  EXPECT_EQ(out->GetOrigin(), image->GetOrigin());

  const Mask2D * outMask = filter->GetMaskOutput();
  for (long y = 0; y < 4; ++y)
    for (long x = 0; x < 4; ++x)
    {
      EXPECT_EQ(outMask->GetPixel({ { x, y } }), mask->GetPixel({ { x, y } }) ? 1 : 0);
    }

  // Clipping: +-1 cuts the two outer values.
  filter->SetClipMinimum(-1.0);
  filter->SetClipMaximum(1.0);
  filter->Update();
  EXPECT_EQ(filter->GetOutput()->GetPixel({ { 1, 1 } }), -1.0f);
  EXPECT_EQ(filter->GetOutput()->GetPixel({ { 2, 2 } }), 1.0f);
  EXPECT_NEAR(filter->GetOutput()->GetPixel({ { 2, 1 } }), -1.5 / std, cradl_test::float32Rounding(1.5 / std));
}

// 8 x 4 image onto a 4 x 4 grid keeping the aspect: spacing 2, origin (0.5, -1.5),
// so output pixel (i, j) samples input index (0.5 + 2i, -1.5 + 2j); rows 0 and 3 fall
// outside the scan. Without a mask the brain is the non-zero pixels (all here).
TEST(CradlPreprocessImageFilter, ResamplesKeepingTheAspectByHand)
{
  const auto image = cradl_test::makeImage<Image2D>({ { 8, 4 } }, cradl_test::vector(1.0, 1.0), cradl_test::point(0.0, 0.0),
                                                    identity2(), [](auto i) { return i[0] + 8 * i[1] + 1; });
  auto filter = Filter2D::New();
  filter->SetInput(image);
  filter->SetSliceSize({ { 4, 4 } });
  filter->Update();

  const double mean = 16.5;                  // 3.5 + 8 * 1.5 + 1
  const double std = std::sqrt(5.25 + 80.0); // var(x) + 64 var(y)
  EXPECT_DOUBLE_EQ(filter->GetBrainMean(), mean);
  EXPECT_NEAR(filter->GetBrainStandardDeviation(), std, cradl_test::gamma(32, cradl_test::Float64UnitRoundoff) * 2 * std);
  // Resampled values: linear interpolation (a convex combination, in float64)
  // of float32 z-scores, each within u32 of its value, then stored as float32.
  const double zPeak = std::max(std::abs(1 - mean), std::abs(32 - mean)) / std;
  const auto   interpolated = [&](double expected) {
    return cradl_test::float32Rounding(expected, zPeak) + cradl_test::Float32UnitRoundoff * zPeak;
  };

  const Image2D * out = filter->GetOutput();
  EXPECT_EQ(out->GetLargestPossibleRegion().GetSize(), Image2D::SizeType({ { 4, 4 } }));
  EXPECT_EQ(out->GetSpacing(), cradl_test::vector(2.0, 2.0));
  EXPECT_EQ(out->GetOrigin(), cradl_test::point(0.5, -1.5));
  for (long i = 0; i < 4; ++i)
  {
    const double x = 0.5 + 2 * i;
    EXPECT_NEAR(out->GetPixel({ { i, 1 } }), (x + 8 * 0.5 + 1 - mean) / std, interpolated((x + 8 * 0.5 + 1 - mean) / std));
    EXPECT_NEAR(out->GetPixel({ { i, 2 } }), (x + 8 * 2.5 + 1 - mean) / std, interpolated((x + 8 * 2.5 + 1 - mean) / std));
    EXPECT_EQ(out->GetPixel({ { i, 0 } }), 0.0f);
    EXPECT_EQ(out->GetPixel({ { i, 3 } }), 0.0f);
    EXPECT_EQ(filter->GetMaskOutput()->GetPixel({ { i, 0 } }), 0);
    EXPECT_EQ(filter->GetMaskOutput()->GetPixel({ { i, 1 } }), 1);
    EXPECT_EQ(filter->GetMaskOutput()->GetPixel({ { i, 2 } }), 1);
    EXPECT_EQ(filter->GetMaskOutput()->GetPixel({ { i, 3 } }), 0);
  }

  // Stretching instead: spacing (2, 1), the grid covers the scan exactly.
  filter->PreserveAspectRatioOff();
  filter->Update();
  EXPECT_EQ(filter->GetOutput()->GetSpacing(), cradl_test::vector(2.0, 1.0));
  EXPECT_EQ(filter->GetOutput()->GetOrigin(), cradl_test::point(0.5, 0.0));
  EXPECT_NEAR(filter->GetOutput()->GetPixel({ { 2, 2 } }), (4.5 + 8 * 2 + 1 - mean) / std,
              interpolated((4.5 + 8 * 2 + 1 - mean) / std));
  EXPECT_EQ(filter->GetOutput()->GetPixel({ { 3, 3 } }), 1.5f); // 1.62 before clipping
}

// A 3D oblique volume: each slice resampled in-plane as above, the slice axis
// untouched, statistics over the whole volume, values clipped.
TEST(CradlPreprocessImageFilter, VolumesAreResampledSliceBySlice)
{
  const auto direction = cradl_test::rotation<3>(0.9);
  const auto volume = cradl_test::makeImage<Image3D>({ { 8, 4, 3 } }, cradl_test::vector(1.5, 1.5, 4.0),
                                                     cradl_test::point(-20.0, 5.0, 33.0), direction,
                                                     [](auto i) { return i[0] + 8 * i[1] + 32 * i[2] + 1; });
  double mean = 0.0;
  for (int z = 0; z < 3; ++z)
    for (int y = 0; y < 4; ++y)
      for (int x = 0; x < 8; ++x)
        mean += (x + 8 * y + 32 * z + 1) / 96.0;
  double variance = 0.0;
  for (int z = 0; z < 3; ++z)
    for (int y = 0; y < 4; ++y)
      for (int x = 0; x < 8; ++x)
        variance += std::pow(x + 8 * y + 32 * z + 1 - mean, 2) / 96.0;
  const double std = std::sqrt(variance);

  auto filter = Filter3D::New();
  filter->SetInput(volume);
  filter->SetSliceSize({ { 4, 4 } });
  filter->Update();
  const Image3D * out = filter->GetOutput();
  ASSERT_EQ(out->GetLargestPossibleRegion().GetSize(), Image3D::SizeType({ { 4, 4, 3 } }));
  EXPECT_EQ(out->GetDirection(), direction);
  EXPECT_EQ(out->GetSpacing(), cradl_test::vector(3.0, 3.0, 4.0));

  bool sawClipping = false;
  for (long z = 0; z < 3; ++z)
    for (long j = 0; j < 4; ++j)
      for (long i = 0; i < 4; ++i)
      {
        // The grid point's place in the scan's index space, by hand.
        itk::Point<double, 3> point;
        out->TransformIndexToPhysicalPoint({ { i, j, z } }, point);
        itk::ContinuousIndex<double, 3> where;
        volume->TransformPhysicalPointToContinuousIndex(point, where);
        // Index -> point -> index: two 3x3 affine maps in float64 on
        // coordinates up to ~50 mm, each entry a 3-term sum.
        const double geometry = 2 * cradl_test::gamma(4, cradl_test::Float64UnitRoundoff) * 64.0;
        EXPECT_NEAR(where[0], 0.5 + 2 * i, geometry);
        EXPECT_NEAR(where[1], -1.5 + 2 * j, geometry);
        EXPECT_NEAR(where[2], z, geometry);

        const double value = out->GetPixel({ { i, j, z } });
        if (j == 0 || j == 3)
        {
          EXPECT_EQ(value, 0.0);
          continue;
        }
        const double expected = (0.5 + 2 * i + 8 * (-1.5 + 2 * j) + 32 * z + 1 - mean) / std;
        sawClipping |= std::abs(expected) > 1.5;
        // Interpolated float32 z-scores (see above); the scan's largest |z|
        // is at its brightest voxel, 96.
        const double zPeak = (96 - mean) / std;
        EXPECT_NEAR(value, std::min(1.5, std::max(-1.5, expected)),
                    cradl_test::float32Rounding(expected, zPeak) + cradl_test::Float32UnitRoundoff * zPeak)
          << i << " " << j << " " << z;
      }
  EXPECT_TRUE(sawClipping);
}

TEST(CradlPreprocessImageFilter, BadInputsAreClearErrors)
{
  const auto ramp = [](auto i) { return i[0] + 4 * i[1] + 1; };
  auto       image =
    cradl_test::makeImage<Image2D>({ { 4, 4 } }, cradl_test::vector(1.0, 1.0), cradl_test::point(0.0, 0.0), identity2(), ramp);
  auto filter = Filter2D::New();
  filter->SetInput(image);

  image->SetPixel({ { 2, 3 } }, std::numeric_limits<float>::quiet_NaN());
  EXPECT_NE(cradl_test::exceptionMessage([&] { filter->Update(); }).find("non-finite pixel (nan) at index [2, 3]"), std::string::npos);

  image = cradl_test::makeImageLike<Image2D>(image.GetPointer(), ramp);
  filter->SetInput(image);
  filter->SetMaskImage(cradl_test::makeImageLike<Mask2D>(image.GetPointer(), [](auto) { return 0; }));
  EXPECT_NE(cradl_test::exceptionMessage([&] { filter->Update(); }).find("brain mask is empty"), std::string::npos);

  auto shiftedMask =
    cradl_test::makeImage<Mask2D>({ { 4, 4 } }, cradl_test::vector(1.0, 1.0), cradl_test::point(0.0, 2.0), identity2(),
                                  [](auto) { return 1; });
  filter->SetMaskImage(shiftedMask);
  const std::string gridMessage = cradl_test::exceptionMessage([&] { filter->Update(); });
  EXPECT_NE(gridMessage.find("not on the scan's grid (origin [0, 0] vs [0, 2])"), std::string::npos) << gridMessage;

  auto smallMask = cradl_test::makeImage<Mask2D>({ { 4, 3 } }, cradl_test::vector(1.0, 1.0), cradl_test::point(0.0, 0.0),
                                                 identity2(), [](auto) { return 1; });
  filter->SetMaskImage(smallMask);
  EXPECT_NE(cradl_test::exceptionMessage([&] { filter->Update(); }).find("size [4, 4] vs [4, 3]"), std::string::npos);

  filter->SetMaskImage(cradl_test::makeImageLike<Mask2D>(image.GetPointer(), [](auto i) { return i[1] == 0; }));
  filter->SetInput(cradl_test::makeImageLike<Image2D>(image.GetPointer(), [](auto) { return 3.0; }));
  EXPECT_NE(cradl_test::exceptionMessage([&] { filter->Update(); }).find("intensity is constant"), std::string::npos);

  filter->SetInput(image);
  filter->SetSliceSize({ { 1, 128 } });
  EXPECT_NE(cradl_test::exceptionMessage([&] { filter->Update(); }).find("too small"), std::string::npos);
}
