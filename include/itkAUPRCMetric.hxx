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
#ifndef itkAUPRCMetric_hxx
#define itkAUPRCMetric_hxx

#include "itkCradlGeometry.h"
#include "itkImageRegionConstIterator.h"

#include <sstream>

namespace itk
{

template <typename TScoreImage, typename TLabelImage>
void
AUPRCMetric<TScoreImage, TLabelImage>::SetHistogramBits(unsigned int bits)
{
  m_Pixels.SetHistogramBits(bits);
  m_HistogramBits = bits;
  this->Reset();
}

template <typename TScoreImage, typename TLabelImage>
void
AUPRCMetric<TScoreImage, TLabelImage>::Reset()
{
  m_Pixels.Clear();
  m_SliceScores.clear();
  m_SliceLabels.clear();
  m_PixelMetrics = MetricsType();
  m_SliceMetrics = MetricsType();
  m_HasSliceMetrics = false;
  m_NumberOfScans = 0;
  this->Modified();
}

template <typename TScoreImage, typename TLabelImage>
void
AUPRCMetric<TScoreImage, TLabelImage>::AddImages(const ScoreImageType * scores,
                                                 const LabelImageType * labels,
                                                 const LabelImageType * mask,
                                                 const std::string &    name)
{
  std::ostringstream scan;
  scan << "scan '" << (name.empty() ? "#" + std::to_string(m_NumberOfScans + 1) : name) << "'";
  if (scores == nullptr || labels == nullptr)
  {
    itkExceptionMacro(<< scan.str() << ": both the score image and the label image are required");
  }
  for (const auto & [role, image] : { std::pair<const char *, const LabelImageType *>{ "label", labels },
                                      { "mask", mask } })
  {
    if (image == nullptr)
    {
      continue;
    }
    const std::string mismatch = CradlDescribeGridMismatch<ImageDimension>(scores, image);
    if (!mismatch.empty())
    {
      itkExceptionMacro(<< scan.str() << ": the " << role << " image is not on the score image's grid (" << mismatch
                        << ")");
    }
  }
  const bool useMask = m_RestrictToMask && mask != nullptr;
  const auto region = scores->GetLargestPossibleRegion();
  ImageRegionConstIterator<ScoreImageType> score(scores, region);
  ImageRegionConstIterator<LabelImageType> label(labels, region);
  ImageRegionConstIterator<LabelImageType> inMask;
  if (useMask)
  {
    inMask = ImageRegionConstIterator<LabelImageType>(mask, region);
  }

  // Blocks keep the accumulator's inner loop free of ITK iterators.
  constexpr std::size_t      blockSize = 1 << 16;
  std::vector<float>         blockScores(blockSize);
  std::vector<unsigned char> blockLabels(blockSize);
  std::size_t                filled = 0;
  const auto                 flush = [&] {
    m_Pixels.Add(blockScores.data(), blockLabels.data(), filled, scan.str());
    filled = 0;
  };
  for (; !score.IsAtEnd(); ++score, ++label)
  {
    if (useMask)
    {
      const bool inside = inMask.Get() != 0;
      ++inMask;
      if (!inside)
      {
        continue;
      }
    }
    blockScores[filled] = static_cast<float>(score.Get());
    blockLabels[filled] = label.Get() != 0 ? 1 : 0;
    if (++filled == blockSize)
    {
      flush();
    }
  }
  flush();
  ++m_NumberOfScans;
  this->Modified();
}

template <typename TScoreImage, typename TLabelImage>
void
AUPRCMetric<TScoreImage, TLabelImage>::AddSliceScores(const std::vector<double> & sliceScores,
                                                      const LabelImageType *      labels,
                                                      const std::string &         name)
{
  const auto         size = labels->GetLargestPossibleRegion().GetSize();
  const SizeValueType slices = ImageDimension == 2 ? 1 : size[ImageDimension - 1];
  if (sliceScores.size() != slices)
  {
    itkExceptionMacro(<< "scan '" << name << "': " << sliceScores.size() << " slice scores for a label image of "
                      << slices << " slices");
  }
  const SizeValueType            pixelsPerSlice = labels->GetLargestPossibleRegion().GetNumberOfPixels() / slices;
  std::vector<unsigned char>      anomalous(slices, 0);
  ImageRegionConstIterator<LabelImageType> label(labels, labels->GetLargestPossibleRegion());
  for (SizeValueType index = 0; !label.IsAtEnd(); ++label, ++index)
  {
    if (label.Get() != 0)
    {
      anomalous[index / pixelsPerSlice] = 1;
    }
  }
  for (SizeValueType slice = 0; slice < slices; ++slice)
  {
    this->AddSliceScore(sliceScores[slice], anomalous[slice] != 0);
  }
}

template <typename TScoreImage, typename TLabelImage>
void
AUPRCMetric<TScoreImage, TLabelImage>::AddSliceScore(double score, bool anomalous)
{
  m_SliceScores.push_back(score);
  m_SliceLabels.push_back(anomalous ? 1 : 0);
  this->Modified();
}

template <typename TScoreImage, typename TLabelImage>
void
AUPRCMetric<TScoreImage, TLabelImage>::Compute()
{
  m_PixelMetrics = m_Pixels.Compute(m_CurvePoints, m_NumberOfWorkUnits);
  m_HasSliceMetrics = !m_SliceScores.empty();
  if (m_HasSliceMetrics)
  {
    m_SliceMetrics = CradlRankingAccumulator::ComputeFromScores(m_SliceScores, m_SliceLabels, m_CurvePoints);
  }
}

template <typename TScoreImage, typename TLabelImage>
void
AUPRCMetric<TScoreImage, TLabelImage>::PrintSelf(std::ostream & os, Indent indent) const
{
  Superclass::PrintSelf(os, indent);
  os << indent << "RestrictToMask: " << (m_RestrictToMask ? "On" : "Off") << std::endl;
  os << indent << "HistogramBits: " << m_HistogramBits << (m_HistogramBits == 0 ? " (exact)" : " (binned)")
     << std::endl;
  os << indent << "CurvePoints: " << m_CurvePoints << std::endl;
  os << indent << "NumberOfWorkUnits: " << m_NumberOfWorkUnits << std::endl;
  os << indent << "NumberOfScans: " << m_NumberOfScans << std::endl;
  os << indent << "PooledPixels: " << m_Pixels.GetNumberOfPositives() << " positive, "
     << m_Pixels.GetNumberOfNegatives() << " negative" << std::endl;
  os << indent << "SliceScores: " << m_SliceScores.size() << std::endl;
  const auto print = [&](const char * level, const MetricsType & metrics) {
    os << indent << level << ": AUPRC " << metrics.AUPRC << " [" << metrics.AUPRCLow << ", " << metrics.AUPRCHigh
       << "], AUROC " << metrics.AUROC << " +- " << metrics.AUROCErrorBound << ", FPR@95%TPR " << metrics.FPRAt95TPR
       << ", best Dice " << metrics.BestDice << " at " << metrics.BestDiceThreshold << std::endl;
  };
  print("PixelMetrics", m_PixelMetrics);
  if (m_HasSliceMetrics)
  {
    print("SliceMetrics", m_SliceMetrics);
  }
}

} // namespace itk

#endif
