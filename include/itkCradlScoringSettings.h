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
#ifndef itkCradlScoringSettings_h
#define itkCradlScoringSettings_h

#include "cradlSettingDeclarations.h"

#include <ostream>
#include <string>

namespace itk
{

/** \brief How a scan is scored: the one recipe that `cradl score`, model
 * selection (MixtureModelSelector) and evaluation share, so that a mixture
 * is chosen under the settings it is used with.
 *
 * The map's settings go to RepresentationNLLGradientImageFilter or
 * RepresentationPatchDensityImageFilter (Mode), the post-processing's to
 * MedianGaussianPostprocessImageFilter; CradlScanScorer runs both.
 * \ingroup Cradl
 */
struct CradlScoringSettings
{
  /** Mode ("gradient": RepresentationNLLGradientImageFilter, the paper's;
   *  "patch": RepresentationPatchDensityImageFilter; "fused": both and the
   *  intensity deviation, AnomalyMapFusionImageFilter), Device, BatchSize,
   *  MixedPrecision, MedianRadius, GaussianSigma, GaussianRadius: each a row
   *  of CRADL_SCORING_SETTINGS (cradlSettingDeclarations.h) with its default. */
#define cradlScoringField(kind, Name, Type, key, value, constraint, help) Type Name = value;
  CRADL_SCORING_SETTINGS(cradlScoringField)
#undef cradlScoringField

  bool
  operator==(const CradlScoringSettings & other) const
  {
#define cradlScoringFieldEqual(kind, Name, Type, key, value, constraint, help) &&Name == other.Name
    return true CRADL_SCORING_SETTINGS(cradlScoringFieldEqual);
#undef cradlScoringFieldEqual
  }
  bool
  operator!=(const CradlScoringSettings & other) const
  {
    return !(*this == other);
  }
};

/** "mode gradient, device cpu, batch_size 64, ...": each field by its key. */
inline std::ostream &
operator<<(std::ostream & os, const CradlScoringSettings & settings)
{
  const char * separator = "";
#define cradlScoringFieldText(kind, Name, Type, key, value, constraint, help)                                        \
  os << separator << key << " " << settings.Name;                                                                     \
  separator = ", ";
  CRADL_SCORING_SETTINGS(cradlScoringFieldText)
#undef cradlScoringFieldText
  return os;
}

} // namespace itk

#endif
