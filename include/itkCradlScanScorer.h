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
#ifndef itkCradlScanScorer_h
#define itkCradlScanScorer_h

#include "CradlExport.h"
#include "itkContrastiveEncoderModel.h"
#include "itkCradlScoringSettings.h"
#include "itkGaussianMixtureModel.h"
#include "itkImage.h"
#include "itkObject.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace itk
{

/** \class CradlScanScorer
 * \brief Scores one scan with the trained encoder and the fitted mixture:
 * the map of the Settings' Mode (RepresentationNLLGradientImageFilter or
 * RepresentationPatchDensityImageFilter), then
 * MedianGaussianPostprocessImageFilter, all with the Settings
 * (CradlScoringSettings). Mode "fused" averages the gradient map, the patch
 * map (when the mixture has a patch density) and the intensity deviation
 * (IntensityZScoreImageFilter), each post-processed, with
 * AnomalyMapFusionImageFilter (each standardised on the scan's brain).
 *
 * Score() returns the post-processed anomaly map and the raw map on the
 * scan's grid, the raw map on the slice grid and -log p(f(x)) per axial slice.
 * The same object scores test scans (`cradl score`), validation scans for
 * model selection (MixtureModelSelector) and healthy scans for the label-free
 * threshold, so all three use one recipe.
 *
 * \sa CradlScoringSettings, MixtureModelSelector
 * \ingroup Cradl
 */
class Cradl_EXPORT CradlScanScorer : public Object
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(CradlScanScorer);

  using Self = CradlScanScorer;
  using Superclass = Object;
  using Pointer = SmartPointer<Self>;
  using ConstPointer = SmartPointer<const Self>;

  itkNewMacro(Self);
  itkTypeMacro(CradlScanScorer, Object);

  using ImageType = Image<float, 3>;
  using MaskImageType = Image<unsigned char, 3>;

  struct Result
  {
    ImageType::Pointer  AnomalyMap; // post-processed, scan grid
    ImageType::Pointer  RawMap;     // the mode's map before post-processing, scan grid
    ImageType::Pointer  SliceMap;   // the same on the slice grid
    std::vector<double> SliceNLL;   // -log p(f(x)) per axial slice
    /** Mode "fused": each post-processed map it combined, by name ("gradient",
     *  "patch", "intensity"); empty in the other modes. */
    std::map<std::string, ImageType::Pointer> Components;
  };

  /** The maps of a scan before post-processing: what the Mode needs, by name
   *  ("gradient", "patch", "intensity"), with the slice map and slice scores
   *  (the gradient's in fused mode). Post-processing settings do not enter:
   *  Finish() them with several settings, and each map's median is computed
   *  once (copies share that work). */
  struct Cradl_EXPORT RawMaps
  {
    std::map<std::string, ImageType::Pointer> Maps;
    ImageType::Pointer                        SliceMap;
    std::vector<double>                       SliceNLL;

    RawMaps();
    RawMaps(const RawMaps & other);
    RawMaps(RawMaps && other) noexcept;
    RawMaps &
    operator=(RawMaps other) noexcept;
    ~RawMaps();

    /** What scoring keeps beside the maps to finish them again cheaply (each
     *  map's post-processing, every encoder map's slices): the module's own
     *  business (src/cradlRawMapsReuse.h), opaque here. */
    struct Reuse;
#ifndef ITK_WRAPPING_PARSER // an opaque pointer: nothing for Python to reach
    std::unique_ptr<Reuse> Kept;
#endif
  };

  void
  SetEncoder(const ContrastiveEncoderModel * encoder);
  const ContrastiveEncoderModel *
  GetEncoder() const
  {
    return m_Encoder;
  }
  void
  SetMixture(const GaussianMixtureModel * mixture);
  const GaussianMixtureModel *
  GetMixture() const
  {
    return m_Mixture;
  }
  void
  SetSettings(const CradlScoringSettings & settings);
  const CradlScoringSettings &
  GetSettings() const
  {
    return m_Settings;
  }

  /** Scores `scan` (brain `mask` optional). Throws ExceptionObject (no
   *  encoder or mixture, mismatched models or grids, an unusable device). */
  Result
  Score(const ImageType * scan, const MaskImageType * mask) const;

  /** Score() in two steps, so that several post-processing settings can
   *  finish one scoring pass (MixtureModelSelector tries sigmas this way):
   *  the encoder's maps, then post-processing (and fusion) with the Settings. */
  RawMaps
  ScoreRaw(const ImageType * scan, const MaskImageType * mask) const;
  Result
  Finish(const RawMaps & raw, const MaskImageType * mask) const;

protected:
  CradlScanScorer() = default;
  ~CradlScanScorer() override = default;
  void
  PrintSelf(std::ostream & os, Indent indent) const override;

private:
  // The selector scores many candidates on the same scans and shares the
  // maps that do not depend on the candidate (scoreRawReusing).
  friend class MixtureModelSelector;

  /** ScoreRaw, taking the maps `known` holds as they are (with their
   *  post-processing) and scoring only the others: the caller vouches that
   *  they are this scan's under this encoder and mixture, e.g. the intensity
   *  and patch maps of a candidate with the same patch density. */
  RawMaps
  ScoreRaw(const ImageType * scan, const MaskImageType * mask, RawMaps known) const;

  /** One encoder map ("gradient" or "patch") into `raw`; the slice map and
   *  slice scores too when `withSlices`. */
  void
  ScoreMap(const std::string & mode, const ImageType * scan, const MaskImageType * mask, RawMaps & raw,
           bool withSlices) const;

  ContrastiveEncoderModel::ConstPointer m_Encoder;
  GaussianMixtureModel::ConstPointer    m_Mixture;
  CradlScoringSettings                  m_Settings;
};

} // namespace itk

#endif
