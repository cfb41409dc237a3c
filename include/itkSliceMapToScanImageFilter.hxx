/*=========================================================================
 *
 *  Copyright NumFOCUS
 *
 *  Licensed under the Apache License, Version 2.0 (the "License");
 *  you may not use this file except in compliance with the License.
 *  You may obtain a copy of the License at
 *
 *         http://www.apache.org/licenses/LICENSE-2.0.txt
 *
 *  Unless required by applicable law or agreed to in writing, software
 *  distributed under the License is distributed on an "AS IS" BASIS,
 *  WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 *  See the License for the specific language governing permissions and
 *  limitations under the License.
 *
 *=========================================================================*/
#ifndef itkSliceMapToScanImageFilter_hxx
#define itkSliceMapToScanImageFilter_hxx

#include "itkCradlGeometry.h"
#include "itkImageRegionConstIterator.h"
#include "itkImageRegionIterator.h"
#include "itkProgressAccumulator.h"
#include "itkResampleImageFilter.h"

#include <cmath>

namespace itk
{

template <typename TMapImage, typename TReferenceImage, typename TMaskImage>
SliceMapToScanImageFilter<TMapImage, TReferenceImage, TMaskImage>::SliceMapToScanImageFilter()
{
  this->AddRequiredInputName("ReferenceImage");
}

template <typename TMapImage, typename TReferenceImage, typename TMaskImage>
void
SliceMapToScanImageFilter<TMapImage, TReferenceImage, TMaskImage>::VerifyInputInformation() ITKv5_CONST
{
  // The map and the scan live on different grids by design; only their slice
  // axes must agree (3D), and the mask must sit on the scan's grid.
  const MapImageType *       map = this->GetInput();
  const ReferenceImageType * reference = this->GetReferenceImage();
  if (ImageDimension == 3)
  {
    constexpr unsigned int sliceAxis = ImageDimension - 1;
    const auto             mapSlices = map->GetLargestPossibleRegion().GetSize(sliceAxis);
    const auto             scanSlices = reference->GetLargestPossibleRegion().GetSize(sliceAxis);
    const double           mapStep = map->GetSpacing()[sliceAxis];
    const double           scanStep = reference->GetSpacing()[sliceAxis];
    if (mapSlices != scanSlices || std::abs(mapStep - scanStep) > 1e-6 * std::abs(scanStep))
    {
      itkExceptionMacro(<< "the map has " << mapSlices << " slices " << mapStep << " apart but the scan has "
                        << scanSlices << " slices " << scanStep
                        << " apart: the map must come from CradlPreprocessImageFilter run on this scan");
    }
  }
  if (const MaskImageType * mask = this->GetMaskImage())
  {
    const std::string mismatch = CradlDescribeGridMismatch<ImageDimension>(reference, mask);
    if (!mismatch.empty())
    {
      itkExceptionMacro(<< "the brain mask is not on the scan's grid (" << mismatch
                        << "): give the mask that belongs to the reference scan");
    }
  }
}

template <typename TMapImage, typename TReferenceImage, typename TMaskImage>
void
SliceMapToScanImageFilter<TMapImage, TReferenceImage, TMaskImage>::GenerateOutputInformation()
{
  const ReferenceImageType * reference = this->GetReferenceImage();
  OutputImageType *          output = this->GetOutput();
  if (reference == nullptr || output == nullptr)
  {
    return;
  }
  output->CopyInformation(reference);
  output->SetLargestPossibleRegion(reference->GetLargestPossibleRegion());
}

template <typename TMapImage, typename TReferenceImage, typename TMaskImage>
void
SliceMapToScanImageFilter<TMapImage, TReferenceImage, TMaskImage>::GenerateInputRequestedRegion()
{
  // Interpolation may reach any part of the map; the reference only lends its grid.
  if (auto * map = const_cast<MapImageType *>(this->GetInput()))
  {
    map->SetRequestedRegionToLargestPossibleRegion();
  }
  if (auto * reference = const_cast<ReferenceImageType *>(this->GetReferenceImage()))
  {
    reference->SetRequestedRegionToLargestPossibleRegion();
  }
  if (auto * mask = const_cast<MaskImageType *>(this->GetMaskImage()))
  {
    mask->SetRequestedRegionToLargestPossibleRegion();
  }
}

template <typename TMapImage, typename TReferenceImage, typename TMaskImage>
void
SliceMapToScanImageFilter<TMapImage, TReferenceImage, TMaskImage>::EnlargeOutputRequestedRegion(DataObject * output)
{
  Superclass::EnlargeOutputRequestedRegion(output);
  output->SetRequestedRegionToLargestPossibleRegion();
}

template <typename TMapImage, typename TReferenceImage, typename TMaskImage>
void
SliceMapToScanImageFilter<TMapImage, TReferenceImage, TMaskImage>::GenerateData()
{
  auto progress = ProgressAccumulator::New();
  progress->SetMiniPipelineFilter(this);

  using Resampler = ResampleImageFilter<MapImageType, OutputImageType, double>;
  auto resampler = Resampler::New();
  resampler->SetInput(this->GetInput());
  resampler->SetOutputParametersFromImage(this->GetReferenceImage());
  resampler->SetDefaultPixelValue(0.0f);
  progress->RegisterInternalFilter(resampler, 1.0f);

  const MaskImageType * mask = this->GetMaskImage();
  if (mask == nullptr)
  {
    resampler->GraftOutput(this->GetOutput());
    resampler->Update();
    this->GraftOutput(resampler->GetOutput());
    return;
  }

  resampler->Update();
  OutputImageType * output = this->GetOutput();
  output->SetBufferedRegion(output->GetRequestedRegion());
  output->Allocate();
  const auto                                region = output->GetRequestedRegion();
  ImageRegionConstIterator<OutputImageType> mapped(resampler->GetOutput(), region);
  ImageRegionConstIterator<MaskImageType>   inMask(mask, region);
  ImageRegionIterator<OutputImageType>      out(output, region);
  for (; !out.IsAtEnd(); ++mapped, ++inMask, ++out)
  {
    out.Set(inMask.Get() != 0 ? mapped.Get() : 0.0f);
  }
}

template <typename TMapImage, typename TReferenceImage, typename TMaskImage>
void
SliceMapToScanImageFilter<TMapImage, TReferenceImage, TMaskImage>::PrintSelf(std::ostream & os,
                                                                             Indent         indent) const
{
  Superclass::PrintSelf(os, indent);
  os << indent << "ReferenceImage: " << static_cast<const void *>(this->GetReferenceImage()) << std::endl;
  os << indent << "MaskImage: " << static_cast<const void *>(this->GetMaskImage()) << std::endl;
}

} // namespace itk

#endif
