#ifndef cradlContrastiveTraining_h
#define cradlContrastiveTraining_h

// Stage 1 of CRADL: SimCLR training of the encoder on healthy slices.

#include "cradlAugment.h"
#include "cradlCollectives.h"
#include "cradlCoreExport.h"
#include "cradlEncoder.h"
#include "cradlModelFile.h"

#include <c10/core/Device.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace cradl
{

/** The fields, each once: checkpoints' and model files' "training" and the settings fingerprint. */
CRADL_CORE_EXPORT const OptionFields<TrainingOptions> &
trainingOptionFields();
CRADL_CORE_EXPORT ValueDict
toDict(const TrainingOptions & options);
CRADL_CORE_EXPORT TrainingOptions
trainingOptionsFromDict(const ValueDict & dict);


struct StepReport
{
  int64_t epoch = 0; // 1-based
  int64_t step = 0;  // 1-based within the epoch
  int64_t stepsPerEpoch = 0;
  int64_t globalStep = 0;
  double  loss = 0.0;
  double  learningRate = 0.0;
  double  viewsPerSecond = 0.0;
};

/** Where the last step's time went (CPU: exact; CUDA: launch-time only). */
struct StepTiming
{
  double augmentSeconds = 0.0;
  double forwardSeconds = 0.0; // encoder + head + loss
  double backwardSeconds = 0.0;
  double optimizerSeconds = 0.0;
  // Several processes: waiting for the gradient sums after the backward pass
  // (what it did not hide), and the bytes each process sent to be summed.
  double  allReduceWaitSeconds = 0.0;
  int64_t allReduceBytes = 0;
};

struct EpochReport
{
  int64_t epoch = 0;
  double  trainingLoss = 0.0;   // mean over the epoch's steps
  double  validationLoss = 0.0; // NT-Xent of un-augmented validation slices
  bool    improved = false;     // the kept (best) model changed
  double  seconds = 0.0;
  // The encoder output's dtype in the last training step: bfloat16 when
  // mixed precision really ran (not stored in checkpoints).
  at::ScalarType representationDtype = at::kFloat;
};

/** Trains encoder + projection head with NT-Xent on two augmented views of
 *  each slice; keeps the weights of the epoch with the lowest validation loss.
 *  All state (weights, Adam moments, schedule position, random generator)
 *  goes into checkpoints, so a resumed run continues exactly.
 *
 *  Data parallelism (`collectives` of W > 1 processes, each given the same
 *  slices and settings, checked): the batch size is the global batch; every
 *  process draws the same epoch order and augmentation randomness and takes
 *  its shard of each global batch (shardOf), so the run computes what one
 *  process would with the whole batch: batch norm normalises with the global
 *  batch's statistics, NT-Xent sees the projections of the whole global
 *  batch (gathered with their gradients), the gradients are summed over the
 *  processes in buckets overlapping the backward pass, and every process
 *  takes the same Adam step. The learning-rate schedule counts global steps.
 *  Only rank 0 writes checkpoints; a checkpoint resumes with any number of
 *  processes (rank 0 reads it and sends it to the others). */
class CRADL_CORE_EXPORT ContrastiveTraining
{
public:
  /** `training` and `validation`: [N, 1, S, S] float slices on any device. */
  ContrastiveTraining(const EncoderOptions &       encoder,
                      const AugmentationOptions &  augmentation,
                      const TrainingOptions &      options,
                      const c10::Device &          device,
                      const at::Tensor &           training,
                      const at::Tensor &           validation,
                      std::shared_ptr<Collectives> collectives = nullptr);
  ~ContrastiveTraining();

  void
  setStepCallback(std::function<void(const StepReport &)> callback);
  /** Called before every optimizer step with the parameters, whose .grad are
   *  complete (summed over the processes): gradient clipping, or a test's
   *  perturbation of an error model. */
  void
  setGradientCallback(std::function<void(const std::vector<at::Tensor> & parameters)> callback);

  /** Trains the next epoch and validates. Throws std::runtime_error on a
   *  non-finite loss (the weights of the last finished epoch stay intact). */
  EpochReport
  trainEpoch();

  bool
  finished() const;
  int64_t
  completedEpochs() const;
  int64_t
  stepsPerEpoch() const;
  const std::vector<EpochReport> &
  history() const;

  /** One training step on the global batch `slices` (for benchmarks and
   *  tests; each process takes its shard): returns the loss. */
  double
  trainStep(const at::Tensor & slices, bool augmentViews);

  /** The encoder and head's parameters and buffers, as trained now. */
  ValueDict
  currentWeights() const;

  double
  validationLoss();

  const StepTiming &
  lastStepTiming() const;

  /** The whole training state (several processes: rank 0 writes). */
  void
  saveCheckpoint(const std::string & path) const;
  /** Restores a checkpoint written by a training of the same architecture
   *  (several processes: rank 0 reads it, every process restores it). */
  void
  loadCheckpoint(const std::string & path);
  /** loadCheckpoint when `path` exists (on rank 0); whether it did. */
  bool
  resumeIfPresent(const std::string & path);

  /** The kept encoder and head (lowest validation loss) as a model-file dict;
   *  `preprocessing` describes how slices were made. */
  ValueDict
  bestModel(const ValueDict & preprocessing) const;

  ContrastiveEncoder
  bestEncoder() const;

  static constexpr const char * ModelFormat = "cradl.contrastive-encoder";
  static constexpr const char * CheckpointFormat = "cradl.contrastive-training-checkpoint";
  static constexpr int64_t      FormatVersion = 1;

private:
  struct State;
  std::unique_ptr<State> m_State;
};

/** Reads a model file written from bestModel(): the encoder (eval mode) and
 *  the dict (architecture, preprocessing, training). */
CRADL_CORE_EXPORT ContrastiveEncoder
loadEncoder(const std::string & path, ValueDict * contents = nullptr);

/** Whether bfloat16 autocast is fast on `device`: any CUDA device (native
 *  from Ampere on), or a CPU with AVX512-BF16 (read from /proc/cpuinfo)
 *  unless DNNL_MAX_CPU_ISA / ONEDNN_MAX_CPU_ISA holds oneDNN below it. */
CRADL_CORE_EXPORT bool
bfloat16Supported(const c10::Device & device);

/** Linear warm-up over warmupSteps, then cosine decay to 0 at totalSteps. */
CRADL_CORE_EXPORT double
warmupCosineLearningRate(int64_t step, int64_t totalSteps, int64_t warmupSteps, double baseRate);

} // namespace cradl

#endif
