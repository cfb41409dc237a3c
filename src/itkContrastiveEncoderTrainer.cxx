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

// The slices' preprocessing, as the trainer's settings say.
cradl::SliceCollectionSettings
sliceCollectionOf(const ContrastiveEncoderTrainer & trainer)
{
  cradl::SliceCollectionSettings settings;
  settings.sliceSize = trainer.GetSliceSize();
  settings.clipMinimum = trainer.GetClipMinimum();
  settings.clipMaximum = trainer.GetClipMaximum();
  settings.preserveAspectRatio = trainer.GetPreserveAspectRatio();
  settings.minimumBrainFraction = trainer.GetMinimumBrainFraction();
  settings.sliceMargin = trainer.GetSliceMargin();
  return settings;
}

// The trainer's settings handed to the torch core.
cradl::TrainingRun
trainingRunOf(const ContrastiveEncoderTrainer & t)
{
  cradl::TrainingRun run;
  run.encoder.imageSize = t.GetSliceSize();
  run.encoder.nf = t.GetNumberOfFilters();
  run.encoder.nz = t.GetRepresentationSize();
  run.training.epochs = t.GetNumberOfEpochs();
  run.training.batchSize = t.GetBatchSize();
  run.training.learningRate = t.GetLearningRate();
  run.training.weightDecay = t.GetWeightDecay();
  run.training.warmupEpochs = t.GetWarmupEpochs();
  run.training.temperature = t.GetTemperature();
  run.training.seed = t.GetSeed();
  run.training.mixedPrecision = t.GetMixedPrecision();
  if (t.GetAugment())
  {
    run.augmentation.maxRotation = t.GetMaximumRotation();
    run.augmentation.scaleLow = t.GetScaleMinimum();
    run.augmentation.scaleHigh = t.GetScaleMaximum();
    run.augmentation.mirrorProbability = t.GetMirrorProbability();
    run.augmentation.brightnessLow = t.GetBrightnessMinimum();
    run.augmentation.brightnessHigh = t.GetBrightnessMaximum();
    run.augmentation.noiseStdHigh = t.GetMaximumNoiseStandardDeviation();
  }
  else
  {
    run.augmentation = cradl::AugmentationOptions::none();
  }
  run.augmentation.clipLow = t.GetClipMinimum();
  run.augmentation.clipHigh = t.GetClipMaximum();
  run.device = t.GetDistributed() ? CradlRuntime::GetDistributedDevice(t.GetDevice()) : t.GetDevice();
  run.distributed = t.GetDistributed();
  run.checkpointFile = t.GetCheckpointFileName();
  run.resume = t.GetResume();
  run.slices = sliceCollectionOf(t);
  return run;
}

// What an observer's abort throws: where training stopped, and where it resumes.
ProcessAborted
abortedAt(unsigned int epoch, unsigned int step, const std::string & checkpoint)
{
  ProcessAborted aborted(__FILE__, __LINE__);
  aborted.SetDescription("ContrastiveEncoderTrainer: training aborted by an observer after epoch " +
                         std::to_string(epoch) + ", step " + std::to_string(step) +
                         (checkpoint.empty() ? std::string() : "; resume from '" + checkpoint + "'"));
  return aborted;
}

// Training's progress: finished epochs plus the current one's share of steps.
float
fractionDone(const cradl::TrainingProgress & progress)
{
  const double done = progress.epochFinished ? static_cast<double>(progress.epoch)
                                             : progress.epoch - 1.0 + static_cast<double>(progress.step) /
                                                                         static_cast<double>(progress.stepsPerEpoch);
  return static_cast<float>(done / static_cast<double>(progress.epochs));
}
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
  const cradl::TrainingRun               run = trainingRunOf(*this);
  const cradl::SliceCollectionSettings & settings = run.slices;
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
    this->UpdateProgress(fractionDone(progress));
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
    throw abortedAt(m_CurrentEpoch, m_CurrentStep, m_CheckpointFileName);
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
