#include "itkCradlScanScorer.h"

#include "itkMedianGaussianPostprocessImageFilter.h"
#include "itkRepresentationNLLGradientImageFilter.h"

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
  auto gradient = RepresentationNLLGradientImageFilter<ImageType, MaskImageType>::New();
  gradient->SetInput(scan);
  if (mask != nullptr)
  {
    gradient->SetMaskImage(mask);
  }
  gradient->SetEncoder(m_Encoder);
  gradient->SetMixture(m_Mixture);
  gradient->SetDevice(m_Settings.Device);
  gradient->SetBatchSize(m_Settings.BatchSize);
  gradient->SetMixedPrecision(m_Settings.MixedPrecision);
  auto post = MedianGaussianPostprocessImageFilter<ImageType, MaskImageType>::New();
  post->SetInput(gradient->GetOutput());
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
  result.RawMap = gradient->GetOutput();
  result.RawMap->DisconnectPipeline();
  result.SliceMap = const_cast<ImageType *>(gradient->GetSliceMap());
  result.SliceNLL = gradient->GetSliceNLL();
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
