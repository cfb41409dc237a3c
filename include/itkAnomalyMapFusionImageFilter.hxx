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
#ifndef itkAnomalyMapFusionImageFilter_hxx
#define itkAnomalyMapFusionImageFilter_hxx

#include "itkCradlGeometry.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace itk
{

template <typename TImage, typename TMaskImage>
double
AnomalyMapFusionImageFilter<TImage, TMaskImage>::Percentile(std::vector<float> & values, double percent)
{
  // numpy.percentile's default: position q (n - 1) between order statistics.
  const double position = percent / 100.0 * static_cast<double>(values.size() - 1);
  const auto   below = static_cast<std::size_t>(std::floor(position));
  std::nth_element(values.begin(), values.begin() + below, values.end());
  const double low = values[below];
  if (below + 1 >= values.size())
  {
    return low;
  }
  const double high = *std::min_element(values.begin() + below + 1, values.end());
  return low + (high - low) * (position - static_cast<double>(below));
}

template <typename TImage, typename TMaskImage>
void
AnomalyMapFusionImageFilter<TImage, TMaskImage>::VerifyInputInformation() ITKv5_CONST
{
  for (unsigned int i = 1; i < this->GetNumberOfIndexedInputs(); ++i)
  {
    const std::string mismatch = CradlDescribeGridMismatch<ImageDimension>(this->GetInput(0), this->GetInput(i));
    if (!mismatch.empty())
    {
      itkExceptionMacro(<< "map " << i << " is not on map 0's grid (" << mismatch << ")");
    }
  }
  CradlVerifyMaskGrid<ImageDimension>(this->GetInput(0), this->GetMaskImage(), "map");
}

template <typename TImage, typename TMaskImage>
void
AnomalyMapFusionImageFilter<TImage, TMaskImage>::GenerateInputRequestedRegion()
{
  Superclass::GenerateInputRequestedRegion();
  for (unsigned int i = 0; i < this->GetNumberOfIndexedInputs(); ++i)
  {
    CradlRequestWholeImages(const_cast<ImageType *>(this->GetInput(i)));
  }
  CradlRequestWholeImages(const_cast<MaskImageType *>(this->GetMaskImage()));
}

template <typename TImage, typename TMaskImage>
void
AnomalyMapFusionImageFilter<TImage, TMaskImage>::EnlargeOutputRequestedRegion(DataObject * output)
{
  Superclass::EnlargeOutputRequestedRegion(output);
  output->SetRequestedRegionToLargestPossibleRegion();
}

template <typename TImage, typename TMaskImage>
void
AnomalyMapFusionImageFilter<TImage, TMaskImage>::GenerateData()
{
  const unsigned int    maps = this->GetNumberOfIndexedInputs();
  const MaskImageType * mask = this->GetMaskImage();
  ImageType *           output = this->GetOutput();
  output->SetBufferedRegion(output->GetRequestedRegion());
  output->Allocate();
  const SizeValueType n = output->GetBufferedRegion().GetNumberOfPixels();
  const auto inBrain = [&](SizeValueType i) { return mask == nullptr || mask->GetBufferPointer()[i] != 0; };

  std::vector<double> fused(n, 0.0);
  m_Medians.assign(maps, 0.0);
  m_InterquartileRanges.assign(maps, 1.0);
  for (unsigned int m = 0; m < maps; ++m)
  {
    const auto *       values = this->GetInput(m)->GetBufferPointer();
    std::vector<float> brain;
    for (SizeValueType i = 0; i < n; ++i)
    {
      if (inBrain(i))
      {
        brain.push_back(values[i]);
      }
    }
    if (brain.empty())
    {
      itkExceptionMacro(<< "no brain to standardise the maps on: the mask is empty");
    }
    m_Medians[m] = Percentile(brain, 50.0);
    const double range = Percentile(brain, 75.0) - Percentile(brain, 25.0);
    m_InterquartileRanges[m] = range > 0.0 ? range : 1.0;
    for (SizeValueType i = 0; i < n; ++i)
    {
      fused[i] += (values[i] - m_Medians[m]) / m_InterquartileRanges[m];
    }
  }
  double lowest = std::numeric_limits<double>::max();
  for (SizeValueType i = 0; i < n; ++i)
  {
    fused[i] /= maps;
    if (inBrain(i))
    {
      lowest = std::min(lowest, fused[i]);
    }
  }
  for (SizeValueType i = 0; i < n; ++i)
  {
    output->GetBufferPointer()[i] = static_cast<float>(inBrain(i) ? fused[i] : lowest);
  }
}

template <typename TImage, typename TMaskImage>
void
AnomalyMapFusionImageFilter<TImage, TMaskImage>::PrintSelf(std::ostream & os, Indent indent) const
{
  Superclass::PrintSelf(os, indent);
  for (std::size_t m = 0; m < m_Medians.size(); ++m)
  {
    os << indent << "Map " << m << ": median " << m_Medians[m] << ", IQR " << m_InterquartileRanges[m] << std::endl;
  }
}

} // namespace itk

#endif
