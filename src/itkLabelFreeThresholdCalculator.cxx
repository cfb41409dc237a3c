#include "itkLabelFreeThresholdCalculator.h"

#include "itkCradlGeometry.h"
#include "itkCradlSliceSelection.h"

#include <algorithm>

namespace itk
{

void
LabelFreeThresholdCalculator::AddScores(const ImageType * anomalyMap, const MaskImageType * mask, const MaskImageType * label)
{
  if (anomalyMap == nullptr)
  {
    itkExceptionMacro(<< "AddScores: no anomaly map given");
  }
  for (const auto * other : { mask, label })
  {
    const std::string mismatch = other ? CradlDescribeGridMismatch<3>(anomalyMap, other) : std::string();
    if (!mismatch.empty())
    {
      itkExceptionMacro(<< "AddScores: the mask or label is not on the anomaly map's grid (" << mismatch << ")");
    }
  }
  const auto          size = anomalyMap->GetLargestPossibleRegion().GetSize();
  const SizeValueType perSlice = size[0] * size[1];
  // Slices holding any label pixel are not healthy.
  const std::vector<unsigned int> anomalous = label ? CradlSelectBrainSlices(label, 0.0) : std::vector<unsigned int>();
  const float *                   scores = anomalyMap->GetBufferPointer();
  for (SizeValueType slice = 0; slice < size[2]; ++slice)
  {
    if (std::binary_search(anomalous.begin(), anomalous.end(), static_cast<unsigned int>(slice)))
    {
      continue;
    }
    for (SizeValueType i = slice * perSlice; i < (slice + 1) * perSlice; ++i)
    {
      if (mask == nullptr || mask->GetBufferPointer()[i] != 0)
      {
        m_Healthy.push_back(scores[i]);
      }
    }
  }
  this->Modified();
}

void
LabelFreeThresholdCalculator::Clear()
{
  m_Healthy.clear();
  m_Threshold = 0.0;
  this->Modified();
}

double
LabelFreeThresholdCalculator::Compute()
{
  if (m_Healthy.empty())
  {
    itkExceptionMacro(<< "no healthy pixels for the label-free threshold: give validation maps with brain (AddScores) "
                         "whose labels leave some slices free of anomalies");
  }
  std::vector<float> samples = m_Healthy;
  const auto at = samples.begin() + static_cast<std::ptrdiff_t>(m_Quantile * (samples.size() - 1));
  std::nth_element(samples.begin(), at, samples.end());
  m_Threshold = *at;
  return m_Threshold;
}

void
LabelFreeThresholdCalculator::PrintSelf(std::ostream & os, Indent indent) const
{
  Superclass::PrintSelf(os, indent);
  os << indent << "Quantile: " << m_Quantile << std::endl;
  os << indent << "NumberOfSamples: " << m_Healthy.size() << std::endl;
  os << indent << "Threshold: " << m_Threshold << std::endl;
}

} // namespace itk
