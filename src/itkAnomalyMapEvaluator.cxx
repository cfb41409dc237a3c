#include "itkAnomalyMapEvaluator.h"

#include "itkAUPRCMetric.h"
#include "itkIntensityZScoreImageFilter.h"

namespace itk
{

using EvaluatorMetric = AUPRCMetric<AnomalyMapEvaluator::ImageType, AnomalyMapEvaluator::MaskImageType>;

struct AnomalyMapEvaluator::Accumulators
{
  EvaluatorMetric::Pointer map = EvaluatorMetric::New();
  EvaluatorMetric::Pointer mapInBrain = EvaluatorMetric::New();
  EvaluatorMetric::Pointer baseline = EvaluatorMetric::New();
  EvaluatorMetric::Pointer baselineInBrain = EvaluatorMetric::New();

  // Per kind: the map's and the baseline's rankings inside the brain.
  std::vector<CradlRankingAccumulator> kindMap;
  std::vector<CradlRankingAccumulator> kindBaseline;

  Accumulators()
  {
    mapInBrain->RestrictToMaskOn();
    baselineInBrain->RestrictToMaskOn();
  }
};

AnomalyMapEvaluator::AnomalyMapEvaluator()
  : m_Accumulators(std::make_unique<Accumulators>())
{}

AnomalyMapEvaluator::~AnomalyMapEvaluator() = default;

void
AnomalyMapEvaluator::SetAnomalyKinds(const std::vector<std::string> & names)
{
  if (m_NumberOfScans > 0)
  {
    itkExceptionMacro(<< "SetAnomalyKinds must come before the first AddScan");
  }
  m_KindNames = names;
  m_Accumulators->kindMap = std::vector<CradlRankingAccumulator>(names.size());
  m_Accumulators->kindBaseline = std::vector<CradlRankingAccumulator>(names.size());
  this->Modified();
}

void
AnomalyMapEvaluator::SetThreshold(double threshold)
{
  m_Threshold = threshold;
  m_Thresholded = true;
  this->Modified();
}

AnomalyMapEvaluator::MaskImageType::Pointer
AnomalyMapEvaluator::Segment(const ImageType * anomalyMap, const MaskImageType * mask, double threshold)
{
  auto segmentation = MaskImageType::New();
  segmentation->CopyInformation(anomalyMap);
  segmentation->SetRegions(anomalyMap->GetLargestPossibleRegion());
  segmentation->Allocate();
  const SizeValueType n = anomalyMap->GetLargestPossibleRegion().GetNumberOfPixels();
  for (SizeValueType i = 0; i < n; ++i)
  {
    const bool inBrain = mask == nullptr || mask->GetBufferPointer()[i] != 0;
    segmentation->GetBufferPointer()[i] = inBrain && anomalyMap->GetBufferPointer()[i] >= threshold ? 1 : 0;
  }
  return segmentation;
}

AnomalyMapEvaluator::MaskImageType::Pointer
AnomalyMapEvaluator::AddScan(const std::string &         name,
                             const ImageType *           scan,
                             const MaskImageType *       mask,
                             const MaskImageType *       label,
                             const ImageType *           anomalyMap,
                             const std::vector<double> & sliceScores,
                             const MaskImageType *       kinds)
{
  if (scan == nullptr || anomalyMap == nullptr || label == nullptr)
  {
    itkExceptionMacro(<< "scan '" << name << "': evaluation needs the scan, its anomaly map and its anomaly label");
  }
  Accumulators & a = *m_Accumulators;
  a.map->AddImages(anomalyMap, label, mask, name);
  a.mapInBrain->AddImages(anomalyMap, label, mask, name);
  MaskImageType::Pointer segmentation;
  if (m_Thresholded)
  {
    segmentation = Segment(anomalyMap, mask, m_Threshold);
    const SizeValueType n = anomalyMap->GetLargestPossibleRegion().GetNumberOfPixels();
    for (SizeValueType i = 0; i < n; ++i)
    {
      const bool anomalous = segmentation->GetBufferPointer()[i] != 0;
      const bool truth = label->GetBufferPointer()[i] != 0;
      m_Overlap += anomalous && truth;
      m_Predicted += anomalous;
      m_Actual += truth;
    }
  }
  if (!sliceScores.empty())
  {
    a.map->AddSliceScores(sliceScores, label, name);
  }
  auto intensity = IntensityZScoreImageFilter<ImageType, MaskImageType>::New();
  intensity->SetInput(scan);
  if (mask != nullptr)
  {
    intensity->SetMaskImage(mask);
  }
  intensity->Update();
  a.baseline->AddImages(intensity->GetOutput(), label, mask, name);
  a.baselineInBrain->AddImages(intensity->GetOutput(), label, mask, name);
  if (kinds != nullptr && !m_KindNames.empty())
  {
    // Each kind: its voxels are positives, healthy brain voxels negatives.
    const SizeValueType n = anomalyMap->GetLargestPossibleRegion().GetNumberOfPixels();
    for (std::size_t k = 0; k < m_KindNames.size(); ++k)
    {
      std::vector<float>         mapScores, baselineScores;
      std::vector<unsigned char> positive;
      for (SizeValueType i = 0; i < n; ++i)
      {
        const bool inBrain = mask == nullptr || mask->GetBufferPointer()[i] != 0;
        const bool healthy = label->GetBufferPointer()[i] == 0;
        const bool ofKind = kinds->GetBufferPointer()[i] == k + 1;
        if (inBrain && (healthy || ofKind))
        {
          mapScores.push_back(anomalyMap->GetBufferPointer()[i]);
          baselineScores.push_back(intensity->GetOutput()->GetBufferPointer()[i]);
          positive.push_back(!healthy && ofKind ? 1 : 0);
        }
      }
      a.kindMap[k].Add(mapScores.data(), positive.data(), positive.size(), name);
      a.kindBaseline[k].Add(baselineScores.data(), positive.data(), positive.size(), name);
    }
  }
  ++m_NumberOfScans;
  this->Modified();
  return segmentation;
}

void
AnomalyMapEvaluator::Compute()
{
  if (m_NumberOfScans == 0)
  {
    itkExceptionMacro(<< "no scans to evaluate: AddScan() first");
  }
  Accumulators & a = *m_Accumulators;
  for (auto * metric : { a.map.GetPointer(), a.baseline.GetPointer(), a.mapInBrain.GetPointer(),
                         a.baselineInBrain.GetPointer() })
  {
    metric->Compute();
  }
  m_Metrics.Pixels = a.map->GetPixelMetrics();
  m_Metrics.Slices = a.map->GetSliceMetrics();
  m_Metrics.PixelsInBrain = a.mapInBrain->GetPixelMetrics();
  m_Metrics.BaselinePixels = a.baseline->GetPixelMetrics();
  m_Metrics.BaselinePixelsInBrain = a.baselineInBrain->GetPixelMetrics();
  m_Metrics.Thresholded = m_Thresholded;
  m_Metrics.Threshold = m_Threshold;
  m_Metrics.Dice = m_Thresholded ? 2.0 * m_Overlap / std::max(1.0, m_Predicted + m_Actual) : 0.0;
  m_Metrics.Kinds.clear();
  for (std::size_t k = 0; k < m_KindNames.size(); ++k)
  {
    if (a.kindMap[k].GetNumberOfPositives() == 0 || a.kindMap[k].GetNumberOfNegatives() == 0)
    {
      continue;
    }
    m_Metrics.Kinds.push_back({ m_KindNames[k], static_cast<unsigned int>(k + 1), a.kindMap[k].Compute(),
                                a.kindBaseline[k].Compute() });
  }
}

void
AnomalyMapEvaluator::PrintSelf(std::ostream & os, Indent indent) const
{
  Superclass::PrintSelf(os, indent);
  os << indent << "NumberOfScans: " << m_NumberOfScans << std::endl;
  os << indent << "Threshold: " << (m_Thresholded ? std::to_string(m_Threshold) : std::string("none")) << std::endl;
  os << indent << "AUPRC: " << m_Metrics.Pixels.AUPRC << ", baseline " << m_Metrics.BaselinePixels.AUPRC << std::endl;
  if (m_Thresholded)
  {
    os << indent << "Dice: " << m_Metrics.Dice << std::endl;
  }
}

} // namespace itk
