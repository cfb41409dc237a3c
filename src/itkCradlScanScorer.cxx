#include "itkCradlScanScorer.h"

#include "itkAnomalyMapFusionImageFilter.h"
#include "itkIntensityZScoreImageFilter.h"
#include "itkMedianGaussianPostprocessImageFilter.h"
#include "itkRepresentationNLLGradientImageFilter.h"
#include "itkRepresentationPatchDensityImageFilter.h"

namespace itk
{

void
CradlScanScorer::SetEncoder(const ContrastiveEncoderModel * encoder)
{
  m_Encoder = encoder;
  this->Modified();
}

void
CradlScanScorer::SetMixture(const GaussianMixtureModel * mixture)
{
  m_Mixture = mixture;
  this->Modified();
}

void
CradlScanScorer::SetSettings(const CradlScoringSettings & settings)
{
  if (settings != m_Settings)
  {
    m_Settings = settings;
    this->Modified();
  }
}

namespace
{
using ScanType = CradlScanScorer::ImageType;
using MaskType = CradlScanScorer::MaskImageType;

ScanType::Pointer
postProcess(const ScanType * map, const MaskType * mask, const CradlScoringSettings & settings)
{
  auto post = MedianGaussianPostprocessImageFilter<ScanType, MaskType>::New();
  post->SetInput(map);
  if (mask != nullptr)
  {
    post->SetMaskImage(mask);
  }
  post->SetMedianRadius(settings.MedianRadius);
  post->SetGaussianSigma(settings.GaussianSigma);
  post->SetGaussianRadius(settings.GaussianRadius);
  post->Update();
  ScanType::Pointer result = post->GetOutput();
  result->DisconnectPipeline();
  return result;
}
} // namespace

CradlScanScorer::Result
CradlScanScorer::ScoreMap(const std::string & mode, const ImageType * scan, const MaskImageType * mask) const
{
  CradlEncoderScoreImageFilter<ImageType, MaskImageType>::Pointer map;
  if (mode == "gradient")
  {
    auto gradient = RepresentationNLLGradientImageFilter<ImageType, MaskImageType>::New();
    gradient->SetMixedPrecision(m_Settings.MixedPrecision);
    map = gradient;
  }
  else
  {
    map = RepresentationPatchDensityImageFilter<ImageType, MaskImageType>::New();
  }
  map->SetInput(scan);
  if (mask != nullptr)
  {
    map->SetMaskImage(mask);
  }
  map->SetEncoder(m_Encoder);
  map->SetMixture(m_Mixture);
  map->SetDevice(m_Settings.Device);
  map->SetBatchSize(m_Settings.BatchSize);
  map->Update();
  Result result;
  result.RawMap = map->GetOutput();
  result.RawMap->DisconnectPipeline();
  result.AnomalyMap = postProcess(result.RawMap, mask, m_Settings);
  result.SliceMap = const_cast<ImageType *>(map->GetSliceMap());
  result.SliceNLL = map->GetSliceNLL();
  return result;
}

CradlScanScorer::Result
CradlScanScorer::Score(const ImageType * scan, const MaskImageType * mask) const
{
  if (m_Encoder == nullptr || m_Mixture == nullptr)
  {
    itkExceptionMacro(<< "scoring needs the trained encoder (SetEncoder) and the fitted mixture (SetMixture)");
  }
  const std::string & mode = m_Settings.Mode;
  if (mode == "gradient" || mode == "patch")
  {
    return this->ScoreMap(mode, scan, mask);
  }
  if (mode != "fused")
  {
    itkExceptionMacro(<< "unknown scoring mode \"" << mode << "\": use \"gradient\", \"patch\" or \"fused\"");
  }
  // The gradient map, the patch map (when the mixture has a patch density) and
  // the intensity deviation, each post-processed, standardised on the scan's
  // brain and averaged. Raw and slice maps and slice scores are the gradient's.
  Result result = this->ScoreMap("gradient", scan, mask);
  result.Components["gradient"] = result.AnomalyMap;
  auto fusion = AnomalyMapFusionImageFilter<ImageType, MaskImageType>::New();
  fusion->SetMap(0, result.AnomalyMap);
  auto intensity = IntensityZScoreImageFilter<ImageType, MaskImageType>::New();
  intensity->SetInput(scan);
  if (mask != nullptr)
  {
    intensity->SetMaskImage(mask);
    fusion->SetMaskImage(mask);
  }
  intensity->Update();
  result.Components["intensity"] = postProcess(intensity->GetOutput(), mask, m_Settings);
  fusion->SetMap(1, result.Components["intensity"]);
  if (m_Mixture->HasPatchDensity())
  {
    result.Components["patch"] = this->ScoreMap("patch", scan, mask).AnomalyMap;
    fusion->SetMap(2, result.Components["patch"]);
  }
  fusion->Update();
  result.AnomalyMap = fusion->GetOutput();
  result.AnomalyMap->DisconnectPipeline();
  return result;
}

void
CradlScanScorer::PrintSelf(std::ostream & os, Indent indent) const
{
  Superclass::PrintSelf(os, indent);
  os << indent << "Encoder: " << (m_Encoder ? "set" : "none") << std::endl;
  os << indent << "Mixture: " << (m_Mixture ? "set" : "none") << std::endl;
  os << indent << "Settings: " << m_Settings << std::endl;
}

} // namespace itk
