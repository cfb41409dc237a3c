#include "itkCradlScanScorer.h"

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

CradlScanScorer::Result
CradlScanScorer::Score(const ImageType * scan, const MaskImageType * mask) const
{
  if (m_Encoder == nullptr || m_Mixture == nullptr)
  {
    itkExceptionMacro(<< "scoring needs the trained encoder (SetEncoder) and the fitted mixture (SetMixture)");
  }
  CradlEncoderScoreImageFilter<ImageType, MaskImageType>::Pointer map;
  if (m_Settings.Mode == "gradient")
  {
    auto gradient = RepresentationNLLGradientImageFilter<ImageType, MaskImageType>::New();
    gradient->SetMixedPrecision(m_Settings.MixedPrecision);
    map = gradient;
  }
  else if (m_Settings.Mode == "patch")
  {
    map = RepresentationPatchDensityImageFilter<ImageType, MaskImageType>::New();
  }
  else
  {
    itkExceptionMacro(<< "unknown scoring mode \"" << m_Settings.Mode << "\": use \"gradient\" or \"patch\"");
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
  auto post = MedianGaussianPostprocessImageFilter<ImageType, MaskImageType>::New();
  post->SetInput(map->GetOutput());
  if (mask != nullptr)
  {
    post->SetMaskImage(mask);
  }
  post->SetMedianRadius(m_Settings.MedianRadius);
  post->SetGaussianSigma(m_Settings.GaussianSigma);
  post->SetGaussianRadius(m_Settings.GaussianRadius);
  post->Update();
  Result result;
  result.AnomalyMap = post->GetOutput();
  result.AnomalyMap->DisconnectPipeline();
  result.RawMap = map->GetOutput();
  result.RawMap->DisconnectPipeline();
  result.SliceMap = const_cast<ImageType *>(map->GetSliceMap());
  result.SliceNLL = map->GetSliceNLL();
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
