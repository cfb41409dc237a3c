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
#ifndef itkIntensityZScoreImageFilter_hxx
#define itkIntensityZScoreImageFilter_hxx

#include "itkCradlGeometry.h"
#include "itkImageRegionConstIterator.h"
#include "itkImageRegionIterator.h"

#include <algorithm>
#include <cmath>

namespace itk
{

template <typename TInputImage, typename TMaskImage>
void
IntensityZScoreImageFilter<TInputImage, TMaskImage>::VerifyInputInformation() ITKv5_CONST
{
  CradlVerifyMaskGrid<ImageDimension>(this->GetInput(), this->GetMaskImage(), "scan");
}

template <typename TInputImage, typename TMaskImage>
void
IntensityZScoreImageFilter<TInputImage, TMaskImage>::GenerateInputRequestedRegion()
{
  Superclass::GenerateInputRequestedRegion();
  CradlRequestWholeImages(const_cast<InputImageType *>(this->GetInput()), const_cast<MaskImageType *>(this->GetMaskImage()));
}

template <typename TInputImage, typename TMaskImage>
void
IntensityZScoreImageFilter<TInputImage, TMaskImage>::EnlargeOutputRequestedRegion(DataObject * output)
{
  Superclass::EnlargeOutputRequestedRegion(output);
  output->SetRequestedRegionToLargestPossibleRegion();
}

template <typename TInputImage, typename TMaskImage>
void
IntensityZScoreImageFilter<TInputImage, TMaskImage>::GenerateData()
{
  const InputImageType * input = this->GetInput();
  const MaskImageType *  mask = this->GetMaskImage();
  OutputImageType *      output = this->GetOutput();
  const auto             region = input->GetLargestPossibleRegion();
  output->SetBufferedRegion(output->GetRequestedRegion());
  output->Allocate();

  ImageRegionConstIterator<InputImageType> in(input, region);
  ImageRegionConstIterator<MaskImageType>  inMask;
  if (mask != nullptr)
  {
    inMask = ImageRegionConstIterator<MaskImageType>(mask, region);
  }
  const auto inBrain = [&](double value) { return mask != nullptr ? inMask.Get() != 0 : value != 0.0; };
  double     sum = 0.0;
  double     squares = 0.0;
  double     count = 0.0;
  for (in.GoToBegin(), inMask.GoToBegin(); !in.IsAtEnd(); ++in)
  {
    const double value = static_cast<double>(in.Get());
    if (inBrain(value))
    {
      sum += value;
      squares += value * value;
      ++count;
    }
    if (mask != nullptr)
    {
      ++inMask;
    }
  }
  if (count == 0.0)
  {
    itkExceptionMacro(<< "no brain: the mask is empty (or, without a mask, every pixel is 0)");
  }
  m_BrainMean = sum / count;
  m_BrainStandardDeviation = std::sqrt(std::max(1e-12, squares / count - m_BrainMean * m_BrainMean));

  ImageRegionIterator<OutputImageType> out(output, region);
  for (in.GoToBegin(), inMask.GoToBegin(); !in.IsAtEnd(); ++in, ++out)
  {
    const double value = static_cast<double>(in.Get());
    out.Set(inBrain(value) ? static_cast<float>(std::abs(value - m_BrainMean) / m_BrainStandardDeviation) : 0.0f);
    if (mask != nullptr)
    {
      ++inMask;
    }
  }
}

template <typename TInputImage, typename TMaskImage>
void
IntensityZScoreImageFilter<TInputImage, TMaskImage>::PrintSelf(std::ostream & os, Indent indent) const
{
  Superclass::PrintSelf(os, indent);
  os << indent << "BrainMean: " << m_BrainMean << std::endl;
  os << indent << "BrainStandardDeviation: " << m_BrainStandardDeviation << std::endl;
}

} // namespace itk

#endif
