#include "itkCradlPreprocessImageFilter.h"
#include "itkSliceMapToScanImageFilter.h"
#include "cradlErrorModel.h"
#include "cradlTestImages.h"

#include <gtest/gtest.h>

#include <cmath>

namespace
{
using Image3D = itk::Image<float, 3>;
using Mask3D = itk::Image<unsigned char, 3>;
using Preprocess = itk::CradlPreprocessImageFilter<Image3D>;
using MapToScan = itk::SliceMapToScanImageFilter<Image3D>;

// An oblique, anisotropic 37 x 29 x 5 "scan" with an elliptic brain.
struct Scan
{
  Image3D::Pointer image;
  Mask3D::Pointer  mask;
};

Scan
ellipticScan()
{
  Scan scan;
  scan.mask = cradl_test::makeImage<Mask3D>(
    { { 37, 29, 5 } }, cradl_test::vector(0.9, 1.1, 3.0), cradl_test::point(12.0, -30.0, 4.0), cradl_test::rotation<3>(0.4),
    [](auto i) { return std::pow((i[0] - 18.0) / 15.0, 2) + std::pow((i[1] - 14.0) / 11.0, 2) <= 1.0 ? 1 : 0; });
  scan.image = cradl_test::makeImageLike<Image3D>(
    scan.mask.GetPointer(), [](auto i) { return 100.0 + 3.0 * i[0] - 2.0 * i[1] + 10.0 * i[2] + (i[0] * i[1]) % 7; });
  return scan;
}

Preprocess::Pointer
preprocessed(const Scan & scan)
{
  auto filter = Preprocess::New();
  filter->SetInput(scan.image);
  filter->SetMaskImage(scan.mask);
  filter->SetSliceSize({ { 24, 20 } });
  filter->Update();
  return filter;
}

} // namespace

TEST(SliceMapToScanImageFilter, OnesWithTheMaskGiveExactlyTheMask)
{
  const Scan scan = ellipticScan();
  const auto grid = preprocessed(scan);
  const auto ones = cradl_test::makeImageLike<Image3D>(grid->GetOutput(), [](auto) { return 1.0; });

  auto back = MapToScan::New();
  back->SetInput(ones);
  back->SetReferenceImage(scan.image);
  back->SetMaskImage(scan.mask);
  back->Update();
  const Image3D * out = back->GetOutput();
  EXPECT_EQ(out->GetLargestPossibleRegion(), scan.image->GetLargestPossibleRegion());
  EXPECT_EQ(out->GetSpacing(), scan.image->GetSpacing());
  EXPECT_EQ(out->GetOrigin(), scan.image->GetOrigin());
  EXPECT_EQ(out->GetDirection(), scan.image->GetDirection());
  itk::ImageRegionConstIteratorWithIndex<Image3D> it(out, out->GetLargestPossibleRegion());
  for (; !it.IsAtEnd(); ++it)
  {
    ASSERT_EQ(it.Get(), scan.mask->GetPixel(it.GetIndex()) ? 1.0f : 0.0f) << it.GetIndex();
  }
}

TEST(SliceMapToScanImageFilter, TheResampledMaskMapsBackOntoTheMask)
{
  // Ones inside the brain on the slice grid, mapped back without the scan's
  // mask: 1 deep inside, ~0.5 at the border, 0 far outside.
  const Scan scan = ellipticScan();
  const auto grid = preprocessed(scan);
  const auto onesInBrain = cradl_test::makeImageLike<Image3D>(
    grid->GetOutput(), [&](auto i) { return static_cast<float>(grid->GetMaskOutput()->GetPixel(i)); });
  auto back = MapToScan::New();
  back->SetInput(onesInBrain);
  back->SetReferenceImage(scan.image);
  back->Update();

  size_t agree = 0;
  size_t inMask = 0;
  size_t inMap = 0;
  itk::ImageRegionConstIteratorWithIndex<Image3D> it(back->GetOutput(), back->GetOutput()->GetLargestPossibleRegion());
  for (; !it.IsAtEnd(); ++it)
  {
    const bool mapped = it.Get() >= 0.5f;
    const bool brain = scan.mask->GetPixel(it.GetIndex()) != 0;
    agree += mapped && brain;
    inMask += brain;
    inMap += mapped;
  }
  const double dice = 2.0 * agree / (inMask + inMap);
  EXPECT_GT(dice, 0.95); // the 24 x 20 grid blurs a border that is ~10% of this small brain
  // Far inside the brain the map is exactly one.
  EXPECT_EQ(back->GetOutput()->GetPixel({ { 18, 14, 2 } }), 1.0f);
  EXPECT_EQ(back->GetOutput()->GetPixel({ { 0, 0, 2 } }), 0.0f);
}

TEST(SliceMapToScanImageFilter, LinearMapsComeBackExactly)
{
  // Linear interpolation reproduces a function linear in physical space, so a
  // map a.p + b on the slice grid must come back as a.p + b at every scan voxel
  // whose neighbours on the slice grid all exist.
  const Scan   scan = ellipticScan();
  const auto   grid = preprocessed(scan);
  const auto   linear = [](const itk::Point<double, 3> & p) { return 0.3 * p[0] - 0.7 * p[1] + 0.2 * p[2] + 5.0; };
  const auto * slices = grid->GetOutput();
  const auto   map = cradl_test::makeImageLike<Image3D>(slices, [&](auto i) {
    itk::Point<double, 3> p;
    slices->TransformIndexToPhysicalPoint(i, p);
    return linear(p);
  });
  auto back = MapToScan::New();
  back->SetInput(map);
  back->SetReferenceImage(scan.image);
  back->Update();

  // Linear interpolation reproduces a linear function; what remains is the
  // float32 storage of the map's values and of the result: u32 of the largest
  // value each (the sample positions are float64).
  double peak = 0.0;
  for (itk::SizeValueType i = 0; i < map->GetLargestPossibleRegion().GetNumberOfPixels(); ++i)
    peak = std::max(peak, std::abs(static_cast<double>(map->GetBufferPointer()[i])));
  const double bound = 2 * cradl_test::Float32UnitRoundoff * peak + cradl_test::gamma(16, cradl_test::Float64UnitRoundoff) * peak;
  size_t                                          checked = 0;
  itk::ImageRegionConstIteratorWithIndex<Image3D> it(back->GetOutput(), back->GetOutput()->GetLargestPossibleRegion());
  for (; !it.IsAtEnd(); ++it)
  {
    itk::Point<double, 3> p;
    scan.image->TransformIndexToPhysicalPoint(it.GetIndex(), p);
    itk::ContinuousIndex<double, 3> where;
    slices->TransformPhysicalPointToContinuousIndex(p, where);
    if (where[0] < 0 || where[1] < 0 || where[0] > 23 || where[1] > 19)
    {
      continue;
    }
    ASSERT_NEAR(it.Get(), linear(p), bound) << it.GetIndex();
    ++checked;
  }
  EXPECT_GT(checked, 37u * 29u * 5u / 2u);
}

TEST(SliceMapToScanImageFilter, MapsOfAnotherScanAreRefused)
{
  const Scan scan = ellipticScan();
  const auto grid = preprocessed(scan);
  auto       back = MapToScan::New();

  auto fewerSlices = cradl_test::makeImage<Image3D>({ { 24, 20, 4 } }, grid->GetOutput()->GetSpacing(),
                                                    grid->GetOutput()->GetOrigin(),
                                                    grid->GetOutput()->GetDirection(), [](auto) { return 1.0; });
  back->SetInput(fewerSlices);
  back->SetReferenceImage(scan.image);
  EXPECT_NE(cradl_test::exceptionMessage([&] { back->Update(); }).find("the map has 4 slices 3 apart but the scan has 5 slices 3 apart"),
            std::string::npos);

  back->SetInput(grid->GetOutput());
  auto otherMask = cradl_test::makeImage<Mask3D>({ { 37, 29, 5 } }, cradl_test::vector(1.0, 1.0, 1.0),
                                                 scan.image->GetOrigin(), scan.image->GetDirection(),
                                                 [](auto) { return 1; });
  back->SetMaskImage(otherMask);
  EXPECT_NE(cradl_test::exceptionMessage([&] { back->Update(); }).find("not on the scan's grid (spacing"), std::string::npos);

  auto noReference = MapToScan::New();
  noReference->SetInput(grid->GetOutput());
  EXPECT_THROW(noReference->Update(), itk::ExceptionObject);
}
