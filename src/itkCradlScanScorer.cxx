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

// Post-processes `map` with the filter kept in `filter` (made on first use):
// the same filter run again with only another sigma reuses its median.
ScanType::Pointer
postProcess(const ScanType *                                                  map,
            const MaskType *                                                  mask,
            const CradlScoringSettings &                                      settings,
            MedianGaussianPostprocessImageFilter<ScanType, MaskType>::Pointer & filter)
{
  if (filter.IsNull())
  {
    filter = MedianGaussianPostprocessImageFilter<ScanType, MaskType>::New();
  }
  filter->SetInput(map);
  filter->SetMaskImage(mask);
  filter->SetMedianRadius(settings.MedianRadius);
  filter->SetGaussianSigma(settings.GaussianSigma);
  filter->SetGaussianRadius(settings.GaussianRadius);
  filter->Update();
  ScanType::Pointer result = filter->GetOutput();
  result->DisconnectPipeline();
  return result;
}
} // namespace

void
CradlScanScorer::ScoreMap(const std::string & mode, const ImageType * scan, const MaskImageType * mask, RawMaps & raw,
                          bool withSlices) const
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
  raw.Maps[mode] = map->GetOutput();
  raw.Maps[mode]->DisconnectPipeline();
  if (withSlices)
  {
    raw.SliceMap = const_cast<ImageType *>(map->GetSliceMap());
    raw.SliceNLL = map->GetSliceNLL();
  }
}

CradlScanScorer::RawMaps
CradlScanScorer::ScoreRaw(const ImageType * scan, const MaskImageType * mask) const
{
  if (m_Encoder == nullptr || m_Mixture == nullptr)
  {
    itkExceptionMacro(<< "scoring needs the trained encoder (SetEncoder) and the fitted mixture (SetMixture)");
  }
  const std::string & mode = m_Settings.Mode;
  RawMaps             raw;
  if (mode == "gradient" || mode == "patch")
  {
    this->ScoreMap(mode, scan, mask, raw, true);
    return raw;
  }
  if (mode != "fused")
  {
    itkExceptionMacro(<< "unknown scoring mode \"" << mode << "\": use \"gradient\", \"patch\" or \"fused\"");
  }
  // The gradient map, the patch map (when the mixture has a patch density) and
  // the intensity deviation. Slice map and slice scores are the gradient's.
  this->ScoreMap("gradient", scan, mask, raw, true);
  auto intensity = IntensityZScoreImageFilter<ImageType, MaskImageType>::New();
  intensity->SetInput(scan);
  if (mask != nullptr)
  {
    intensity->SetMaskImage(mask);
  }
  intensity->Update();
  raw.Maps["intensity"] = intensity->GetOutput();
  raw.Maps["intensity"]->DisconnectPipeline();
  if (m_Mixture->HasPatchDensity())
  {
    this->ScoreMap("patch", scan, mask, raw, false);
  }
  return raw;
}

CradlScanScorer::Result
CradlScanScorer::Finish(const RawMaps & raw, const MaskImageType * mask) const
{
  Result result;
  result.SliceMap = raw.SliceMap;
  result.SliceNLL = raw.SliceNLL;
  const std::string & mode = m_Settings.Mode;
  if (mode != "fused")
  {
    if (raw.Maps.count(mode) == 0)
    {
      itkExceptionMacro(<< "Finish: the raw maps hold no \"" << mode << "\" map: score them in this mode");
    }
    result.RawMap = raw.Maps.at(mode);
    result.AnomalyMap = postProcess(result.RawMap, mask, m_Settings, raw.Postprocessing[mode]);
    return result;
  }
  // Each map post-processed, standardised on the scan's brain, averaged.
  if (raw.Maps.count("gradient") == 0 || raw.Maps.count("intensity") == 0)
  {
    itkExceptionMacro(<< "Finish: the raw maps hold no gradient and intensity maps: score them in fused mode");
  }
  result.RawMap = raw.Maps.at("gradient");
  auto         fusion = AnomalyMapFusionImageFilter<ImageType, MaskImageType>::New();
  unsigned int index = 0;
  for (const char * name : { "gradient", "intensity", "patch" })
  {
    if (raw.Maps.count(name))
    {
      result.Components[name] = postProcess(raw.Maps.at(name), mask, m_Settings, raw.Postprocessing[name]);
      fusion->SetMap(index++, result.Components[name]);
    }
  }
  if (mask != nullptr)
  {
    fusion->SetMaskImage(mask);
  }
  fusion->Update();
  result.AnomalyMap = fusion->GetOutput();
  result.AnomalyMap->DisconnectPipeline();
  return result;
}

CradlScanScorer::Result
CradlScanScorer::Score(const ImageType * scan, const MaskImageType * mask) const
{
  return this->Finish(this->ScoreRaw(scan, mask), mask);
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
