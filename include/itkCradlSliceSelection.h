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

} // namespace itk

#endif
