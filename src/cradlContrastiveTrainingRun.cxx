#include "cradlContrastiveTrainingRun.h"

#include "cradlContrastiveTraining.h"
#include "cradlDevice.h"
#include "cradlDistributed.h"
#include "cradlTensorViews.h"
#include "itkContrastiveEncoderModelImpl.h"

#include <filesystem>

namespace cradl
{

namespace
{
at::Tensor
tensorOf(const SliceSet & slices)
{
  // A copy: training keeps its slices while the caller's set may go.
  return viewSliceBatch(const_cast<float *>(slices.pixels.data()), { slices.count, slices.size, slices.size },
                        [](void *) {})
    .clone();
}
} // namespace

std::shared_ptr<itk::detail::ContrastiveEncoderModelImpl>
runContrastiveTraining(const SliceSet &                                     training,
                       const SliceSet &                                     validation,
                       const TrainingRun &                                  run,
                       const std::function<void(const TrainingProgress &)> & report)
{
  const c10::Device device = parseDevice(run.device);
  TrainingOptions   options = run.training;
  options.mixedPrecision = options.mixedPrecision && bfloat16Supported(device);
  const std::shared_ptr<Collectives> collectives =
    run.distributed ? processGroupOfEnvironment(device) : std::shared_ptr<DistributedGroup>();
  ContrastiveTraining trainer(run.encoder, run.augmentation, options, device, tensorOf(training), tensorOf(validation),
                              collectives);

  if (run.resume && !run.checkpointFile.empty())
  {
    trainer.resumeIfPresent(run.checkpointFile);
  }
  TrainingProgress progress;
  progress.epochs = options.epochs;
  progress.stepsPerEpoch = trainer.stepsPerEpoch();
  progress.mixedPrecision = options.mixedPrecision;
  trainer.setStepCallback([&](const StepReport & step) {
    progress.epoch = step.epoch;
    progress.step = step.step;
    progress.loss = step.loss;
    progress.learningRate = step.learningRate;
    progress.viewsPerSecond = step.viewsPerSecond;
    progress.epochFinished = false;
    report(progress);
  });
  while (!trainer.finished())
  {
    const EpochReport epoch = trainer.trainEpoch();
    if (!run.checkpointFile.empty())
    {
      trainer.saveCheckpoint(run.checkpointFile);
    }
    progress.epoch = epoch.epoch;
    progress.step = 0;
    progress.loss = epoch.trainingLoss;
    progress.validationLoss = epoch.validationLoss;
    progress.epochFinished = true;
    report(progress);
  }

  ValueDict preprocessing = makeValueDict();
  preprocessing.insert("slice_size", run.encoder.imageSize);
  preprocessing.insert("clip_minimum", run.slices.clipMinimum);
  preprocessing.insert("clip_maximum", run.slices.clipMaximum);
  preprocessing.insert("preserve_aspect_ratio", run.slices.preserveAspectRatio);
  preprocessing.insert("minimum_brain_fraction", run.slices.minimumBrainFraction);
  preprocessing.insert("slice_margin", static_cast<int64_t>(run.slices.sliceMargin));
  preprocessing.insert("normalisation", std::string("z-score over the brain, background 0"));
  auto model = std::make_shared<itk::detail::ContrastiveEncoderModelImpl>();
  model->model = trainer.bestModel(preprocessing);
  return model;
}

} // namespace cradl
