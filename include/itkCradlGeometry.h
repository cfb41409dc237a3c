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
#ifndef itkCradlGeometry_h
#define itkCradlGeometry_h

#include "itkImageBase.h"

#include <cmath>
#include <sstream>
#include <string>

namespace itk
{

/** \brief Says how two images' grids differ, or returns "" when they match.
 *
 * Grids match when their sizes are equal and their spacing, origin and
 * direction agree to `tolerance` (relative to the spacing for spacing and
 * origin, absolute for the direction cosines), as ITK's own
 * ImageToImageFilter::VerifyInputInformation decides. The text names each
 * differing property with both values, for error messages.
 *
 * \ingroup Cradl
 */
template <unsigned int VDimension>
std::string
CradlDescribeGridMismatch(const ImageBase<VDimension> * first,
                          const ImageBase<VDimension> * second,
                          double                        tolerance = 1e-6)
{
  std::ostringstream differences;
  const auto         firstSize = first->GetLargestPossibleRegion().GetSize();
  const auto         secondSize = second->GetLargestPossibleRegion().GetSize();
  if (firstSize != secondSize)
  {
    differences << " size " << firstSize << " vs " << secondSize << ";";
  }
  const double scale = std::abs(first->GetSpacing()[0]);
  bool         spacingDiffers = false;
  bool         originDiffers = false;
  bool         directionDiffers = false;
  for (unsigned int i = 0; i < VDimension; ++i)
  {
    spacingDiffers |= std::abs(first->GetSpacing()[i] - second->GetSpacing()[i]) > tolerance * scale;
    originDiffers |= std::abs(first->GetOrigin()[i] - second->GetOrigin()[i]) > tolerance * scale;
    for (unsigned int j = 0; j < VDimension; ++j)
    {
      directionDiffers |= std::abs(first->GetDirection()(i, j) - second->GetDirection()(i, j)) > tolerance;
    }
  }
  if (spacingDiffers)
  {
    differences << " spacing " << first->GetSpacing() << " vs " << second->GetSpacing() << ";";
  }
  if (originDiffers)
  {
    differences << " origin " << first->GetOrigin() << " vs " << second->GetOrigin() << ";";
  }
  if (directionDiffers)
  {
    const auto rows = [](const typename ImageBase<VDimension>::DirectionType & direction) {
      std::ostringstream text;
      for (unsigned int i = 0; i < VDimension; ++i)
      {
        text << (i == 0 ? "[[" : " [");
        for (unsigned int j = 0; j < VDimension; ++j)
        {
          text << (j == 0 ? "" : ", ") << direction(i, j);
        }
        text << (i + 1 == VDimension ? "]]" : "],");
      }
      return text.str();
    };
    differences << " direction " << rows(first->GetDirection()) << " vs " << rows(second->GetDirection()) << ";";
  }
  std::string text = differences.str();
  if (!text.empty())
  {
    text = text.substr(1, text.size() - 2); // drop the leading blank and the last ';'
  }
  return text;
}

/** \brief Throws ExceptionObject when `mask` (optional: nullptr passes) is
 * not on `image`'s grid, saying how the grids differ and what to do;
 * `imageName` names the image ("scan", "map").
 * \ingroup Cradl
 */
template <unsigned int VDimension>
void
CradlVerifyMaskGrid(const ImageBase<VDimension> * image, const ImageBase<VDimension> * mask, const char * imageName)
{
  if (mask == nullptr)
  {
    return;
  }
  const std::string mismatch = CradlDescribeGridMismatch<VDimension>(image, mask);
  if (!mismatch.empty())
  {
    itkGenericExceptionMacro(<< "the brain mask is not on the " << imageName << "'s grid (" << mismatch
                             << "): resample the mask onto the " << imageName
                             << ", e.g. with itk::ResampleImageFilter and a nearest-neighbour interpolator");
  }
}

/** \brief Requests the whole of each image (nullptr skipped): the filters
 * whose result depends on the whole brain (z-scores, slices, maps) ask for it
 * whatever part of their output is requested.
 * \ingroup Cradl
 */
template <typename... TImages>
void
CradlRequestWholeImages(TImages *... images)
{
  ((images != nullptr ? images->SetRequestedRegionToLargestPossibleRegion() : void()), ...);
}

} // namespace itk

#endif
