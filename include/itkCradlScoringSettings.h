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

#include "cradlDefaults.h"

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
  /** Which map: "gradient" (RepresentationNLLGradientImageFilter, the
   *  paper's), "patch" (RepresentationPatchDensityImageFilter) or "fused"
   *  (both and the intensity deviation, AnomalyMapFusionImageFilter). */
  std::string  Mode{ cradl::defaults::ScoringMode };
  /** "cpu", "cuda" or "cuda:N". */
  std::string  Device{ "cpu" };
  /** Slices per backward pass. */
  unsigned int BatchSize{ cradl::defaults::ScoringBatchSize };
  /** bfloat16 autocast for the encoder. */
  bool         MixedPrecision{ cradl::defaults::ScoringMixedPrecision };
  unsigned int MedianRadius{ cradl::defaults::MedianRadius };
  double       GaussianSigma{ cradl::defaults::GaussianSigma };
  unsigned int GaussianRadius{ cradl::defaults::GaussianRadius };

  bool
  operator==(const CradlScoringSettings & other) const
  {
    return Mode == other.Mode && Device == other.Device && BatchSize == other.BatchSize && MixedPrecision == other.MixedPrecision &&
           MedianRadius == other.MedianRadius && GaussianSigma == other.GaussianSigma &&
           GaussianRadius == other.GaussianRadius;
  }
  bool
  operator!=(const CradlScoringSettings & other) const
  {
    return !(*this == other);
  }
};

inline std::ostream &
operator<<(std::ostream & os, const CradlScoringSettings & settings)
{
  return os << "mode " << settings.Mode << ", device " << settings.Device << ", batch " << settings.BatchSize << ", mixed precision "
            << (settings.MixedPrecision ? "on" : "off") << ", median radius " << settings.MedianRadius << ", sigma "
            << settings.GaussianSigma << ", Gaussian radius " << settings.GaussianRadius;
}

} // namespace itk

#endif
