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
                             const std::vector<double> & sliceScores)
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
