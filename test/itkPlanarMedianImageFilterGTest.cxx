#include "itkPlanarMedianImageFilter.h"
#include "cradlTestImages.h"

#include "itkImageRegionConstIteratorWithIndex.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

namespace
{
using Slices = itk::Image<float, 3>;

// The median by its definition: the middle of the sorted window.
float
sortedMiddle(const Slices * image, const Slices::IndexType & at, int r)
{
  std::vector<float> window;
  for (int dy = -r; dy <= r; ++dy)
    for (int dx = -r; dx <= r; ++dx)
      window.push_back(image->GetPixel({ { at[0] + dx, at[1] + dy, at[2] } }));
  std::sort(window.begin(), window.end());
  return window[window.size() / 2];
}
} // namespace

TEST(PlanarMedianImageFilter, EveryRadiusGivesTheSortedWindowsMiddle)
{
  // Radii 0 to 5 take the 16-lane path where a row has 16 pixels left,
  // larger ones the scalar path; widths that are no multiple of 16 mix both.
  std::mt19937                          random(11);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  for (const int r : { 0, 1, 2, 5, 6, 9 })
  {
    for (const itk::SizeValueType width : { 2 * r + 1, 2 * r + 17, 2 * r + 40 })
    {
      const auto image = cradl_test::makeImage<Slices>(
        { { width, static_cast<itk::SizeValueType>(2 * r + 5), 3 } }, cradl_test::vector(1.0, 1.0, 1.0),
        cradl_test::point(0, 0, 0), cradl_test::rotation<3>(0.0),
        // Ties as well as distinct values: a fifth of the pixels share one value.
        [&](auto) { return uniform(random) < -0.6f ? 0.25f : uniform(random); });
      auto filter = itk::PlanarMedianImageFilter<Slices>::New();
      filter->SetInput(image);
      filter->SetRadius(r);
      filter->Update();
      const auto region = filter->GetOutput()->GetLargestPossibleRegion();
      ASSERT_EQ(region.GetIndex(0), r);
      ASSERT_EQ(region.GetSize(0), width - 2 * r);
      ASSERT_EQ(region.GetSize(2), 3u) << "slices are filtered one by one, none is lost";
      for (itk::ImageRegionConstIteratorWithIndex<Slices> it(filter->GetOutput(), region); !it.IsAtEnd(); ++it)
        ASSERT_EQ(it.Get(), sortedMiddle(image.GetPointer(), it.GetIndex(), r))
          << "radius " << r << ", width " << width << ", at " << it.GetIndex();
    }
  }
}

TEST(PlanarMedianImageFilter, RefusesARadiusPastTheLimitAndAnInputNoWiderThanTheWindow)
{
  auto filter = itk::PlanarMedianImageFilter<Slices>::New();
  EXPECT_NE(cradl_test::exceptionMessage([&] { filter->SetRadius(cradl::limits::MaximumMedianRadius + 1); })
              .find("Radius must be from 0 to 15"),
            std::string::npos);
  EXPECT_EQ(filter->GetRadius(), cradl::defaults::MedianRadius);
  const auto small = cradl_test::makeImage<Slices>({ { 4, 9, 1 } }, cradl_test::vector(1.0, 1.0, 1.0),
                                                   cradl_test::point(0, 0, 0), cradl_test::rotation<3>(0.0),
                                                   [](auto) { return 1.0; });
  filter->SetInput(small);
  EXPECT_NE(cradl_test::exceptionMessage([&] { filter->Update(); }).find("pad it by the radius first"),
            std::string::npos);
}
