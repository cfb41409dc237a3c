#include "itkCradlSliceSelection.h"

#include "cradlTestImages.h"

#include <gtest/gtest.h>

using Mask = itk::Image<unsigned char, 3>;

TEST(CradlSliceSelection, KeepsSlicesWithEnoughBrainAndDropsTheMargin)
{
  // Brain fractions per slice: 0, 10%, 50%, 2%, 30%, 60% of 10 x 10 pixels.
  const int  brain[] = { 0, 10, 50, 2, 30, 60 };
  const auto mask = cradl_test::makeImage<Mask>({ { 10, 10, 6 } }, cradl_test::vector(1, 1, 1),
                                                cradl_test::point(0, 0, 0), cradl_test::rotation<3>(0.0),
                                                [&](auto i) { return i[0] + 10 * i[1] < brain[i[2]]; });
  EXPECT_EQ(itk::CradlSelectBrainSlices(mask, 0.05, 0), (std::vector<unsigned int>{ 1, 2, 4, 5 }));
  EXPECT_EQ(itk::CradlSelectBrainSlices(mask, 0.0, 0), (std::vector<unsigned int>{ 1, 2, 3, 4, 5 }));
  EXPECT_EQ(itk::CradlSelectBrainSlices(mask, 0.05, 1), (std::vector<unsigned int>{ 2, 4 }));
  EXPECT_TRUE(itk::CradlSelectBrainSlices(mask, 0.05, 2).empty());
}
