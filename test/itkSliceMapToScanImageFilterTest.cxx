#include "itkCradlPreprocessImageFilter.h"
#include "itkSliceMapToScanImageFilter.h"
#include "cradlTestImages.h"

#include "itkTestingMacros.h"

// ITK-style test: exercises the object, maps a preprocessed 2D slice back onto
// its scan and checks it overlays there.
int
itkSliceMapToScanImageFilterTest(int, char *[])
{
  using ImageType = itk::Image<float, 2>;
  using MaskType = itk::Image<unsigned char, 2>;
  using FilterType = itk::SliceMapToScanImageFilter<ImageType>;
  auto filter = FilterType::New();
  ITK_EXERCISE_BASIC_OBJECT_METHODS(filter, SliceMapToScanImageFilter, ImageToImageFilter);

  const auto scan = cradl_test::makeImage<ImageType>(
    { { 91, 109 } }, cradl_test::vector(2.0, 2.0), cradl_test::point(-90.0, -126.0), cradl_test::rotation<2>(0.1),
    [](auto i) { return 0.01 * (i[0] - 45) * (i[0] - 45) + 0.02 * (i[1] - 54) * (i[1] - 54) + 7.0; });
  auto preprocess = itk::CradlPreprocessImageFilter<ImageType>::New();
  preprocess->SetInput(scan);
  ITK_TRY_EXPECT_NO_EXCEPTION(preprocess->Update());

  filter->SetInput(preprocess->GetOutput());
  ITK_TRY_EXPECT_EXCEPTION(filter->Update()); // no reference image yet
  filter->SetReferenceImage(scan);
  ITK_TEST_SET_GET_VALUE(scan.GetPointer(), filter->GetReferenceImage());
  const auto mask = cradl_test::makeImageLike<MaskType>(scan.GetPointer(), [](auto i) { return i[0] > 10; });
  filter->SetMaskImage(mask);
  ITK_TEST_SET_GET_VALUE(mask.GetPointer(), filter->GetMaskImage());
  ITK_TRY_EXPECT_NO_EXCEPTION(filter->Update());

  const ImageType * back = filter->GetOutput();
  ITK_TEST_EXPECT_EQUAL(back->GetLargestPossibleRegion(), scan->GetLargestPossibleRegion());
  ITK_TEST_EXPECT_EQUAL(back->GetOrigin(), scan->GetOrigin());
  ITK_TEST_EXPECT_EQUAL(back->GetSpacing(), scan->GetSpacing());
  ITK_TEST_EXPECT_EQUAL(back->GetDirection(), scan->GetDirection());
  ITK_TEST_EXPECT_EQUAL(back->GetPixel({ { 5, 50 } }), 0.0f); // outside the mask

  // Inside, the mapped-back z-scores stay close to the scan's own z-scores.
  const double mean = preprocess->GetBrainMean();
  const double std = preprocess->GetBrainStandardDeviation();
  double       worst = 0.0;
  for (long y = 20; y < 90; ++y)
  {
    for (long x = 20; x < 70; ++x)
    {
      const double expected = std::min(1.5, std::max(-1.5, (scan->GetPixel({ { x, y } }) - mean) / std));
      worst = std::max(worst, std::abs(back->GetPixel({ { x, y } }) - expected));
    }
  }
  std::cout << "largest difference to the scan's z-scores: " << worst << std::endl;
  ITK_TEST_EXPECT_TRUE(worst < 0.05);

  std::cout << "Test finished." << std::endl;
  return EXIT_SUCCESS;
}
