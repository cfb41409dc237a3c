/*=========================================================================
 *
 *  Copyright NumFOCUS
 *
 *  Licensed under the Apache License, Version 2.0 (the "License");
 *  you may not use this file except in compliance with the License.
 *  You may obtain a copy of the License at
 *
 *         http://www.apache.org/licenses/LICENSE-2.0.txt
 *
 *  Unless required by applicable law or agreed to in writing, software
 *  distributed under the License is distributed on an "AS IS" BASIS,
 *  WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 *  See the License for the specific language governing permissions and
 *  limitations under the License.
 *
 *=========================================================================*/
#ifndef itkContrastiveEncoderTrainer_h
#define itkContrastiveEncoderTrainer_h

#include "CradlExport.h"
#include "itkCradlSettingMacros.h"
#include "itkContrastiveEncoderModel.h"
#include "itkImage.h"
#include "itkProcessObject.h"

#include <string>
#include <vector>

namespace itk
{

/** \class ContrastiveEncoderTrainer
 * \brief Stage 1 of CRADL: trains the encoder on healthy scans with SimCLR.
 *
 * Scans (3D volumes, or 2D images as one-slice volumes) with their brain masks
 * go in with AddTrainingScan() and AddValidationScan(). Each is preprocessed
 * by CradlPreprocessImageFilter (z-score in the brain, SliceSize x SliceSize
 * slices, clip); slices whose brain covers less than MinimumBrainFraction of
 * the slice are skipped, and SliceMargin more slices at each end of a scan's
 * brain are dropped.
 *
 * Training (defaults of the CRADL paper and the authors' code): a DCGAN-style
 * encoder (NumberOfFilters, RepresentationSize) and a projection head, two
 * independently augmented views per slice (crop after resizing to 129/128,
 * rotation, scaling, mirroring, brightness, noise, clip), NT-Xent loss
 * (Temperature), Adam (LearningRate, WeightDecay on weights only), linear
 * warm-up for WarmupEpochs then cosine decay, per step. After each epoch the
 * NT-Xent loss of the un-augmented validation slices is computed, and the
 * output keeps the weights of the epoch where it was lowest.
 *
 * Device ("cpu", "cuda", "cuda:N") and NumberOfThreads (0 = all cores) are
 * run-time settings. MixedPrecision (default on) uses bfloat16 autocast where
 * the hardware has it (CPUs with AVX512-BF16, CUDA GPUs); weights stay float32.
 *
 * Several processes (Distributed, on by default): in a process started by
 * torchrun, srun or `cradl train --nproc N`, the trainer joins the run the
 * environment describes and trains data-parallel. Every process adds the
 * same scans and settings (checked); BatchSize is the global batch, each
 * process takes its shard of every batch; batch norm uses the statistics of
 * the whole global batch, NT-Xent its negatives, and the gradients are
 * summed over the processes, so N processes compute what one process would
 * with the same global batch (to float32 rounding). Device "cuda" becomes
 * "cuda:LOCAL_RANK". Only rank 0 writes the checkpoint; every process gets
 * the model (write it from rank 0: CradlRuntime::GetDistributedRank()).
 *
 * With a CheckpointFileName, the whole training state is written there after
 * every epoch (atomically); with Resume on, an existing checkpoint is
 * continued, giving the same losses as an uninterrupted run. A non-finite
 * loss stops training with an ExceptionObject and leaves the last checkpoint.
 * AbortGenerateDataOn() from an observer stops after the current step.
 *
 * Events: IterationEvent after every step and epoch (read GetCurrentEpoch(),
 * GetCurrentStep(), GetCurrentLoss(), GetCurrentLearningRate(),
 * GetViewsPerSecond(), GetLastValidationLoss()); ProgressEvent throughout.
 *
 * \sa ContrastiveEncoderModel, CradlPreprocessImageFilter
 * \ingroup Cradl
 */
class Cradl_EXPORT ContrastiveEncoderTrainer : public ProcessObject
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(ContrastiveEncoderTrainer);

  using Self = ContrastiveEncoderTrainer;
  using Superclass = ProcessObject;
  using Pointer = SmartPointer<Self>;
  using ConstPointer = SmartPointer<const Self>;

  itkNewMacro(Self);
  itkTypeMacro(ContrastiveEncoderTrainer, ProcessObject);

  using ImageType = Image<float, 3>;
  using MaskImageType = Image<unsigned char, 3>;
  using DataObjectPointerArraySizeType = Superclass::DataObjectPointerArraySizeType;

  /** A healthy scan and its brain mask (null: the scan's non-zero voxels). */
  void
  AddTrainingScan(const ImageType * scan, const MaskImageType * mask = nullptr);
  void
  AddValidationScan(const ImageType * scan, const MaskImageType * mask = nullptr);
  void
  ClearScans();
  itkGetConstMacro(NumberOfTrainingScans, unsigned int);
  itkGetConstMacro(NumberOfValidationScans, unsigned int);

  ContrastiveEncoderModel *
  GetOutput();

  /** The settings (SetLearningRate, GetNumberOfEpochs, ...: names, defaults,
   * ranges and help in cradlSettingDeclarations.h, CRADL_TRAINER_SETTINGS). */
  CRADL_TRAINER_SETTINGS(cradlSettingAccessors)

  // Progress, for observers.
  itkGetConstMacro(CurrentEpoch, unsigned int);
  itkGetConstMacro(CurrentStep, unsigned int);
  itkGetConstMacro(StepsPerEpoch, unsigned int);
  itkGetConstMacro(CurrentLoss, double);
  itkGetConstMacro(CurrentLearningRate, double);
  itkGetConstMacro(ViewsPerSecond, double);
  itkGetConstMacro(LastValidationLoss, double);
  itkGetConstMacro(NumberOfTrainingSlices, unsigned int);
  itkGetConstMacro(NumberOfValidationSlices, unsigned int);
  itkGetConstMacro(UsedMixedPrecision, bool);

protected:
  ContrastiveEncoderTrainer();
  ~ContrastiveEncoderTrainer() override = default;

  void
  PrintSelf(std::ostream & os, Indent indent) const override;

  using Superclass::MakeOutput;
  DataObject::Pointer
  MakeOutput(DataObjectPointerArraySizeType index) override;

  void
  VerifyPreconditions() ITKv5_CONST override;
  void
  VerifyInputInformation() ITKv5_CONST override {}
  void
  GenerateData() override;

private:
  unsigned int m_NumberOfTrainingScans{ 0 };
  unsigned int m_NumberOfValidationScans{ 0 };

  CRADL_TRAINER_SETTINGS(cradlSettingMember)

  unsigned int m_CurrentEpoch{ 0 };
  unsigned int m_CurrentStep{ 0 };
  unsigned int m_StepsPerEpoch{ 0 };
  double       m_CurrentLoss{ 0.0 };
  double       m_CurrentLearningRate{ 0.0 };
  double       m_ViewsPerSecond{ 0.0 };
  double       m_LastValidationLoss{ 0.0 };
  unsigned int m_NumberOfTrainingSlices{ 0 };
  unsigned int m_NumberOfValidationSlices{ 0 };
  bool         m_UsedMixedPrecision{ false };
};

} // namespace itk

#endif
