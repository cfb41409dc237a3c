#ifndef cradlContrastiveTrainingState_h
#define cradlContrastiveTrainingState_h

// Private to the torch core: ContrastiveTraining's state, shared by its
// training loop (cradlContrastiveTraining.cxx) and its model and checkpoint
// files (cradlContrastiveTrainingFile.cxx).

#include "cradlAutocast.h"
#include "cradlContrastiveTraining.h"
#include "cradlGradientBuckets.h"
#include "cradlNTXent.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/optim/adam.h>

#include <chrono>
#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace cradl
{

// DDP's default bucket size: large enough to keep the network busy, small
// enough that the first buckets start early in the backward pass.
constexpr int64_t GradientBucketBytes = 25 << 20;

/** Settings and data that must be the same on every process, as numbers:
 *  the data by an exact checksum of its float bits (no rounding, any order). */
std::vector<std::pair<std::string, double>>
fingerprint(const EncoderOptions &      encoder,
            const AugmentationOptions & augmentation,
            const TrainingOptions &     options,
            const c10::Device &         device,
            const at::Tensor &          training,
            const at::Tensor &          validation);

struct ContrastiveTraining::State
{
  EncoderOptions                           encoderOptions;
  AugmentationOptions                      augmentation;
  TrainingOptions                          options;
  c10::Device                              device;
  at::Tensor                               training;
  at::Tensor                               validation;
  ContrastiveEncoder                       encoder;
  ProjectionHead                           head;
  std::unique_ptr<torch::optim::Adam>      optimizer;
  at::Generator                            generator;
  int64_t                                  epoch = 0;
  int64_t                                  globalStep = 0;
  double                                   bestValidationLoss = std::numeric_limits<double>::infinity();
  int64_t                                  bestEpoch = 0;
  ValueDict                                bestEncoder = makeValueDict();
  ValueDict                                bestHead = makeValueDict();
  std::vector<EpochReport>                 history;
  std::function<void(const StepReport &)> onStep;
  StepTiming                               timing;
  at::ScalarType                           representationDtype = at::kFloat;
  std::shared_ptr<Collectives>             collectives; // several processes, else null
  std::unique_ptr<GradientBuckets>         buckets;
  std::function<void(const std::vector<at::Tensor> &)> onGradients;

  State(const EncoderOptions & e, const AugmentationOptions & a, const TrainingOptions & o, const c10::Device & d)
    : encoderOptions(e)
    , augmentation(a)
    , options(o)
    , device(d)
    , encoder(e)
    , head(e)
    , generator(at::make_generator<at::CPUGeneratorImpl>(o.seed))
  {}

  int64_t
  stepsPerEpoch() const
  {
    return std::max<int64_t>(1, training.size(0) / options.batchSize);
  }

  bool
  distributed() const
  {
    return collectives != nullptr;
  }

  // This process's rows [begin, end) of a global batch of `count`.
  std::pair<int64_t, int64_t>
  shard(int64_t count) const
  {
    return distributed() ? shardOf(count, collectives->rank(), collectives->worldSize())
                         : std::pair<int64_t, int64_t>{ 0, count };
  }

  at::Tensor
  prepared(const at::Tensor & slices) const
  {
    at::Tensor onDevice = slices.to(device, at::kFloat);
    return options.channelsLast ? onDevice.contiguous(at::MemoryFormat::ChannelsLast) : onDevice;
  }

  // Several processes: the same settings and data everywhere, rank 0's initial
  // weights everywhere, batch norm over the global batch, gradient buckets.
  void
  joinProcesses(std::shared_ptr<Collectives> group)
  {
    State & s = *this;
    requireSameOnEveryProcess(
      *group,
      fingerprint(s.encoderOptions, s.augmentation, s.options, s.device, s.training, s.validation),
      "training settings or slices");
    const int64_t batch = std::min(s.options.batchSize, s.training.size(0));
    if (batch < group->worldSize())
    {
      throw std::invalid_argument("the global batch of " + std::to_string(batch) + " slices is smaller than the " +
                                  std::to_string(group->worldSize()) +
                                  " processes: every process needs at least one slice of each batch");
    }
    std::vector<at::Tensor> state;
    for (torch::nn::Module * module : { static_cast<torch::nn::Module *>(s.encoder.get()),
                                        static_cast<torch::nn::Module *>(s.head.get()) })
    {
      for (const auto & parameter : module->parameters())
        state.push_back(parameter.data());
      for (const auto & buffer : module->buffers())
        state.push_back(buffer);
    }
    {
      torch::NoGradGuard noGrad;
      group->broadcast(state, 0);
    }
    s.encoder->setGlobalBatchStatistics(group);
    std::vector<at::Tensor> parameters = s.encoder->parameters();
    for (const auto & parameter : s.head->parameters())
      parameters.push_back(parameter);
    s.buckets = std::make_unique<GradientBuckets>(parameters, group, GradientBucketBytes);
    s.collectives = std::move(group);
  }

  // Forward of both views (this process's shard of a global batch of
  // `batch` slices) through f and g as one batch; NT-Xent on the projections
  // of the whole global batch.
  at::Tensor
  lossOf(const at::Tensor & first, const at::Tensor & second, int64_t batch)
  {
    AutocastScope autocast(device, options.mixedPrecision);
    const int64_t n = first.size(0);
    // Validation passes the same slices as both views: in eval mode (batch
    // norm's running statistics) each view's projection is the other's, so
    // one forward pass gives both.
    const bool sameViews = first.is_same(second) && !encoder->is_training();
    at::Tensor projections;
    if (n > 0)
    {
      const at::Tensor representations = encoder->forward(sameViews ? first : at::cat({ first, second }, 0));
      representationDtype = representations.scalar_type();
      projections = head->forward(representations);
    }
    else // a validation batch smaller than the number of processes
      projections = at::zeros({ 0, encoderOptions.headOutput }, at::TensorOptions().device(device));
    at::Tensor z1 = projections.slice(0, 0, n);
    at::Tensor z2 = sameViews ? z1 : projections.slice(0, n);
    if (distributed())
    {
      z1 = gatherShards(*collectives, z1.to(at::kFloat), batch);
      z2 = sameViews ? z1 : gatherShards(*collectives, z2.to(at::kFloat), batch);
    }
    return ntXentLoss(z1, z2, options.temperature);
  }

  // One step on this process's shard `slices` of a global batch of `batch`
  // slices whose rows from `begin` it holds.
  double
  step(const at::Tensor & slices, bool augmentViews, int64_t batch, int64_t begin)
  {
    const int64_t totalSteps = options.epochs * stepsPerEpoch();
    const double  rate =
      warmupCosineLearningRate(globalStep, totalSteps, options.warmupEpochs * stepsPerEpoch(), options.learningRate);
    for (auto & group : optimizer->param_groups())
    {
      static_cast<torch::optim::AdamOptions &>(group.options()).lr(rate);
    }
    using Clock = std::chrono::steady_clock;
    const auto seconds = [](Clock::time_point from, Clock::time_point to) {
      return std::chrono::duration<double>(to - from).count();
    };
    const auto t0 = Clock::now();
    at::Tensor first = slices;
    at::Tensor second = slices;
    if (augmentViews)
    {
      first = augmentShard(slices, batch, begin, augmentation, generator);
      second = augmentShard(slices, batch, begin, augmentation, generator);
    }
    const auto t1 = Clock::now();
    optimizer->zero_grad();
    const at::Tensor loss = lossOf(prepared(first), prepared(second), batch);
    const double     value = loss.item<double>();
    const auto       t2 = Clock::now();
    if (!std::isfinite(value))
    {
      throw std::runtime_error("the contrastive loss became " + std::to_string(value) + " at epoch " +
                               std::to_string(epoch + 1) + ", step " + std::to_string(globalStep + 1) +
                               ": lower the learning rate or check the input slices; the last checkpoint is intact");
    }
    loss.backward();
    const double waited = buckets ? buckets->finish() : 0.0;
    if (onGradients)
    {
      std::vector<at::Tensor> parameters;
      for (auto & group : optimizer->param_groups())
        parameters.insert(parameters.end(), group.params().begin(), group.params().end());
      onGradients(parameters);
    }
    const auto t3 = Clock::now();
    optimizer->step();
    const auto t4 = Clock::now();
    timing = { seconds(t0, t1), seconds(t1, t2), seconds(t2, t3), seconds(t3, t4), waited,
               buckets ? buckets->bytesPerStep() : 0 };
    ++globalStep;
    return value;
  }
};

} // namespace cradl

#endif
