#include "itkGaussianMixtureFitter.h"
#include "itkMixtureModelSelector.h"
#include "cradlErrorText.h"

#include "cradlMixtureFitRun.h"
#include "cradlSliceSet.h"
#include "itkCradlRuntime.h"
#include "itkGaussianMixtureModelImpl.h"

namespace itk
{

namespace
{
std::string
scanName(const char * kind, unsigned int index)
{
  return std::string(kind) + "_" + std::to_string(index);
}

// The fitter's settings handed to the slices, the patch density and EM.
cradl::SliceCollectionSettings
sliceCollectionOf(const GaussianMixtureFitter & fitter, const ContrastiveEncoderModel & encoder)
{
  cradl::SliceCollectionSettings settings;
  settings.sliceSize = encoder.GetImageSize();
  settings.clipMinimum = encoder.GetClipMinimum();
  settings.clipMaximum = encoder.GetClipMaximum();
  settings.preserveAspectRatio = encoder.GetPreserveAspectRatio();
  settings.minimumBrainFraction = fitter.GetMinimumBrainFraction();
  settings.sliceMargin = fitter.GetSliceMargin();
  return settings;
}

cradl::PatchDensitySettings
patchDensityOf(const GaussianMixtureFitter & fitter, bool distributed)
{
  cradl::PatchDensitySettings settings;
  settings.layers = fitter.GetPatchDensityLayers();
  settings.positionGrid = fitter.GetPatchPositionGrid();
  settings.depthBins = fitter.GetPatchDepthBins();
  settings.priorWeight = fitter.GetPatchPriorWeight();
  settings.batchSize = fitter.GetBatchSize();
  settings.distributed = distributed;
  return settings;
}

cradl::MixtureFitSettings
mixtureFitOf(const GaussianMixtureFitter & fitter, const std::string & device, bool distributed)
{
  cradl::MixtureFitSettings settings;
  settings.components = fitter.GetComponentCandidates();
  settings.tolerance = fitter.GetTolerance();
  settings.maxIterations = fitter.GetMaximumNumberOfIterations();
  settings.regularization = fitter.GetCovarianceRegularization();
  settings.initialisation = fitter.GetInitialization();
  settings.seed = fitter.GetSeed();
  settings.standardize = fitter.GetStandardizeFeatures();
  settings.float32Compute = fitter.GetFloat32Compute();
  settings.device = device;
  settings.distributed = distributed;
  return settings;
}
} // namespace

GaussianMixtureFitter::GaussianMixtureFitter()
{
  this->SetNumberOfRequiredInputs(0);
  this->SetNumberOfRequiredOutputs(1);
  this->SetNthOutput(0, this->MakeOutput(0));
}

DataObject::Pointer
GaussianMixtureFitter::MakeOutput(DataObjectPointerArraySizeType)
{
  return GaussianMixtureModel::New().GetPointer();
}

GaussianMixtureModel *
GaussianMixtureFitter::GetOutput()
{
  return static_cast<GaussianMixtureModel *>(this->ProcessObject::GetOutput(0));
}

void
GaussianMixtureFitter::SetEncoder(const ContrastiveEncoderModel * encoder)
{
  this->ProcessObject::SetInput("Encoder", const_cast<ContrastiveEncoderModel *>(encoder));
}

const ContrastiveEncoderModel *
GaussianMixtureFitter::GetEncoder() const
{
  return static_cast<const ContrastiveEncoderModel *>(this->ProcessObject::GetInput("Encoder"));
}

void
GaussianMixtureFitter::AddScan(const ImageType * scan, const MaskImageType * mask)
{
  this->ProcessObject::SetInput(scanName("Scan", m_NumberOfScans), const_cast<ImageType *>(scan));
  this->ProcessObject::SetInput(scanName("Mask", m_NumberOfScans), const_cast<MaskImageType *>(mask));
  ++m_NumberOfScans;
}

void
GaussianMixtureFitter::ClearScans()
{
  for (unsigned int index = 0; index < m_NumberOfScans; ++index)
  {
    this->RemoveInput(scanName("Scan", index));
    this->RemoveInput(scanName("Mask", index));
  }
  m_NumberOfScans = 0;
  this->Modified();
}

void
GaussianMixtureFitter::SetRepresentations(const std::vector<double> & matrix, unsigned int rows, unsigned int columns)
{
  if (matrix.size() != static_cast<std::size_t>(rows) * columns)
  {
    itkExceptionMacro(<< "SetRepresentations: " << matrix.size() << " values are not " << rows << " x " << columns);
  }
  m_Representations = matrix;
  m_RepresentationRows = rows;
  m_RepresentationColumns = columns;
  this->Modified();
}

void
GaussianMixtureFitter::SetNumberOfComponents(unsigned int components)
{
  SetComponentCandidates({ components });
}

void
GaussianMixtureFitter::VerifyPreconditions() ITKv5_CONST
{
  const bool hasMatrix = m_RepresentationRows > 0;
  if (!hasMatrix && (m_NumberOfScans == 0 || this->GetEncoder() == nullptr || !this->GetEncoder()->IsTrained()))
  {
    itkExceptionMacro(<< "give a trained encoder (SetEncoder) and healthy scans (AddScan), or SetRepresentations()");
  }
  CradlRuntime::ValidateDevice(m_Distributed ? CradlRuntime::GetDistributedDevice(m_Device) : m_Device);
}

void
GaussianMixtureFitter::GenerateData()
{
  CradlRuntime::SetNumberOfThreads(m_NumberOfThreads);
  std::vector<double> features = m_Representations;
  int64_t             rows = m_RepresentationRows;
  int64_t             columns = m_RepresentationColumns;
  // Several processes: each encodes its shard of the slices; the sums of the
  // fit go over all of them.
  const unsigned int processes = m_Distributed ? CradlRuntime::GetDistributedWorldSize() : 1;
  const std::string  device = m_Distributed ? CradlRuntime::GetDistributedDevice(m_Device) : m_Device;
  try
  {
    cradl::PatchDensityFit patch;
    if (rows == 0)
    {
      const ContrastiveEncoderModel * encoder = this->GetEncoder();
      const auto                      settings = sliceCollectionOf(*this, *encoder);
      cradl::SliceSet slices;
      slices.size = settings.sliceSize;
      for (unsigned int scan = 0; scan < m_NumberOfScans; ++scan)
      {
        cradl::appendBrainSlices(static_cast<const ImageType *>(this->ProcessObject::GetInput(scanName("Scan", scan))),
                                 static_cast<const MaskImageType *>(this->ProcessObject::GetInput(scanName("Mask", scan))),
                                 settings,
                                 slices);
        this->UpdateProgress(0.3f * (scan + 1) / m_NumberOfScans);
      }
      if (processes > 1)
      {
        if (slices.count < processes)
        {
          itkExceptionMacro(<< "the scans gave " << slices.count << " slices with enough brain, fewer than the "
                            << processes << " processes: every process needs at least one");
        }
        const int64_t rank = CradlRuntime::GetDistributedRank();
        slices = slices.rows(slices.count * rank / processes, slices.count * (rank + 1) / processes);
      }
      features = cradl::encodeSlices(*encoder->GetImpl(), slices, device, m_BatchSize);
      if (!m_PatchDensityLayers.empty())
      {
        patch = cradl::fitPatchDensityOf(*encoder->GetImpl(), slices, device, patchDensityOf(*this, processes > 1));
      }
      rows = slices.count;
      this->UpdateProgress(0.4f);
      columns = encoder->GetRepresentationSize();
    }
    const auto result = cradl::fitMixture(features, rows, columns, mixtureFitOf(*this, device, processes > 1));
    for (const auto & model : result.models)
    {
      if (patch.density)
      {
        model->patch = *patch.density;
      }
    }
    m_Candidates.clear();
    m_CandidateModels.clear();
    for (std::size_t c = 0; c < result.candidates.size(); ++c)
    {
      const auto & candidate = result.candidates[c];
      m_Candidates.push_back({ candidate.components, static_cast<unsigned int>(candidate.iterations),
                               candidate.converged, candidate.meanLogLikelihood, candidate.bic, candidate.seconds });
      m_CandidateModels.push_back(GaussianMixtureModel::New());
      m_CandidateModels.back()->SetImpl(result.models[c]);
    }
    m_NumberOfSamples = static_cast<unsigned int>(result.samples);
    this->UseTheSelectorsChoice();
  }
  catch (const ExceptionObject &)
  {
    throw;
  }
  catch (const std::exception & error)
  {
    itkExceptionMacro(<< cradl::messageOf(error));
  }
  this->UpdateProgress(1.0f);
}

void
GaussianMixtureFitter::UseTheSelectorsChoice()
{
  // The fitter chooses nothing: its output is MixtureModelSelector's choice
  // without labelled scans (the lowest BIC), the one place that decides.
  auto selector = MixtureModelSelector::New();
  for (const auto & model : m_CandidateModels)
  {
    selector->AddCandidate(model);
  }
  selector->Update();
  m_SelectedNumberOfComponents = selector->GetOutput()->GetNumberOfComponents();
  this->GetOutput()->SetImpl(selector->GetOutput()->GetImpl());
}

const GaussianMixtureModel *
GaussianMixtureFitter::GetCandidateModel(unsigned int index) const
{
  if (index >= m_CandidateModels.size())
  {
    itkExceptionMacro(<< "no candidate " << index << ": " << m_CandidateModels.size()
                      << " were fitted (call Update() first)");
  }
  return m_CandidateModels[index];
}

void
GaussianMixtureFitter::PrintSelf(std::ostream & os, Indent indent) const
{
  Superclass::PrintSelf(os, indent);
  os << indent << "NumberOfScans: " << m_NumberOfScans << std::endl;
  os << indent << "Representations: " << m_RepresentationRows << " x " << m_RepresentationColumns << std::endl;
  CRADL_FITTER_SETTINGS(cradlPrintSetting)
  for (const auto & c : m_Candidates)
  {
    os << indent << "Candidate K=" << c.NumberOfComponents << ": " << c.Iterations << " iterations, mean log-lik "
       << c.MeanLogLikelihood << ", BIC " << c.BIC
       << (c.NumberOfComponents == m_SelectedNumberOfComponents ? " (selected)" : "")
       << std::endl;
  }
}

} // namespace itk
