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
#ifndef itkAnomalyMapEvaluator_h
#define itkAnomalyMapEvaluator_h

#include "CradlExport.h"
#include "itkCradlRankingAccumulator.h"
#include "itkImage.h"
#include "itkObject.h"

#include <memory>
#include <string>
#include <vector>

namespace itk
{

/** \class AnomalyMapEvaluator
 * \brief Everything `cradl evaluate` measures, for any anomaly maps:
 * pixel metrics pooled over all pixels (the paper's protocol) and inside the
 * brain only, slice metrics from per-slice scores, the same pixel metrics for
 * the |z-scored intensity| baseline (IntensityZScoreImageFilter), and, with a
 * threshold (LabelFreeThresholdCalculator), the segmentation of each scan and
 * the pooled Dice.
 *
 * AddScan() per test scan, then Compute(); AUPRCMetric does the ranking, so
 * every figure equals sklearn's on the same pixels.
 *
 * \sa AUPRCMetric, IntensityZScoreImageFilter, LabelFreeThresholdCalculator
 * \ingroup Cradl
 */
class Cradl_EXPORT AnomalyMapEvaluator : public Object
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(AnomalyMapEvaluator);

  using Self = AnomalyMapEvaluator;
  using Superclass = Object;
  using Pointer = SmartPointer<Self>;
  using ConstPointer = SmartPointer<const Self>;

  itkNewMacro(Self);
  itkTypeMacro(AnomalyMapEvaluator, Object);

  using ImageType = Image<float, 3>;
  using MaskImageType = Image<unsigned char, 3>;

  struct Metrics
  {
    CradlRankingMetrics Pixels;                // the map, all pixels pooled
    CradlRankingMetrics PixelsInBrain;         // the map, brain pixels only
    CradlRankingMetrics Slices;                // the slice scores against "slice holds a label pixel"
    CradlRankingMetrics BaselinePixels;        // |z-scored intensity|, all pixels
    CradlRankingMetrics BaselinePixelsInBrain; // |z-scored intensity|, brain pixels only
    bool                Thresholded = false;
    double              Threshold = 0.0;
    double              Dice = 0.0;            // pooled over scans: 2|S n L| / (|S| + |L|)
    /** Per anomaly kind (SetAnomalyKinds), inside the brain: the kind's
     *  voxels against every healthy brain voxel; voxels of other kinds left
     *  out. Kinds without a voxel in the scans are not listed. */
    struct Kind
    {
      std::string         Name;
      unsigned int        Code = 0;
      CradlRankingMetrics PixelsInBrain;
      CradlRankingMetrics BaselinePixelsInBrain;
    };
    std::vector<Kind> Kinds;
  };

  /** The anomaly kinds of the kind maps given to AddScan: code i + 1 is
   *  names[i] (CradlDatasetBuilder::GetAnomalyKindNames()). Set before the
   *  first AddScan. */
  void
  SetAnomalyKinds(const std::vector<std::string> & names);

  /** Segment every scan at this threshold (score >= threshold inside the brain). */
  void
  SetThreshold(double threshold);
  itkGetConstMacro(Threshold, double);
  itkGetConstMacro(Thresholded, bool);

  /** Adds one scan: its intensities (for the baseline), brain mask (optional),
   *  anomaly label, anomaly map and per-slice scores (one per axial slice; may
   *  be empty to skip slice metrics). Returns the segmentation when a
   *  threshold is set, else nullptr. Throws ExceptionObject for mismatched
   *  grids, a missing label or non-finite scores, naming `name`. */
  MaskImageType::Pointer
  AddScan(const std::string &         name,
          const ImageType *           scan,
          const MaskImageType *       mask,
          const MaskImageType *       label,
          const ImageType *           anomalyMap,
          const std::vector<double> & sliceScores,
          const MaskImageType *       kinds = nullptr);
  itkGetConstMacro(NumberOfScans, unsigned int);

  /** Pixels of `anomalyMap` >= threshold inside `mask` (every pixel without one): 1, else 0. */
  static MaskImageType::Pointer
  Segment(const ImageType * anomalyMap, const MaskImageType * mask, double threshold);

  void
  Compute();
  const Metrics &
  GetMetrics() const
  {
    return m_Metrics;
  }
  /** The pooled metric behind GetMetrics().Pixels, for its curves. */
  const CradlRankingMetrics &
  GetPixelMetrics() const
  {
    return m_Metrics.Pixels;
  }

protected:
  AnomalyMapEvaluator();
  ~AnomalyMapEvaluator() override;
  void
  PrintSelf(std::ostream & os, Indent indent) const override;

private:
  struct Accumulators;
  std::unique_ptr<Accumulators> m_Accumulators;
  std::vector<std::string>      m_KindNames;
  unsigned int                  m_NumberOfScans{ 0 };
  bool                          m_Thresholded{ false };
  double                        m_Threshold{ 0.0 };
  double                        m_Overlap{ 0.0 };
  double                        m_Predicted{ 0.0 };
  double                        m_Actual{ 0.0 };
  Metrics                       m_Metrics;
};

} // namespace itk

#endif
