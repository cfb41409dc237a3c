#include "itkMixtureModelSelector.h"
#include "cradlRawMapsReuse.h"

#include "cradlErrorText.h"
#include "cradlMixtureFitRun.h"
#include "itkAUPRCMetric.h"
#include "itkCradlRuntime.h"
#include "itkGaussianMixtureModelImpl.h"

#include <algorithm>
#include <map>

namespace itk
{

namespace
{
std::string
inputName(const char * kind, unsigned int index)
{
  return std::string(kind) + "_" + std::to_string(index);
}
} // namespace

MixtureModelSelector::MixtureModelSelector()
{
  this->SetNumberOfRequiredInputs(0);
  this->SetNumberOfRequiredOutputs(1);
  this->SetNthOutput(0, this->MakeOutput(0));
}

DataObject::Pointer
MixtureModelSelector::MakeOutput(DataObjectPointerArraySizeType)
{
  return GaussianMixtureModel::New().GetPointer();
}

GaussianMixtureModel *
MixtureModelSelector::GetOutput()
{
  return static_cast<GaussianMixtureModel *>(this->ProcessObject::GetOutput(0));
}

void
MixtureModelSelector::SetEncoder(const ContrastiveEncoderModel * encoder)
{
  this->ProcessObject::SetInput("Encoder", const_cast<ContrastiveEncoderModel *>(encoder));
}

const ContrastiveEncoderModel *
MixtureModelSelector::GetEncoder() const
{
  return static_cast<const ContrastiveEncoderModel *>(this->ProcessObject::GetInput("Encoder"));
}

void
MixtureModelSelector::AddCandidate(const GaussianMixtureModel * mixture)
{
  if (mixture == nullptr || !mixture->IsFitted())
  {
    itkExceptionMacro(<< "a candidate must be a fitted mixture (GaussianMixtureFitter::GetCandidateModel or Load)");
  }
  this->ProcessObject::SetInput(inputName("Candidate", m_NumberOfCandidates), const_cast<GaussianMixtureModel *>(mixture));
  ++m_NumberOfCandidates;
}

auto
MixtureModelSelector::ValidationImage(unsigned int scan) const -> const ImageType *
{
  return static_cast<const ImageType *>(this->ProcessObject::GetInput(inputName("ValidationScan", scan)));
}

auto
MixtureModelSelector::ValidationMask(unsigned int scan) const -> const MaskImageType *
{
  return static_cast<const MaskImageType *>(this->ProcessObject::GetInput(inputName("ValidationMask", scan)));
}

auto
MixtureModelSelector::ValidationLabel(unsigned int scan) const -> const MaskImageType *
{
  return static_cast<const MaskImageType *>(this->ProcessObject::GetInput(inputName("ValidationLabel", scan)));
}

const GaussianMixtureModel *
MixtureModelSelector::GetCandidateInput(unsigned int index) const
{
  return static_cast<const GaussianMixtureModel *>(this->ProcessObject::GetInput(inputName("Candidate", index)));
}

void
MixtureModelSelector::AddValidationScan(const ImageType * scan, const MaskImageType * mask, const MaskImageType * label)
{
  if (scan == nullptr || label == nullptr)
  {
    itkExceptionMacro(<< "a validation scan for choosing the mixture needs the scan and its anomaly label image");
  }
  const unsigned int index = m_NumberOfValidationScans;
  this->ProcessObject::SetInput(inputName("ValidationScan", index), const_cast<ImageType *>(scan));
  this->ProcessObject::SetInput(inputName("ValidationMask", index), const_cast<MaskImageType *>(mask));
  this->ProcessObject::SetInput(inputName("ValidationLabel", index), const_cast<MaskImageType *>(label));
  ++m_NumberOfValidationScans;
}

void
MixtureModelSelector::SetScoringSettings(const CradlScoringSettings & settings)
{
  if (settings != m_ScoringSettings)
  {
    m_ScoringSettings = settings;
    this->Modified();
  }
}

void
MixtureModelSelector::VerifyPreconditions() ITKv5_CONST
{
  if (m_NumberOfCandidates == 0)
  {
    itkExceptionMacro(<< "no candidate mixtures: AddCandidate() each of GaussianMixtureFitter's candidates");
  }
  if (m_NumberOfValidationScans > 0)
  {
    const ContrastiveEncoderModel * encoder = this->GetEncoder();
    if (encoder == nullptr || !encoder->IsTrained())
    {
      itkExceptionMacro(<< "scoring validation scans needs the trained encoder (SetEncoder)");
    }
    CradlRuntime::ValidateDevice(m_ScoringSettings.Device);
  }
}

void
MixtureModelSelector::SetScoringModes(const std::vector<std::string> & modes)
{
  if (modes != m_ScoringModes)
  {
    m_ScoringModes = modes;
    this->Modified();
  }
}

void
MixtureModelSelector::SetGaussianSigmas(const std::vector<double> & sigmas)
{
  for (const double sigma : sigmas)
  {
    if (!(sigma > 0.0))
    {
      itkExceptionMacro(<< "Gaussian sigmas must be positive, got " << sigma);
    }
  }
  if (sigmas != m_GaussianSigmas)
  {
    m_GaussianSigmas = sigmas;
    this->Modified();
  }
}

void
MixtureModelSelector::SelectByValidation(const std::vector<std::string> & modes, const std::vector<double> & sigmas)
{
  using RawMaps = CradlScanScorer::RawMaps;
  const unsigned int scans = m_NumberOfValidationScans;
  // Each mode scored once, the fused one first: the others can take views of it.
  std::vector<std::string> passModes;
  for (const auto & mode : modes)
  {
    if (std::find(passModes.begin(), passModes.end(), mode) == passModes.end())
      passModes.push_back(mode);
  }
  std::stable_partition(passModes.begin(), passModes.end(), [](const std::string & mode) { return mode == "fused"; });
  auto scorer = CradlScanScorer::New();
  scorer->SetEncoder(this->GetEncoder());
  // Maps that do not depend on the mixture's Gaussians are scored once: the
  // intensity deviation, and the patch map (with the patch mode's slices)
  // of candidates whose patch densities are equal (one fit's candidates).
  std::vector<RawMaps> shared(scans);
  const GaussianMixtureModel * sharedPatchOf = nullptr;
  const unsigned int           passes = m_NumberOfCandidates * static_cast<unsigned int>(passModes.size());
  unsigned int                 pass = 0;
  for (unsigned int c = 0; c < m_NumberOfCandidates; ++c)
  {
    const GaussianMixtureModel * mixture = this->GetCandidateInput(c);
    const bool samePatch = sharedPatchOf != nullptr && mixture->GetImpl()->patch == sharedPatchOf->GetImpl()->patch;
    scorer->SetMixture(mixture);
    // One scoring pass per (mixture, mode): the fused pass's raw maps hold
    // the gradient and patch maps with their slices, exactly what those
    // modes score, so they take views of it instead of passes of their own.
    std::map<std::string, std::vector<RawMaps>> raw;
    bool                                        recordedPatch = false;
    for (const auto & mode : passModes)
    {
      CradlScoringSettings settings = m_ScoringSettings;
      settings.Mode = mode;
      scorer->SetSettings(settings);
      auto & maps = raw[mode];
      for (unsigned int scan = 0; scan < scans; ++scan)
      {
        if (mode != "fused" && raw.count("fused") && raw["fused"][scan].Maps.count(mode))
        {
          maps.push_back(modeView(raw["fused"][scan], mode));
          continue;
        }
        RawMaps known;
        if (mode == "fused" && shared[scan].Maps.count("intensity"))
          takeRawMap(known, "intensity", shared[scan]);
        if (samePatch && shared[scan].Maps.count("patch"))
          takeRawMap(known, "patch", shared[scan]);
        maps.push_back(scorer->ScoreRaw(this->ValidationImage(scan), this->ValidationMask(scan), std::move(known)));
        if (maps.back().Maps.count("intensity") && !shared[scan].Maps.count("intensity"))
          takeRawMap(shared[scan], "intensity", maps.back());
        if (maps.back().Maps.count("patch") && !samePatch)
        {
          takeRawMap(shared[scan], "patch", maps.back());
          recordedPatch = true;
        }
        this->UpdateProgress(static_cast<float>(pass * scans + scan + 1) / (passes * scans));
      }
      ++pass;
    }
    if (recordedPatch)
      sharedPatchOf = mixture;
    this->RateRows(scorer, c, raw, modes, sigmas);
  }
}

void
MixtureModelSelector::RateRows(CradlScanScorer *                                                   scorer,
                               unsigned int                                                        mixture,
                               const std::map<std::string, std::vector<CradlScanScorer::RawMaps>> & raw,
                               const std::vector<std::string> &                                    modes,
                               const std::vector<double> &                                         sigmas)
{
  // Every sigma finishes all modes before the next, so that each map is
  // post-processed once per sigma (the fused row's components are the
  // other rows' maps).
  for (std::size_t s = 0; s < sigmas.size(); ++s)
  {
    for (std::size_t m = 0; m < modes.size(); ++m)
    {
      const auto           row = static_cast<unsigned int>((mixture * modes.size() + m) * sigmas.size() + s);
      CradlScoringSettings settings = m_ScoringSettings;
      settings.Mode = modes[m];
      settings.GaussianSigma = m_Candidates[row].GaussianSigma;
      scorer->SetSettings(settings);
      auto                                 metric = AUPRCMetric<ImageType, MaskImageType>::New();
      std::vector<CradlScanScorer::Result> results;
      for (unsigned int scan = 0; scan < m_NumberOfValidationScans; ++scan)
      {
        results.push_back(scorer->Finish(raw.at(modes[m])[scan], this->ValidationMask(scan)));
        metric->AddImages(results.back().AnomalyMap, this->ValidationLabel(scan), this->ValidationMask(scan),
                          "validation scan " + std::to_string(scan + 1));
      }
      metric->Compute();
      m_Candidates[row].ValidationAUPRC = metric->GetAUPRC();
      // The best row; among equal ones the first in row order.
      const double best = m_Candidates[m_SelectedIndex].ValidationAUPRC;
      if (m_ValidationResults.empty() || m_Candidates[row].ValidationAUPRC > best ||
          (m_Candidates[row].ValidationAUPRC == best && row < m_SelectedIndex))
      {
        m_SelectedIndex = row;
        m_ValidationResults = std::move(results);
      }
    }
  }
}

void
MixtureModelSelector::GenerateData()
{
  const std::vector<std::string> modes =
    m_ScoringModes.empty() ? std::vector<std::string>{ m_ScoringSettings.Mode } : m_ScoringModes;
  const std::vector<double> sigmas =
    m_GaussianSigmas.empty() ? std::vector<double>{ m_ScoringSettings.GaussianSigma } : m_GaussianSigmas;
  m_Candidates.clear();
  m_ValidationResults.clear();
  // One row per (mixture, mode, sigma), mixtures outermost.
  std::vector<unsigned int> mixtureOf;
  for (unsigned int c = 0; c < m_NumberOfCandidates; ++c)
  {
    const GaussianMixtureModel * mixture = this->GetCandidateInput(c);
    for (const auto & mode : modes)
    {
      for (const double sigma : sigmas)
      {
        m_Candidates.push_back({ mixture->GetNumberOfComponents(), mixture->GetNumberOfIterations(),
                                 mixture->GetMeanLogLikelihood(), mixture->GetBIC(), -1.0, mode, sigma });
        mixtureOf.push_back(c);
      }
    }
  }
  m_SelectedIndex = 0;
  if (m_NumberOfValidationScans > 0)
  {
    m_SelectionCriterion = "validation AUPRC";
    this->SelectByValidation(modes, sigmas);
  }
  else
  {
    m_SelectionCriterion = "bic";
    const auto perMixture = static_cast<unsigned int>(modes.size() * sigmas.size());
    for (unsigned int row = 0; row < m_Candidates.size(); row += perMixture)
    {
      if (m_Candidates[row].BIC < m_Candidates[m_SelectedIndex].BIC)
      {
        m_SelectedIndex = row;
      }
    }
  }
  m_SelectedScoringSettings = m_ScoringSettings;
  m_SelectedScoringSettings.Mode = m_Candidates[m_SelectedIndex].ScoringMode;
  m_SelectedScoringSettings.GaussianSigma = m_Candidates[m_SelectedIndex].GaussianSigma;
  try
  {
    // The output records the choice; the candidate itself stays as it was.
    const auto & candidate = *this->GetCandidateInput(mixtureOf[m_SelectedIndex])->GetImpl();
    auto         chosen = std::make_shared<detail::GaussianMixtureModelImpl>(candidate);
    chosen->fit = candidate.fit.copy();
    std::vector<cradl::MixtureCandidate> figures;
    std::vector<double>                  validationAUPRC;
    std::vector<std::string>             rowModes;
    for (const auto & c : m_Candidates)
    {
      figures.push_back({ c.NumberOfComponents, c.Iterations, false, c.MeanLogLikelihood, c.BIC, 0.0 });
      validationAUPRC.push_back(c.ValidationAUPRC);
      rowModes.push_back(c.ScoringMode);
    }
    cradl::recordSelection(*chosen, m_SelectionCriterion, figures, validationAUPRC);
    cradl::recordScoringMode(*chosen, m_SelectedScoringSettings.Mode, rowModes);
    chosen->fit.insert_or_assign("score_sigma", m_SelectedScoringSettings.GaussianSigma);
    this->GetOutput()->SetImpl(chosen);
  }
  catch (const std::exception & error)
  {
    itkExceptionMacro(<< cradl::messageOf(error));
  }
  this->UpdateProgress(1.0f);
}

void
MixtureModelSelector::PrintSelf(std::ostream & os, Indent indent) const
{
  Superclass::PrintSelf(os, indent);
  os << indent << "NumberOfCandidates: " << m_NumberOfCandidates << std::endl;
  os << indent << "NumberOfValidationScans: " << m_NumberOfValidationScans << std::endl;
  os << indent << "ScoringSettings: " << m_ScoringSettings << std::endl;
  os << indent << "GaussianSigmas:";
  for (const double sigma : m_GaussianSigmas)
  {
    os << " " << sigma;
  }
  os << std::endl;
  os << indent << "ScoringModes:";
  for (const auto & mode : m_ScoringModes)
  {
    os << " " << mode;
  }
  os << std::endl;
  os << indent << "SelectionCriterion: " << m_SelectionCriterion << std::endl;
  for (unsigned int c = 0; c < m_Candidates.size(); ++c)
  {
    os << indent << "Candidate K=" << m_Candidates[c].NumberOfComponents << " " << m_Candidates[c].ScoringMode
       << " sigma " << m_Candidates[c].GaussianSigma
       << ": BIC " << m_Candidates[c].BIC
       << ", validation AUPRC " << m_Candidates[c].ValidationAUPRC << (c == m_SelectedIndex ? " (selected)" : "")
       << std::endl;
  }
}

} // namespace itk
