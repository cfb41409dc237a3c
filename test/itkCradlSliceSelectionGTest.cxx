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

TEST(CradlSliceSelection, FramesAreTheBrainsBoxAndEachSlicesDepthInIt)
{
  // Brain: x 2..5, y 3..8 on slices 1..4 of 10 x 10 x 6; x 7 on slice 2 only.
  const auto mask = cradl_test::makeImage<Mask>(
    { { 10, 10, 6 } }, cradl_test::vector(1, 1, 1), cradl_test::point(0, 0, 0), cradl_test::rotation<3>(0.0), [](auto i) {
      const bool inside = i[2] >= 1 && i[2] <= 4 && i[0] >= 2 && i[0] <= 5 && i[1] >= 3 && i[1] <= 8;
      return inside || (i[2] == 2 && i[0] == 7 && i[1] == 4);
    });
  const auto frames = itk::CradlBrainSliceFrames(mask.GetPointer());
  ASSERT_EQ(frames.size(), 6u);
  for (unsigned int z = 0; z < 6; ++z)
  {
    // The box is the whole scan's: x 2..7 (end 8), y 3..8 (end 9), slices 1..4.
    EXPECT_DOUBLE_EQ(frames[z].X0, 0.2);
    EXPECT_DOUBLE_EQ(frames[z].X1, 0.8);
    EXPECT_DOUBLE_EQ(frames[z].Y0, 0.3);
    EXPECT_DOUBLE_EQ(frames[z].Y1, 0.9);
    EXPECT_DOUBLE_EQ(frames[z].Depth, (z - 1.0 + 0.5) / 4.0); // -0.125 (outside), 0.125 ... 0.875, 1.125
  }
  // No brain: the whole slice, middle depth.
  const auto empty = cradl_test::makeImage<Mask>({ { 4, 4, 2 } }, cradl_test::vector(1, 1, 1), cradl_test::point(0, 0, 0),
                                                 cradl_test::rotation<3>(0.0), [](auto) { return false; });
  const auto none = itk::CradlBrainSliceFrames(empty.GetPointer());
  ASSERT_EQ(none.size(), 2u);
  EXPECT_EQ(none[1].X0, 0.0);
  EXPECT_EQ(none[1].X1, 1.0);
  EXPECT_EQ(none[1].Depth, 0.5);
}
