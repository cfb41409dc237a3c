#include "itkCradlSliceSelection.h"

#include "cradlSliceSet.h"
#include "itkCradlPreprocessImageFilter.h"
#include "itkImage.h"
#include "itkImageRegionConstIterator.h"


namespace itk
{

std::vector<unsigned int>
CradlSelectBrainSlices(const Image<unsigned char, 3> * mask, double minimumBrainFraction, unsigned int margin)
{
  using MaskType = Image<unsigned char, 3>;
  const auto          size = mask->GetLargestPossibleRegion().GetSize();
  const SizeValueType pixelsPerSlice = size[0] * size[1];
  std::vector<SizeValueType>         brainPixels(size[2], 0);
  ImageRegionConstIterator<MaskType> it(mask, mask->GetLargestPossibleRegion());
  for (SizeValueType index = 0; !it.IsAtEnd(); ++it, ++index)
  {
    brainPixels[index / pixelsPerSlice] += it.Get() != 0;
  }
  std::vector<unsigned int> kept;
  for (unsigned int slice = 0; slice < size[2]; ++slice)
  {
    if (brainPixels[slice] > 0 && brainPixels[slice] >= minimumBrainFraction * pixelsPerSlice)
    {
      kept.push_back(slice);
    }
  }
  if (kept.size() <= 2 * static_cast<std::size_t>(margin))
  {
    return {};
  }
  return std::vector<unsigned int>(kept.begin() + margin, kept.end() - margin);
}

} // namespace itk

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
  const float *         pixels = preprocess->GetOutput()->GetBufferPointer();
  const unsigned char * brain = preprocess->GetMaskOutput()->GetBufferPointer();
  const auto            frames = itk::CradlBrainSliceFrames(preprocess->GetMaskOutput());
  for (const unsigned int slice :
       itk::CradlSelectBrainSlices(preprocess->GetMaskOutput(), settings.minimumBrainFraction, settings.sliceMargin))
  {
    slices.pixels.insert(slices.pixels.end(), pixels + slice * pixelsPerSlice, pixels + (slice + 1) * pixelsPerSlice);
    slices.masks.insert(slices.masks.end(), brain + slice * pixelsPerSlice, brain + (slice + 1) * pixelsPerSlice);
    slices.frames.push_back(frames[slice]);
    ++slices.count;
  }
}

} // namespace cradl
