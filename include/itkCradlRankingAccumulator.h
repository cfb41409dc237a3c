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
#ifndef itkCradlRankingAccumulator_h
#define itkCradlRankingAccumulator_h

#include "CradlExport.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace itk
{

/** \brief Ranking metrics of scores against binary labels, as reported by
 * CradlRankingAccumulator (see AUPRCMetric for their definitions).
 * \ingroup Cradl
 */
struct CradlRankingMetrics
{
  double        AUPRC = 0.0;             // average precision (step sum), as sklearn's average_precision_score
  double        AUROC = 0.0;             // area under the ROC curve, as sklearn's roc_auc_score
  double        FPRAt95TPR = 0.0;        // false-positive rate at the highest threshold reaching TPR >= 0.95
  double        BestDice = 0.0;          // max over thresholds of 2TP / (2TP + FP + FN)
  double        BestDiceThreshold = 0.0; // score >= threshold is "anomalous" at the best Dice
  std::uint64_t Positives = 0;
  std::uint64_t Negatives = 0;
  // Binned mode only (exact mode: AUPRCLow = AUPRCHigh = AUPRC, AUROCErrorBound = 0):
  double AUPRCLow = 0.0;        // the exact AUPRC lies in [AUPRCLow, AUPRCHigh]
  double AUPRCHigh = 0.0;
  double AUROCErrorBound = 0.0; // |exact AUROC - AUROC| <= AUROCErrorBound

  /** Curves thinned for plotting: one point per distinct positive score
   *  at most, from the highest threshold down. */
  std::vector<double> Thresholds;
  std::vector<double> Precision;
  std::vector<double> Recall;                  // = true-positive rate
  std::vector<double> FalsePositiveRate;
};

/** Calls `visit(key, value)` for each headline figure of `metrics`, under
 * the one set of keys every Cradl output uses (the tool's metrics.json, the
 * Python package's dicts, cradl-bench's JSON): auroc, auprc, fpr_at_95_tpr,
 * best_dice, best_dice_threshold, positives, negatives (counts stay integers).
 */
template <typename Visit>
void
CradlVisitMetricFields(const CradlRankingMetrics & metrics, Visit && visit)
{
  visit("auroc", metrics.AUROC);
  visit("auprc", metrics.AUPRC);
  visit("fpr_at_95_tpr", metrics.FPRAt95TPR);
  visit("best_dice", metrics.BestDice);
  visit("best_dice_threshold", metrics.BestDiceThreshold);
  visit("positives", metrics.Positives);
  visit("negatives", metrics.Negatives);
}

/** \class CradlRankingAccumulator
 * \brief Streams (score, label) pairs and computes AUPRC, AUROC, FPR at 95%
 * TPR and the best Dice exactly, without keeping a float64 copy of the scores.
 *
 * Scores are float32 (an anomaly map's pixels); they are compared exactly, ties
 * included, as sklearn does. Exact mode keeps 4 bytes per negative and per
 * positive in fixed-size chunks (no reallocation peaks). Compute() sorts only
 * the positives (rare in anomaly maps) and assigns each negative to the
 * interval between consecutive distinct positive scores through a lookup table
 * on the score's leading bits, in parallel with deterministic integer counts.
 * All curve quantities change only at positive scores, so this is exact.
 *
 * Binned mode (SetHistogramBits(b), b in 8..24) keeps two counts per bin of the
 * float's 2^b leading-bit bins (monotone in the score: sign, exponent, then the
 * leading mantissa bits; b = 20 keeps 11 mantissa bits, a relative bin width of
 * 2^-11), so memory is fixed (16 B x 2^b). Scores in one bin count as ties;
 * the result reports an interval [AUPRCLow, AUPRCHigh] that contains the exact
 * AUPRC (best and worst order inside each bin) and a bound on the AUROC error
 * (half the tied positive-negative pairs).
 *
 * \sa AUPRCMetric
 * \ingroup Cradl
 */
class Cradl_EXPORT CradlRankingAccumulator
{
public:
  CradlRankingAccumulator();
  ~CradlRankingAccumulator();
  CradlRankingAccumulator(CradlRankingAccumulator &&) noexcept;
  CradlRankingAccumulator &
  operator=(CradlRankingAccumulator &&) noexcept;

  /** 0 (default): exact. 8..24: binned with 2^bits bins. Clears the data. */
  void
  SetHistogramBits(unsigned int bits);
  unsigned int
  GetHistogramBits() const;

  /** Adds `count` scores with their labels (non-zero = positive). Throws
   *  itk::ExceptionObject naming `source` at the first non-finite score. */
  void
  Add(const float * scores, const unsigned char * labels, std::size_t count, const std::string & source = "");

  /** One score and label. */
  void
  Add(float score, bool positive);

  std::uint64_t
  GetNumberOfPositives() const;
  std::uint64_t
  GetNumberOfNegatives() const;

  /** Bytes held for the scores added so far. */
  std::uint64_t
  GetMemoryInBytes() const;

  /** Computes the metrics; `curvePoints` bounds the curves' length (>= 2).
   *  Throws itk::ExceptionObject when there are no positives or no negatives. */
  CradlRankingMetrics
  Compute(unsigned int curvePoints = 1000, unsigned int threads = 0) const;

  void
  Clear();

  /** Exact metrics of float64 scores (slice scores: few, kept as they are). */
  static CradlRankingMetrics
  ComputeFromScores(const std::vector<double> &        scores,
                    const std::vector<unsigned char> & labels,
                    unsigned int                       curvePoints = 1000);

private:
  struct Storage;
  std::unique_ptr<Storage> m_Storage;
};

} // namespace itk

#endif
