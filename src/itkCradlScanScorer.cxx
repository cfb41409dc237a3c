#include "itkCradlScanScorer.h"
#include "cradlRawMapsReuse.h"

#include "itkAnomalyMapFusionImageFilter.h"
#include "itkIntensityZScoreImageFilter.h"
#include "itkMedianGaussianPostprocessImageFilter.h"
#include "itkRepresentationNLLGradientImageFilter.h"
#include "itkRepresentationPatchDensityImageFilter.h"

#include <memory>
#include <tuple>

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

CradlScanScorer::RawMaps::RawMaps()
  : Kept(std::make_unique<Reuse>())
{}

CradlScanScorer::RawMaps::RawMaps(const RawMaps & other)
  : Maps(other.Maps)
  , SliceMap(other.SliceMap)
  , SliceNLL(other.SliceNLL)
  , Kept(std::make_unique<Reuse>(*other.Kept))
{}

CradlScanScorer::RawMaps::RawMaps(RawMaps && other) noexcept
  : Maps(std::move(other.Maps))
  , SliceMap(std::move(other.SliceMap))
  , SliceNLL(std::move(other.SliceNLL))
  , Kept(std::move(other.Kept))
{
  other.Kept = std::make_unique<Reuse>(); // the moved-from object stays usable
}

CradlScanScorer::RawMaps &
CradlScanScorer::RawMaps::operator=(RawMaps other) noexcept
{
  std::swap(Maps, other.Maps);
  std::swap(SliceMap, other.SliceMap);
  std::swap(SliceNLL, other.SliceNLL);
  std::swap(Kept, other.Kept);
  return *this;
}

CradlScanScorer::RawMaps::~RawMaps() = default;

namespace
{
using ScanType = CradlScanScorer::ImageType;
using MaskType = CradlScanScorer::MaskImageType;
using Postprocessed = CradlScanScorer::RawMaps::Reuse::Postprocessed;

// Post-processes `map` with the filter kept in `kept` (made on first use):
// the same filter run again with only another sigma reuses its median, and
// the same map, mask and settings again return the last result.
ScanType::Pointer
postProcess(const ScanType *                                       map,
            const MaskType *                                       mask,
            const CradlScoringSettings &                           settings,
            std::shared_ptr<Postprocessed> &                       kept)
{
  if (!kept)
  {
    kept = std::make_shared<Postprocessed>();
  }
  auto &                 p = *kept;
  const ModifiedTimeType maskTime = mask != nullptr ? mask->GetMTime() : 0;
  if (p.Result.IsNotNull() && p.Map == map && p.MapTime == map->GetMTime() && p.Mask == mask &&
      p.MaskTime == maskTime && p.MedianRadius == settings.MedianRadius && p.GaussianSigma == settings.GaussianSigma &&
      p.GaussianRadius == settings.GaussianRadius)
  {
    return p.Result;
  }
  if (p.Filter.IsNull())
  {
    p.Filter = MedianGaussianPostprocessImageFilter<ScanType, MaskType>::New();
  }
  auto & filter = p.Filter;
  filter->SetInput(map);
  filter->SetMaskImage(mask);
  filter->SetMedianRadius(settings.MedianRadius);
  filter->SetGaussianSigma(settings.GaussianSigma);
  filter->SetGaussianRadius(settings.GaussianRadius);
  filter->Update();
  ScanType::Pointer result = filter->GetOutput();
  result->DisconnectPipeline();
  p.Result = result;
  p.Map = map;
  p.MapTime = map->GetMTime();
  p.Mask = mask;
  p.MaskTime = maskTime;
  p.MedianRadius = settings.MedianRadius;
  p.GaussianSigma = settings.GaussianSigma;
  p.GaussianRadius = settings.GaussianRadius;
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
  raw.Kept->Postprocessing[mode] = std::make_shared<Postprocessed>();
  raw.Kept->Slices[mode] = { const_cast<ImageType *>(map->GetSliceMap()), map->GetSliceNLL() };
  if (withSlices)
  {
    std::tie(raw.SliceMap, raw.SliceNLL) = raw.Kept->Slices[mode];
  }
}

void
takeRawMap(CradlScanScorer::RawMaps & into, const std::string & name, const CradlScanScorer::RawMaps & from)
{
  into.Maps[name] = from.Maps.at(name);
  if (from.Kept->Slices.count(name))
  {
    into.Kept->Slices[name] = from.Kept->Slices.at(name);
  }
  auto & kept = from.Kept->Postprocessing[name];
  if (!kept)
  {
    kept = std::make_shared<Postprocessed>();
  }
  into.Kept->Postprocessing[name] = kept;
}

CradlScanScorer::RawMaps
modeView(const CradlScanScorer::RawMaps & fused, const std::string & mode)
{
  if (fused.Maps.count(mode) == 0 || fused.Kept->Slices.count(mode) == 0)
  {
    itkGenericExceptionMacro(<< "these raw maps hold no \"" << mode << "\" map of the encoder");
  }
  CradlScanScorer::RawMaps view;
  takeRawMap(view, mode, fused);
  std::tie(view.SliceMap, view.SliceNLL) = fused.Kept->Slices.at(mode);
  return view;
}

CradlScanScorer::RawMaps
CradlScanScorer::ScoreRaw(const ImageType * scan, const MaskImageType * mask) const
{
  return this->ScoreRaw(scan, mask, RawMaps());
}

CradlScanScorer::RawMaps
CradlScanScorer::ScoreRaw(const ImageType * scan, const MaskImageType * mask, RawMaps known) const
{
  if (m_Encoder == nullptr || m_Mixture == nullptr)
  {
    itkExceptionMacro(<< "scoring needs the trained encoder (SetEncoder) and the fitted mixture (SetMixture)");
  }
  const std::string & mode = m_Settings.Mode;
  if (mode != "gradient" && mode != "patch" && mode != "fused")
  {
    itkExceptionMacro(<< "unknown scoring mode \"" << mode << "\": use \"gradient\", \"patch\" or \"fused\"");
  }
  RawMaps    raw = std::move(known);
  const auto encoderMap = [&](const std::string & name, bool withSlices) {
    if (raw.Maps.count(name) == 0)
    {
      this->ScoreMap(name, scan, mask, raw, withSlices);
    }
    else if (withSlices)
    {
      std::tie(raw.SliceMap, raw.SliceNLL) = raw.Kept->Slices.at(name);
    }
  };
  if (mode != "fused")
  {
    encoderMap(mode, true);
    return raw;
  }
  // The gradient map, the patch map (when the mixture has a patch density) and
  // the intensity deviation. Slice map and slice scores are the gradient's.
  encoderMap("gradient", true);
  if (raw.Maps.count("intensity") == 0)
  {
    auto intensity = IntensityZScoreImageFilter<ImageType, MaskImageType>::New();
    intensity->SetInput(scan);
    if (mask != nullptr)
    {
      intensity->SetMaskImage(mask);
    }
    intensity->Update();
    raw.Maps["intensity"] = intensity->GetOutput();
    raw.Maps["intensity"]->DisconnectPipeline();
    raw.Kept->Postprocessing["intensity"] = std::make_shared<Postprocessed>();
  }
  if (m_Mixture->HasPatchDensity())
  {
    encoderMap("patch", false);
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
    result.AnomalyMap = postProcess(result.RawMap, mask, m_Settings, raw.Kept->Postprocessing[mode]);
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
      result.Components[name] = postProcess(raw.Maps.at(name), mask, m_Settings, raw.Kept->Postprocessing[name]);
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
