#include "cradlSliceCollection.h"

#include "itkContrastiveEncoderTrainer.h"
#include "itkCradlPreprocessImageFilter.h"

namespace cradl
{

void
appendBrainSlices(const itk::Image<float, 3> *         scan,
                  const itk::Image<unsigned char, 3> * mask,
                  const SliceCollectionSettings &      settings,
                  SliceSet &                           slices)
{
  using ScanType = itk::Image<float, 3>;
  using MaskType = itk::Image<unsigned char, 3>;
  auto preprocess = itk::CradlPreprocessImageFilter<ScanType, MaskType>::New();
  preprocess->SetInput(scan);
  if (mask != nullptr)
  {
    preprocess->SetMaskImage(mask);
  }
  preprocess->SetSliceSize({ { settings.sliceSize, settings.sliceSize } });
  preprocess->SetClipMinimum(settings.clipMinimum);
  preprocess->SetClipMaximum(settings.clipMaximum);
  preprocess->SetPreserveAspectRatio(settings.preserveAspectRatio);
  preprocess->Update();
  const std::size_t pixelsPerSlice = static_cast<std::size_t>(settings.sliceSize) * settings.sliceSize;
  const float *     pixels = preprocess->GetOutput()->GetBufferPointer();
  for (const unsigned int slice : itk::ContrastiveEncoderTrainer::SelectBrainSlices(
         preprocess->GetMaskOutput(), settings.minimumBrainFraction, settings.sliceMargin))
  {
    slices.pixels.insert(slices.pixels.end(), pixels + slice * pixelsPerSlice, pixels + (slice + 1) * pixelsPerSlice);
    ++slices.count;
  }
}

} // namespace cradl
