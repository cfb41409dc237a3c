#include "itkContrastiveEncoderTrainer.h"
#include "cradlErrorText.h"

#include "cradlContrastiveTrainingRun.h"
#include "cradlSliceSet.h"
#include "itkCradlRuntime.h"
#include "itkImageRegionConstIterator.h"

#include <algorithm>
#include <cstring>

namespace itk
{

namespace
{
std::string
inputName(const char * role, const char * kind, unsigned int index)
{
  return std::string(role) + kind + "_" + std::to_string(index);
}

// Stops training from inside the torch side when an observer aborts.
struct TrainingAborted : std::runtime_error
{
  TrainingAborted()
    : std::runtime_error("training aborted by an observer")
  {}
};
} // namespace

ContrastiveEncoderTrainer::ContrastiveEncoderTrainer()
{
  this->SetNumberOfRequiredInputs(0);
  this->SetNumberOfRequiredOutputs(1);
  this->SetNthOutput(0, this->MakeOutput(0));
}

DataObject::Pointer
ContrastiveEncoderTrainer::MakeOutput(DataObjectPointerArraySizeType)
{
  return ContrastiveEncoderModel::New().GetPointer();
}

ContrastiveEncoderModel *
ContrastiveEncoderTrainer::GetOutput()
{
  return static_cast<ContrastiveEncoderModel *>(this->ProcessObject::GetOutput(0));
}

void
ContrastiveEncoderTrainer::AddTrainingScan(const ImageType * scan, const MaskImageType * mask)
{
  this->ProcessObject::SetInput(inputName("Training", "Scan", m_NumberOfTrainingScans), const_cast<ImageType *>(scan));
  this->ProcessObject::SetInput(inputName("Training", "Mask", m_NumberOfTrainingScans),
                                const_cast<MaskImageType *>(mask));
  ++m_NumberOfTrainingScans;
}

void
ContrastiveEncoderTrainer::AddValidationScan(const ImageType * scan, const MaskImageType * mask)
{
  this->ProcessObject::SetInput(inputName("Validation", "Scan", m_NumberOfValidationScans),
                                const_cast<ImageType *>(scan));
  this->ProcessObject::SetInput(inputName("Validation", "Mask", m_NumberOfValidationScans),
                                const_cast<MaskImageType *>(mask));
  ++m_NumberOfValidationScans;
}

void
ContrastiveEncoderTrainer::ClearScans()
{
  for (const auto & name : this->GetInputNames())
  {
    this->RemoveInput(name);
  }
  m_NumberOfTrainingScans = 0;
  m_NumberOfValidationScans = 0;
  this->Modified();
}

void
ContrastiveEncoderTrainer::VerifyPreconditions() ITKv5_CONST
{
  if (m_NumberOfTrainingScans == 0 || m_NumberOfValidationScans == 0)
  {
    itkExceptionMacro(<< "training needs healthy scans for training and for validation (AddTrainingScan, "
                         "AddValidationScan); got "
                      << m_NumberOfTrainingScans << " and " << m_NumberOfValidationScans);
  }
  if (m_SliceSize != 64 && m_SliceSize != 128 && m_SliceSize != 256)
  {
    itkExceptionMacro(<< "SliceSize must be 64, 128 or 256 (the encoder's input), got " << m_SliceSize);
  }
  CradlRuntime::ValidateDevice(m_Distributed ? CradlRuntime::GetDistributedDevice(m_Device) : m_Device);
}

void
ContrastiveEncoderTrainer::GenerateData()
{
  CradlRuntime::SetNumberOfThreads(m_NumberOfThreads);

  // Preprocess every scan and keep the slices that show enough brain.
  cradl::SliceCollectionSettings settings;
  settings.sliceSize = m_SliceSize;
  settings.clipMinimum = m_ClipMinimum;
  settings.clipMaximum = m_ClipMaximum;
  settings.preserveAspectRatio = m_PreserveAspectRatio;
  settings.minimumBrainFraction = m_MinimumBrainFraction;
  settings.sliceMargin = m_SliceMargin;
  const auto collect = [&](const char * role, unsigned int scans) {
    cradl::SliceSet slices;
    slices.size = m_SliceSize;
    for (unsigned int scan = 0; scan < scans; ++scan)
    {
      try
      {
        cradl::appendBrainSlices(
          static_cast<const ImageType *>(this->ProcessObject::GetInput(inputName(role, "Scan", scan))),
          static_cast<const MaskImageType *>(this->ProcessObject::GetInput(inputName(role, "Mask", scan))),
          settings,
          slices);
      }
      catch (const ExceptionObject & error)
      {
        itkExceptionMacro(<< role << " scan " << scan + 1 << ": " << error.GetDescription());
      }
    }
    if (slices.count < 2)
    {
      itkExceptionMacro(<< role << " scans gave " << slices.count
                        << " slice(s) with enough brain: add scans or lower MinimumBrainFraction / SliceMargin");
    }
    return slices;
  };
  const cradl::SliceSet training = collect("Training", m_NumberOfTrainingScans);
  const cradl::SliceSet validation = collect("Validation", m_NumberOfValidationScans);
  m_NumberOfTrainingSlices = static_cast<unsigned int>(training.count);
  m_NumberOfValidationSlices = static_cast<unsigned int>(validation.count);

  cradl::TrainingRun run;
  run.encoder.imageSize = m_SliceSize;
  run.encoder.nf = m_NumberOfFilters;
  run.encoder.nz = m_RepresentationSize;
  run.training.epochs = m_NumberOfEpochs;
  run.training.batchSize = m_BatchSize;
  run.training.learningRate = m_LearningRate;
  run.training.weightDecay = m_WeightDecay;
  run.training.warmupEpochs = m_WarmupEpochs;
  run.training.temperature = m_Temperature;
  run.training.seed = m_Seed;
  run.training.mixedPrecision = m_MixedPrecision;
  if (m_Augment)
  {
    run.augmentation.maxRotation = m_MaximumRotation;
    run.augmentation.scaleLow = m_ScaleMinimum;
    run.augmentation.scaleHigh = m_ScaleMaximum;
    run.augmentation.mirrorProbability = m_MirrorProbability;
    run.augmentation.brightnessLow = m_BrightnessMinimum;
    run.augmentation.brightnessHigh = m_BrightnessMaximum;
    run.augmentation.noiseStdHigh = m_MaximumNoiseStandardDeviation;
  }
  else
  {
    run.augmentation = cradl::AugmentationOptions::none();
  }
  run.augmentation.clipLow = m_ClipMinimum;
  run.augmentation.clipHigh = m_ClipMaximum;
  run.device = m_Distributed ? CradlRuntime::GetDistributedDevice(m_Device) : m_Device;
  run.distributed = m_Distributed;
  run.checkpointFile = m_CheckpointFileName;
  run.resume = m_Resume;
  run.clipMinimum = m_ClipMinimum;
  run.clipMaximum = m_ClipMaximum;
  run.preserveAspectRatio = m_PreserveAspectRatio;
  run.minimumBrainFraction = m_MinimumBrainFraction;
  run.sliceMargin = m_SliceMargin;

  const auto report = [this](const cradl::TrainingProgress & progress) {
    m_CurrentEpoch = static_cast<unsigned int>(progress.epoch);
    m_CurrentStep = static_cast<unsigned int>(progress.step);
    m_StepsPerEpoch = static_cast<unsigned int>(progress.stepsPerEpoch);
    m_CurrentLoss = progress.loss;
    m_UsedMixedPrecision = progress.mixedPrecision;
    if (progress.epochFinished)
    {
      m_LastValidationLoss = progress.validationLoss;
    }
    else
    {
      m_CurrentLearningRate = progress.learningRate;
      m_ViewsPerSecond = progress.viewsPerSecond;
    }
    const double done = progress.epochFinished ? static_cast<double>(progress.epoch)
                                               : progress.epoch - 1.0 + static_cast<double>(progress.step) /
                                                                           static_cast<double>(progress.stepsPerEpoch);
    this->UpdateProgress(static_cast<float>(done / static_cast<double>(progress.epochs)));
    this->InvokeEvent(IterationEvent());
    if (this->GetAbortGenerateData())
    {
      throw TrainingAborted();
    }
  };

  std::shared_ptr<detail::ContrastiveEncoderModelImpl> model;
  try
  {
    model = cradl::runContrastiveTraining(training, validation, run, report);
  }
  catch (const TrainingAborted &)
  {
    ProcessAborted aborted(__FILE__, __LINE__);
    aborted.SetDescription("ContrastiveEncoderTrainer: training aborted by an observer after epoch " +
                           std::to_string(m_CurrentEpoch) + ", step " + std::to_string(m_CurrentStep) +
                           (m_CheckpointFileName.empty() ? std::string()
                                                         : "; resume from '" + m_CheckpointFileName + "'"));
    throw aborted;
  }
  catch (const ExceptionObject &)
  {
    throw;
  }
  catch (const std::exception & error)
  {
    itkExceptionMacro(<< cradl::messageOf(error));
  }
  this->GetOutput()->SetImpl(model);
}

void
ContrastiveEncoderTrainer::PrintSelf(std::ostream & os, Indent indent) const
{
  Superclass::PrintSelf(os, indent);
  os << indent << "NumberOfTrainingScans: " << m_NumberOfTrainingScans << std::endl;
  os << indent << "NumberOfValidationScans: " << m_NumberOfValidationScans << std::endl;
  CRADL_TRAINER_SETTINGS(cradlPrintSetting)
  os << indent << "UsedMixedPrecision: " << (m_UsedMixedPrecision ? "yes" : "no") << std::endl;
  os << indent << "CurrentEpoch: " << m_CurrentEpoch << ", CurrentStep: " << m_CurrentStep << " of "
     << m_StepsPerEpoch << std::endl;
  os << indent << "CurrentLoss: " << m_CurrentLoss << ", LastValidationLoss: " << m_LastValidationLoss << std::endl;
  os << indent << "CurrentLearningRate: " << m_CurrentLearningRate << ", ViewsPerSecond: " << m_ViewsPerSecond
     << std::endl;
  os << indent << "Slices: " << m_NumberOfTrainingSlices << " training, " << m_NumberOfValidationSlices
     << " validation" << std::endl;
}

} // namespace itk
