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
#ifndef itkCradlSliceSelection_h
#define itkCradlSliceSelection_h

#include "CradlExport.h"
#include "itkImage.h"
#include "itkImageRegionConstIteratorWithIndex.h"

#include <algorithm>

#include <vector>

namespace itk
{

/** Indices of the axial slices (third axis) of a mask that training and the
 * density use: at least minimumBrainFraction of the slice's pixels non-zero
 * (and at least one), then `margin` more dropped at each end of the kept
 * range. The mask is usually CradlPreprocessImageFilter's mask output; with
 * minimumBrainFraction 0 the result is every slice holding any non-zero pixel
 * (e.g. of an anomaly label).
 * \ingroup Cradl
 */
Cradl_EXPORT std::vector<unsigned int>
CradlSelectBrainSlices(const Image<unsigned char, 3> * mask, double minimumBrainFraction, unsigned int margin = 0);

/** Where an axial slice lies in its scan's brain, for densities conditioned
 * on position: the brain's bounding box over all slices of the scan as
 * fractions of the slice's width (X0 inclusive, X1 exclusive) and height (Y0,
 * Y1), and Depth, the slice centre's place between the scan's first (0) and
 * last (1) slice holding brain (below 0 or above 1 outside that range).
 * \ingroup Cradl
 */
struct CradlSliceFrame
{
  double X0 = 0.0;
  double X1 = 1.0;
  double Y0 = 0.0;
  double Y1 = 1.0;
  double Depth = 0.5;
};

/** The frame of every axial slice of a 3D brain mask (non-zero = brain),
 * usually CradlPreprocessImageFilter's mask output. Without brain, every
 * frame is the default (whole slice, middle depth).
 * \ingroup Cradl
 */
template <typename TMaskImage>
std::vector<CradlSliceFrame>
CradlBrainSliceFrames(const TMaskImage * mask)
{
  static_assert(TMaskImage::ImageDimension == 3, "slice frames are those of a volume's axial slices");
  const auto   region = mask->GetLargestPossibleRegion();
  const auto   size = region.GetSize();
  double       low[3] = { static_cast<double>(size[0]), static_cast<double>(size[1]), static_cast<double>(size[2]) };
  double       high[3] = { 0.0, 0.0, 0.0 }; // exclusive
  bool         any = false;
  for (ImageRegionConstIteratorWithIndex<TMaskImage> it(mask, region); !it.IsAtEnd(); ++it)
  {
    if (it.Get() == 0)
    {
      continue;
    }
    any = true;
    for (unsigned int axis = 0; axis < 3; ++axis)
    {
      const double at = static_cast<double>(it.GetIndex()[axis] - region.GetIndex()[axis]);
      low[axis] = std::min(low[axis], at);
      high[axis] = std::max(high[axis], at + 1.0);
    }
  }
  std::vector<CradlSliceFrame> frames(size[2]);
  if (!any)
  {
    return frames;
  }
  for (SizeValueType z = 0; z < size[2]; ++z)
  {
    auto & frame = frames[z];
    frame.X0 = low[0] / size[0];
    frame.X1 = high[0] / size[0];
    frame.Y0 = low[1] / size[1];
    frame.Y1 = high[1] / size[1];
    frame.Depth = (static_cast<double>(z) - low[2] + 0.5) / (high[2] - low[2]);
  }
  return frames;
}

} // namespace itk

#endif
