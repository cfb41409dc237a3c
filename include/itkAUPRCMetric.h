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
#ifndef itkAUPRCMetric_h
#define itkAUPRCMetric_h

#include "itkCradlRankingAccumulator.h"
#include "itkImage.h"
#include "itkObject.h"
#include "itkObjectFactory.h"

#include <string>
#include <vector>

namespace itk
{

/** \class AUPRCMetric
 * \brief Anomaly-localization metrics pooled over any number of scans:
 * AUPRC, AUROC, FPR at 95% TPR and the best Dice, at pixel and slice level.
 *
 * AddImages() takes an anomaly map (scores), its ground-truth label image
 * (non-zero = anomalous) and optionally a brain mask, 2D or 3D, and pools
 * their pixels with those of earlier scans. AddSliceScores() takes one score
 * per slice (e.g. the slice's negative log-likelihood) and the label image; a
 * slice is anomalous when any of its label pixels is. Compute() then fills
 * GetPixelMetrics() and GetSliceMetrics().
 *
 * Definitions (equal to scikit-learn's on the same data, ties included):
 * - \b AUPRC = average precision, the step sum over distinct thresholds
 *   t (highest first) of (R(t) - R(t_prev)) P(t), where a pixel is predicted
 *   anomalous when score >= t; as sklearn.metrics.average_precision_score;
 * - \b AUROC: area under the ROC curve (trapezoids over distinct thresholds;
 *   equal to the probability that a random positive outscores a random
 *   negative, ties counted half); as sklearn.metrics.roc_auc_score;
 * - \b FPR at 95% TPR: the false-positive rate at the highest threshold whose
 *   true-positive rate is >= 0.95;
 * - \b best Dice: the maximum over thresholds of 2TP / (2TP + FP + FN) (the
 *   best F1), with the threshold that gives it;
 * - the PR and ROC curves, thinned to at most CurvePoints points.
 *
 * Pixels: by default all pixels of each image are pooled, as the CRADL paper
 * does; with RestrictToMask on, only pixels inside the mask given to AddImages
 * count (GetRestrictToMask() tells which was used).
 *
 * Memory: exact mode keeps 4 bytes per pooled pixel (float32 scores are
 * compared exactly; other score pixel types are cast to float), far below a
 * float64 copy; HistogramBits > 0 selects a fixed-memory binned mode with a
 * reported error bound (see CradlRankingAccumulator). Results do not depend on
 * the number of threads.
 *
 * Errors (ExceptionObject): non-finite scores (naming the scan), a label or
 * mask on another grid than the scores, no positives or no negatives.
 *
 * \sa CradlRankingAccumulator
 * \ingroup Cradl
 */
template <typename TScoreImage, typename TLabelImage = Image<unsigned char, TScoreImage::ImageDimension>>
class ITK_TEMPLATE_EXPORT AUPRCMetric : public Object
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(AUPRCMetric);

  using Self = AUPRCMetric;
  using Superclass = Object;
  using Pointer = SmartPointer<Self>;
  using ConstPointer = SmartPointer<const Self>;

  itkNewMacro(Self);
  itkTypeMacro(AUPRCMetric, Object);

  static constexpr unsigned int ImageDimension = TScoreImage::ImageDimension;
  using ScoreImageType = TScoreImage;
  using LabelImageType = TLabelImage;
  using MetricsType = CradlRankingMetrics;

  /** Count only pixels inside the mask given to AddImages (default off: all pixels). */
  itkSetMacro(RestrictToMask, bool);
  itkGetConstMacro(RestrictToMask, bool);
  itkBooleanMacro(RestrictToMask);

  /** 0 (default): exact. 8..24: fixed-memory binned mode. Resets the pooled data. */
  void
  SetHistogramBits(unsigned int bits);
  itkGetConstMacro(HistogramBits, unsigned int);

  /** Most points kept on the PR and ROC curves (default 1000). */
  itkSetClampMacro(CurvePoints, unsigned int, 2, NumericTraits<unsigned int>::max());
  itkGetConstMacro(CurvePoints, unsigned int);

  /** Threads for Compute(); 0 (default) = ITK's global default. */
  itkSetMacro(NumberOfWorkUnits, unsigned int);
  itkGetConstMacro(NumberOfWorkUnits, unsigned int);

  /** Pools one scan's pixels. `mask` may be null; `name` labels errors. */
  void
  AddImages(const ScoreImageType * scores,
            const LabelImageType * labels,
            const LabelImageType * mask = nullptr,
            const std::string &    name = "");

  /** Pools one scan's slice scores: one per slice along the last axis (one for 2D). */
  void
  AddSliceScores(const std::vector<double> & sliceScores, const LabelImageType * labels, const std::string & name = "");

  /** Pools one slice score with its label. */
  void
  AddSliceScore(double score, bool anomalous);

  /** Computes the pixel metrics, and the slice metrics when slices were added. */
  void
  Compute();

  const MetricsType &
  GetPixelMetrics() const
  {
    return m_PixelMetrics;
  }
  const MetricsType &
  GetSliceMetrics() const
  {
    return m_SliceMetrics;
  }
  bool
  HasSliceMetrics() const
  {
    return m_HasSliceMetrics;
  }

  /** Pixel-level shortcuts, valid after Compute(). */
  double
  GetAUPRC() const
  {
    return m_PixelMetrics.AUPRC;
  }
  double
  GetAUROC() const
  {
    return m_PixelMetrics.AUROC;
  }
  double
  GetFPRAt95TPR() const
  {
    return m_PixelMetrics.FPRAt95TPR;
  }
  double
  GetBestDice() const
  {
    return m_PixelMetrics.BestDice;
  }
  double
  GetBestDiceThreshold() const
  {
    return m_PixelMetrics.BestDiceThreshold;
  }

  itkGetConstMacro(NumberOfScans, SizeValueType);

  /** Bytes held for the pooled pixels. */
  std::uint64_t
  GetMemoryInBytes() const
  {
    return m_Pixels.GetMemoryInBytes();
  }

  /** Forgets all pooled data and results. */
  void
  Reset();

protected:
  AUPRCMetric() = default;
  ~AUPRCMetric() override = default;

  void
  PrintSelf(std::ostream & os, Indent indent) const override;

private:
  bool                       m_RestrictToMask{ false };
  unsigned int               m_HistogramBits{ 0 };
  unsigned int               m_CurvePoints{ 1000 };
  unsigned int               m_NumberOfWorkUnits{ 0 };
  SizeValueType              m_NumberOfScans{ 0 };
  CradlRankingAccumulator    m_Pixels;
  std::vector<double>        m_SliceScores;
  std::vector<unsigned char> m_SliceLabels;
  MetricsType                m_PixelMetrics;
  MetricsType                m_SliceMetrics;
  bool                       m_HasSliceMetrics{ false };
};

} // namespace itk

#ifndef ITK_MANUAL_INSTANTIATION
#  include "itkAUPRCMetric.hxx"
#endif

#endif
