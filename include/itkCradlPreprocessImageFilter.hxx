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
#ifndef itkCradlPreprocessImageFilter_hxx
#define itkCradlPreprocessImageFilter_hxx

#include "itkCradlGeometry.h"
#include "itkImageRegionConstIteratorWithIndex.h"
#include "itkImageRegionIterator.h"
#include "itkNearestNeighborInterpolateImageFunction.h"
#include "itkProgressAccumulator.h"
#include "itkResampleImageFilter.h"

#include <algorithm>
#include <cmath>

namespace itk
{

template <typename TInputImage, typename TMaskImage>
CradlPreprocessImageFilter<TInputImage, TMaskImage>::CradlPreprocessImageFilter()
{
  m_SliceSize.Fill(128);
  this->SetNumberOfRequiredInputs(1);
  this->SetNumberOfRequiredOutputs(2);
  this->SetNthOutput(1, this->MakeOutput(1));
}

template <typename TInputImage, typename TMaskImage>
DataObject::Pointer
CradlPreprocessImageFilter<TInputImage, TMaskImage>::MakeOutput(DataObjectPointerArraySizeType index)
{
  if (index == 1)
  {
    return MaskImageType::New().GetPointer();
  }
  return Superclass::MakeOutput(index);
}

template <typename TInputImage, typename TMaskImage>
auto
CradlPreprocessImageFilter<TInputImage, TMaskImage>::GetMaskOutput() -> MaskImageType *
{
  return dynamic_cast<MaskImageType *>(this->ProcessObject::GetOutput(1));
}

template <typename TInputImage, typename TMaskImage>
auto
CradlPreprocessImageFilter<TInputImage, TMaskImage>::MakeSliceGrid(const ImageBase<ImageDimension> * scan,
                                                                   const SliceSizeType &            sliceSize,
                                                                   bool preserveAspectRatio) ->
  typename GridType::Pointer
{
  const auto scanSize = scan->GetLargestPossibleRegion().GetSize();
  const auto scanSpacing = scan->GetSpacing();

  typename GridType::SizeType    size = scanSize;
  typename GridType::SpacingType spacing = scanSpacing;
  for (unsigned int axis = 0; axis < 2; ++axis)
  {
    size[axis] = sliceSize[axis];
    spacing[axis] = scanSize[axis] * scanSpacing[axis] / sliceSize[axis];
  }
  if (preserveAspectRatio)
  {
    const double common = std::max(spacing[0], spacing[1]);
    spacing[0] = common;
    spacing[1] = common;
  }

  // Centre the grid on the scan: shift the origin along the in-plane axes by
  // the difference of the two grids' half extents (between voxel centres).
  typename GridType::PointType::VectorType shiftInIndexFrame;
  shiftInIndexFrame.Fill(0.0);
  for (unsigned int axis = 0; axis < 2; ++axis)
  {
    shiftInIndexFrame[axis] =
      0.5 * ((scanSize[axis] - 1.0) * scanSpacing[axis] - (sliceSize[axis] - 1.0) * spacing[axis]);
  }
  const auto origin = scan->GetOrigin() + scan->GetDirection() * shiftInIndexFrame;

  auto grid = GridType::New();
  grid->SetRegions(typename GridType::RegionType(size));
  grid->SetSpacing(spacing);
  grid->SetOrigin(origin);
  grid->SetDirection(scan->GetDirection());
  return grid;
}

template <typename TInputImage, typename TMaskImage>
void
CradlPreprocessImageFilter<TInputImage, TMaskImage>::VerifyPreconditions() ITKv5_CONST
{
  Superclass::VerifyPreconditions();
  if (m_SliceSize[0] < 2 || m_SliceSize[1] < 2)
  {
    itkExceptionMacro(<< "SliceSize " << m_SliceSize << " is too small: use at least 2 x 2 (CRADL uses 128 x 128)");
  }
  if (!(m_ClipMinimum < m_ClipMaximum))
  {
    itkExceptionMacro(<< "ClipMinimum (" << m_ClipMinimum << ") must be below ClipMaximum (" << m_ClipMaximum
                      << ")");
  }
}

template <typename TInputImage, typename TMaskImage>
void
CradlPreprocessImageFilter<TInputImage, TMaskImage>::VerifyInputInformation() ITKv5_CONST
{
  CradlVerifyMaskGrid<ImageDimension>(this->GetInput(), this->GetMaskImage(), "scan");
}

template <typename TInputImage, typename TMaskImage>
void
CradlPreprocessImageFilter<TInputImage, TMaskImage>::GenerateOutputInformation()
{
  const InputImageType * input = this->GetInput();
  if (input == nullptr)
  {
    return;
  }
  const auto grid = MakeSliceGrid(input, m_SliceSize, m_PreserveAspectRatio);
  for (unsigned int index = 0; index < 2; ++index)
  {
    auto * output = dynamic_cast<ImageBase<ImageDimension> *>(this->ProcessObject::GetOutput(index));
    output->CopyInformation(grid);
    output->SetLargestPossibleRegion(grid->GetLargestPossibleRegion());
  }
}

template <typename TInputImage, typename TMaskImage>
void
CradlPreprocessImageFilter<TInputImage, TMaskImage>::GenerateInputRequestedRegion()
{
  Superclass::GenerateInputRequestedRegion();
  CradlRequestWholeImages(const_cast<InputImageType *>(this->GetInput()), const_cast<MaskImageType *>(this->GetMaskImage()));
}

template <typename TInputImage, typename TMaskImage>
void
CradlPreprocessImageFilter<TInputImage, TMaskImage>::EnlargeOutputRequestedRegion(DataObject * output)
{
  Superclass::EnlargeOutputRequestedRegion(output);
  output->SetRequestedRegionToLargestPossibleRegion();
}

template <typename TInputImage, typename TMaskImage>
void
CradlPreprocessImageFilter<TInputImage, TMaskImage>::GenerateData()
{
  const auto brain = this->MeasureBrain();
  const auto zScored = this->ZScore(brain);
  this->ResampleAndClip(zScored, brain);
}

template <typename TInputImage, typename TMaskImage>
auto
CradlPreprocessImageFilter<TInputImage, TMaskImage>::MeasureBrain() -> typename BrainImageType::Pointer
{
  const InputImageType * input = this->GetInput();
  const MaskImageType *  mask = this->GetMaskImage();
  const auto             region = input->GetLargestPossibleRegion();
  // Pass 1: the brain and its mean, refusing non-finite pixels.
  auto brain = BrainImageType::New();
  brain->CopyInformation(input);
  brain->SetRegions(region);
  brain->Allocate(true);
  double        sum = 0.0;
  SizeValueType count = 0;
  {
    ImageRegionConstIteratorWithIndex<InputImageType> in(input, region);
    ImageRegionIterator<BrainImageType>               out(brain, region);
    ImageRegionConstIterator<MaskImageType>           inMask;
    if (mask != nullptr)
    {
      inMask = ImageRegionConstIterator<MaskImageType>(mask, region);
    }
    for (; !in.IsAtEnd(); ++in, ++out)
    {
      const double value = static_cast<double>(in.Get());
      if (!std::isfinite(value))
      {
        itkExceptionMacro(<< "the scan has a non-finite pixel (" << value << ") at index " << in.GetIndex()
                          << ": replace NaN/inf values (e.g. by 0) before preprocessing");
      }
      bool inBrain = value != 0.0;
      if (mask != nullptr)
      {
        inBrain = inMask.Get() != 0;
        ++inMask;
      }
      if (inBrain)
      {
        out.Set(1);
        sum += value;
        ++count;
      }
    }
  }
  if (count == 0)
  {
    itkExceptionMacro(<< (mask != nullptr ? "the brain mask is empty (no non-zero voxel)"
                                          : "the scan is all zeros and no brain mask was given")
                      << ": give a mask with the brain's voxels set to non-zero");
  }
  m_BrainVoxelCount = count;
  m_BrainMean = sum / count;
  // A second pass for the variance: exact where sum-of-squares would cancel.
  double sumOfSquaredDeviations = 0.0;
  {
    ImageRegionConstIterator<InputImageType> in(input, region);
    ImageRegionConstIterator<BrainImageType> inBrain(brain, region);
    for (; !in.IsAtEnd(); ++in, ++inBrain)
    {
      if (inBrain.Get())
      {
        const double deviation = static_cast<double>(in.Get()) - m_BrainMean;
        sumOfSquaredDeviations += deviation * deviation;
      }
    }
  }
  m_BrainStandardDeviation = std::sqrt(sumOfSquaredDeviations / count);
  if (!(m_BrainStandardDeviation > 1e-12 * std::max(1.0, std::abs(m_BrainMean))))
  {
    itkExceptionMacro(<< "the brain's intensity is constant (" << m_BrainMean << " over " << count
                      << " voxels), so it cannot be z-scored: check the scan and its mask");
  }
  return brain;
}

template <typename TInputImage, typename TMaskImage>
auto
CradlPreprocessImageFilter<TInputImage, TMaskImage>::ZScore(const BrainImageType * brain) const -> typename OutputImageType::Pointer
{
  const InputImageType * input = this->GetInput();
  const auto             region = input->GetLargestPossibleRegion();
  // Pass 2: z-score inside the brain, 0 outside.
  auto zScored = OutputImageType::New();
  zScored->CopyInformation(input);
  zScored->SetRegions(region);
  zScored->Allocate();
  {
    ImageRegionConstIterator<InputImageType> in(input, region);
    ImageRegionConstIterator<BrainImageType> inBrain(brain, region);
    ImageRegionIterator<OutputImageType>     out(zScored, region);
    for (; !in.IsAtEnd(); ++in, ++inBrain, ++out)
    {
      out.Set(inBrain.Get() ? static_cast<float>((in.Get() - m_BrainMean) / m_BrainStandardDeviation) : 0.0f);
    }
  }
  return zScored;
}

template <typename TInputImage, typename TMaskImage>
void
CradlPreprocessImageFilter<TInputImage, TMaskImage>::ResampleAndClip(const OutputImageType * zScored, const BrainImageType * brain)
{
  const InputImageType * input = this->GetInput();
  // Resample both onto the slice grid. The grid shares the scan's third axis,
  // so slices are not mixed along it.
  const auto grid = MakeSliceGrid(input, m_SliceSize, m_PreserveAspectRatio);
  auto       progress = ProgressAccumulator::New();
  progress->SetMiniPipelineFilter(this);

  using IntensityResampler = ResampleImageFilter<OutputImageType, OutputImageType, double>;
  auto intensityResampler = IntensityResampler::New();
  intensityResampler->SetInput(zScored);
  intensityResampler->SetOutputParametersFromImage(grid);
  intensityResampler->SetDefaultPixelValue(0.0f);
  progress->RegisterInternalFilter(intensityResampler, 0.6f);

  using BrainResampler = ResampleImageFilter<BrainImageType, BrainImageType, double>;
  auto brainResampler = BrainResampler::New();
  brainResampler->SetInput(brain);
  brainResampler->SetOutputParametersFromImage(grid);
  brainResampler->SetInterpolator(NearestNeighborInterpolateImageFunction<BrainImageType, double>::New());
  brainResampler->SetDefaultPixelValue(0);
  progress->RegisterInternalFilter(brainResampler, 0.4f);

  intensityResampler->Update();
  brainResampler->Update();

  // Clip inside the brain, 0 outside.
  OutputImageType * output = this->GetOutput();
  output->SetBufferedRegion(output->GetRequestedRegion());
  output->Allocate();
  MaskImageType * maskOutput = this->GetMaskOutput();
  maskOutput->SetBufferedRegion(maskOutput->GetRequestedRegion());
  maskOutput->Allocate();
  const auto                               gridRegion = output->GetRequestedRegion();
  ImageRegionConstIterator<OutputImageType> resampled(intensityResampler->GetOutput(), gridRegion);
  ImageRegionConstIterator<BrainImageType>  resampledBrain(brainResampler->GetOutput(), gridRegion);
  ImageRegionIterator<OutputImageType>      out(output, gridRegion);
  ImageRegionIterator<MaskImageType>        outMask(maskOutput, gridRegion);
  const auto                                low = static_cast<float>(m_ClipMinimum);
  const auto                                high = static_cast<float>(m_ClipMaximum);
  for (; !out.IsAtEnd(); ++resampled, ++resampledBrain, ++out, ++outMask)
  {
    const bool inBrain = resampledBrain.Get() != 0;
    out.Set(inBrain ? std::min(high, std::max(low, resampled.Get())) : 0.0f);
    outMask.Set(inBrain ? 1 : 0);
  }
}

template <typename TInputImage, typename TMaskImage>
void
CradlPreprocessImageFilter<TInputImage, TMaskImage>::PrintSelf(std::ostream & os, Indent indent) const
{
  Superclass::PrintSelf(os, indent);
  os << indent << "SliceSize: " << m_SliceSize << std::endl;
  os << indent << "PreserveAspectRatio: " << (m_PreserveAspectRatio ? "On" : "Off") << std::endl;
  os << indent << "ClipMinimum: " << m_ClipMinimum << std::endl;
  os << indent << "ClipMaximum: " << m_ClipMaximum << std::endl;
  os << indent << "BrainMean: " << m_BrainMean << std::endl;
  os << indent << "BrainStandardDeviation: " << m_BrainStandardDeviation << std::endl;
  os << indent << "BrainVoxelCount: " << m_BrainVoxelCount << std::endl;
}

} // namespace itk

#endif
