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
#ifndef itkPlanarMedianImageFilter_hxx
#define itkPlanarMedianImageFilter_hxx

#include "itkImageRegionConstIteratorWithIndex.h"
#include "itkTotalProgressReporter.h"

#include <algorithm>
#include <vector>

namespace itk
{

template <typename TImage>
void
PlanarMedianImageFilter<TImage>::GenerateOutputInformation()
{
  Superclass::GenerateOutputInformation();
  auto region = this->GetInput()->GetLargestPossibleRegion();
  for (unsigned int axis = 0; axis < 2; ++axis)
  {
    if (region.GetSize(axis) <= 2 * m_Radius)
    {
      itkExceptionMacro(<< "the input is " << region.GetSize(axis) << " pixels along axis " << axis
                        << ", not more than twice the radius " << m_Radius << ": pad it by the radius first");
    }
    region.SetIndex(axis, region.GetIndex(axis) + m_Radius);
    region.SetSize(axis, region.GetSize(axis) - 2 * m_Radius);
  }
  this->GetOutput()->SetLargestPossibleRegion(region);
}

template <typename TImage>
void
PlanarMedianImageFilter<TImage>::GenerateInputRequestedRegion()
{
  const_cast<TImage *>(this->GetInput())->SetRequestedRegionToLargestPossibleRegion();
}

template <typename TImage>
void
PlanarMedianImageFilter<TImage>::DynamicThreadedGenerateData(const RegionType & region)
{
  const TImage *         input = this->GetInput();
  TImage *               output = this->GetOutput();
  const int              r = static_cast<int>(m_Radius);
  const std::size_t      window = static_cast<std::size_t>((2 * r + 1) * (2 * r + 1));
  const auto             rowStride = static_cast<std::ptrdiff_t>(input->GetOffsetTable()[1]);
  std::vector<PixelType> values(window);
  TotalProgressReporter  progress(this, output->GetRequestedRegion().GetNumberOfPixels());
  const auto             width = region.GetSize(0);
  auto                   rowRegion = region;
  rowRegion.SetSize(0, 1);
  for (ImageRegionConstIteratorWithIndex<TImage> rows(output, rowRegion); !rows.IsAtEnd(); ++rows)
  {
    const auto        start = rows.GetIndex();
    const PixelType * center = input->GetBufferPointer() + input->ComputeOffset(start);
    PixelType *       out = output->GetBufferPointer() + output->ComputeOffset(start);

    SizeValueType x = 0;
    for (; r <= MaximumLanesRadius && x + Lanes <= width; x += Lanes)
    {
      medianOfLanes(center + x, rowStride, r, out + x);
    }
    for (; x < width; ++x)
    {
      std::size_t n = 0;
      for (int dy = -r; dy <= r; ++dy)
      {
        for (int dx = -r; dx <= r; ++dx)
        {
          values[n++] = center[x + dy * rowStride + dx];
        }
      }
      std::nth_element(values.begin(), values.begin() + window / 2, values.end());
      out[x] = values[window / 2];
    }
    progress.Completed(width);
  }
}

// Medians of Lanes neighbouring pixels at once by forgetful selection: keep
// n/2 + 2 of the n window values, repeatedly move the smallest and largest
// to the ends and drop them while taking in the next value; the 3 left hold
// the median. Only min/max over lanes, which the compiler vectorises.
template <typename TImage>
void
PlanarMedianImageFilter<TImage>::medianOfLanes(const PixelType * center, std::ptrdiff_t rowStride, int r,
                                               PixelType * out)
{
  const int side = 2 * r + 1;
  const int n = side * side;
  int       kept = n / 2 + 2;
  if (n == 1)
  {
    std::copy(center, center + Lanes, out);
    return;
  }
  PixelType set[64][Lanes]; // window values not yet discarded: r <= MaximumLanesRadius, n <= 121, kept <= 62
  int       next = 0;
  const auto load = [&](int index, PixelType * lanes) {
    const PixelType * source = center + (index / side - r) * rowStride + (index % side - r);
    std::copy(source, source + Lanes, lanes);
  };
  for (; next < kept; ++next)
  {
    load(next, set[next]);
  }
  const auto exchange = [](PixelType * low, PixelType * high) {
    for (std::size_t lane = 0; lane < Lanes; ++lane)
    {
      const PixelType a = low[lane];
      const PixelType b = high[lane];
      low[lane] = std::min(a, b);
      high[lane] = std::max(a, b);
    }
  };
  for (;;)
  {
    for (int i = 1; i < kept; ++i)
    {
      exchange(set[0], set[i]); // smallest to the front
    }
    for (int i = 1; i < kept - 1; ++i)
    {
      exchange(set[i], set[kept - 1]); // largest to the back
    }
    if (next == n)
    {
      break;
    }
    load(next++, set[0]); // the smallest makes room for the next value
    --kept;               // and the largest is dropped
  }
  // kept == 3 here, ordered min, ?, max: the middle one is the median.
  std::copy(set[1], set[1] + Lanes, out);
}

template <typename TImage>
void
PlanarMedianImageFilter<TImage>::PrintSelf(std::ostream & os, Indent indent) const
{
  Superclass::PrintSelf(os, indent);
  os << indent << "Radius: " << m_Radius << std::endl;
}

} // namespace itk

#endif
