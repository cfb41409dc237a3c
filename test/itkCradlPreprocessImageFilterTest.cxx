#include "itkCradlPreprocessImageFilter.h"
#include "cradlErrorModel.h"
#include "itkCradlManifest.h"
#include "cradlTestImages.h"

#include "itkImageFileWriter.h"
#include "itkTestingMacros.h"

#include <cmath>

// ITK-style test: exercises the object and its parameters, and writes the
// preprocessed slices of an oblique volume to NIfTI and reads them back.
int
itkCradlPreprocessImageFilterTest(int argc, char * argv[])
{
  if (argc < 2)
  {
    std::cerr << "Usage: " << itkNameOfTestExecutableMacro(argv) << " outputSlices.nii.gz" << std::endl;
    return EXIT_FAILURE;
  }
  using ImageType = itk::Image<float, 3>;
  using FilterType = itk::CradlPreprocessImageFilter<ImageType>;
  auto filter = FilterType::New();
  ITK_EXERCISE_BASIC_OBJECT_METHODS(filter, CradlPreprocessImageFilter, ImageToImageFilter);

  FilterType::SliceSizeType defaultSize;
  defaultSize.Fill(128);
  ITK_TEST_EXPECT_EQUAL(filter->GetSliceSize(), defaultSize);
  ITK_TEST_EXPECT_EQUAL(filter->GetClipMinimum(), -1.5);
  ITK_TEST_EXPECT_EQUAL(filter->GetClipMaximum(), 1.5);
  ITK_TEST_EXPECT_TRUE(filter->GetPreserveAspectRatio());
  ITK_TEST_SET_GET_BOOLEAN(filter, PreserveAspectRatio, false);
  filter->PreserveAspectRatioOn();
  FilterType::SliceSizeType sliceSize{ { 32, 24 } };
  filter->SetSliceSize(sliceSize);
  ITK_TEST_SET_GET_VALUE(sliceSize, filter->GetSliceSize());
  filter->SetClipMinimum(-2.0);
  ITK_TEST_SET_GET_VALUE(-2.0, filter->GetClipMinimum());
  filter->SetClipMaximum(2.0);
  ITK_TEST_SET_GET_VALUE(2.0, filter->GetClipMaximum());

  const auto volume = cradl_test::makeImage<ImageType>(
    { { 50, 40, 6 } }, cradl_test::vector(0.8, 1.2, 2.5), cradl_test::point(-10.0, 20.0, 5.0), cradl_test::rotation<3>(0.25),
    [](auto i) { return std::hypot(i[0] - 25.0, i[1] - 20.0) < 15.0 ? 50.0 + i[0] + i[1] + i[2] : 0.0; });
  filter->SetInput(volume);
  ITK_TRY_EXPECT_NO_EXCEPTION(filter->Update());

  itk::CradlManifest::RegisterImageIOFactories();
  auto writer = itk::ImageFileWriter<ImageType>::New();
  writer->SetInput(filter->GetOutput());
  writer->SetFileName(argv[1]);
  ITK_TRY_EXPECT_NO_EXCEPTION(writer->Update());

  const ImageType::Pointer slices = itk::CradlManifest::ReadScanImage(argv[1]);
  ITK_TEST_EXPECT_EQUAL(slices->GetLargestPossibleRegion().GetSize()[0], 32u);
  ITK_TEST_EXPECT_EQUAL(slices->GetLargestPossibleRegion().GetSize()[1], 24u);
  ITK_TEST_EXPECT_EQUAL(slices->GetLargestPossibleRegion().GetSize()[2], 6u);
  // 50 x 0.8 = 40 mm and 40 x 1.2 = 48 mm: height decides, 48 / 24 = 2 mm.
  // Through a NIfTI file: spacings stored as float32 (one rounding), the
  // rotation as a float32 quaternion (matrix entries within 2 gamma_4).
  ITK_TEST_EXPECT_TRUE(std::abs(slices->GetSpacing()[0] - 2.0) <= cradl_test::Float32UnitRoundoff * 2.0);
  ITK_TEST_EXPECT_TRUE(std::abs(slices->GetSpacing()[1] - 2.0) <= cradl_test::Float32UnitRoundoff * 2.0);
  ITK_TEST_EXPECT_TRUE(std::abs(slices->GetSpacing()[2] - 2.5) <= cradl_test::Float32UnitRoundoff * 2.5);
  for (unsigned int i = 0; i < 3; ++i)
  {
    for (unsigned int j = 0; j < 3; ++j)
    {
      ITK_TEST_EXPECT_TRUE(std::abs(slices->GetDirection()(i, j) - volume->GetDirection()(i, j)) <=
                           2 * cradl_test::gamma(4, cradl_test::Float32UnitRoundoff));
    }
  }

  // Clipped to [-2, 2] and z-scored: brain values have mean ~0.
  double sum = 0.0;
  size_t count = 0;
  itk::ImageRegionConstIterator<ImageType> it(filter->GetOutput(), filter->GetOutput()->GetLargestPossibleRegion());
  itk::ImageRegionConstIterator<FilterType::MaskImageType> inBrain(filter->GetMaskOutput(),
                                                                   filter->GetOutput()->GetLargestPossibleRegion());
  for (; !it.IsAtEnd(); ++it, ++inBrain)
  {
    ITK_TEST_EXPECT_TRUE(it.Get() >= -2.0f && it.Get() <= 2.0f);
    if (inBrain.Get())
    {
      sum += it.Get();
      ++count;
    }
  }
  ITK_TEST_EXPECT_TRUE(count > 100);
  ITK_TEST_EXPECT_TRUE(std::abs(sum / count) < 0.1);

  filter->SetClipMaximum(-3.0);
  ITK_TRY_EXPECT_EXCEPTION(filter->Update());

  std::cout << "Test finished." << std::endl;
  return EXIT_SUCCESS;
}
