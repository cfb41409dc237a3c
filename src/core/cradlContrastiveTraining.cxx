#include "cradlContrastiveTraining.h"

#include "cradlAutocast.h"
#include "cradlGradientBuckets.h"
#include "cradlNTXent.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/optim/adam.h>
#include <torch/serialize.h>
#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <cmath>
#include <sstream>
#include <stdexcept>

namespace cradl
{

double
warmupCosineLearningRate(int64_t step, int64_t totalSteps, int64_t warmupSteps, double baseRate)
{
  if (step < warmupSteps)
  {
    return baseRate * static_cast<double>(step + 1) / static_cast<double>(warmupSteps);
  }
  const double span = static_cast<double>(std::max<int64_t>(1, totalSteps - warmupSteps));
  const double progress = std::min(1.0, static_cast<double>(step - warmupSteps) / span);
  return 0.5 * baseRate * (1.0 + std::cos(M_PI * progress));
}

bool
bfloat16Supported(const c10::Device & device)
{
  if (device.is_cuda())
  {
    return true; // native on Ampere and newer; the CPU-only LibTorch has no API to ask the GPU
  }
  // oneDNN held below AVX512-BF16 (DNNL_MAX_CPU_ISA=AVX2, ...) has no
  // bfloat16 convolutions at all: its primitives fail to build.
  for (const char * variable : { "ONEDNN_MAX_CPU_ISA", "DNNL_MAX_CPU_ISA" })
  {
    const char * isa = std::getenv(variable);
    if (isa != nullptr && *isa != '\0')
    {
      std::string name(isa);
      std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::toupper(c); });
      if (name.find("BF16") == std::string::npos && name.find("AMX") == std::string::npos && name != "ALL")
        return false;
    }
  }
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string   line;
  while (std::getline(cpuinfo, line))
  {
    if (line.rfind("flags", 0) == 0)
    {
      return line.find(" avx512_bf16") != std::string::npos;
    }
  }
  return false;
}

const OptionFields<TrainingOptions> &
trainingOptionFields()
{
  using O = TrainingOptions;
  static const OptionFields<O> fields{ { "epochs", &O::epochs },
                                       { "batch_size", &O::batchSize },
                                       { "learning_rate", &O::learningRate },
                                       { "weight_decay", &O::weightDecay },
                                       { "warmup_epochs", &O::warmupEpochs },
                                       { "temperature", &O::temperature },
                                       { "seed", &O::seed },
                                       { "mixed_precision", &O::mixedPrecision },
                                       { "channels_last", &O::channelsLast } };
  return fields;
}

ValueDict
toDict(const TrainingOptions & options)
{
  return optionsToDict(options, trainingOptionFields());
}

TrainingOptions
trainingOptionsFromDict(const ValueDict & dict)
{
  return optionsFromDict(dict, trainingOptionFields());
}

namespace
{
void
toChannelsLast(torch::nn::Module & module)
{
  torch::NoGradGuard noGrad;
  for (auto & parameter : module.parameters())
  {
    if (parameter.dim() == 4)
    {
      parameter.set_data(parameter.data().contiguous(at::MemoryFormat::ChannelsLast));
    }
  }
}

std::string
bytesOf(const torch::optim::Optimizer & optimizer)
{
  torch::serialize::OutputArchive archive;
  optimizer.save(archive);
  std::ostringstream stream;
  archive.save_to(stream);
  return stream.str();
}

at::Tensor
tensorOfBytes(const std::string & bytes)
{
  at::Tensor tensor = at::empty({ static_cast<int64_t>(bytes.size()) }, at::kByte);
  std::memcpy(tensor.data_ptr<uint8_t>(), bytes.data(), bytes.size());
  return tensor;
}

std::string
bytesOfTensor(const at::Tensor & tensor)
{
  const at::Tensor contiguous = tensor.contiguous();
  return std::string(reinterpret_cast<const char *>(contiguous.data_ptr<uint8_t>()),
                     static_cast<std::size_t>(contiguous.numel()));
}
// DDP's default bucket size: large enough to keep the network busy, small
// enough that the first buckets start early in the backward pass.
constexpr int64_t GradientBucketBytes = 25 << 20;

// Settings and data that must be the same on every process, as numbers:
// the data by an exact checksum of its float bits (no rounding, any order).
std::vector<std::pair<std::string, double>>
fingerprint(const EncoderOptions &      encoder,
            const AugmentationOptions & augmentation,
            const TrainingOptions &     options,
            const c10::Device &         device,
            const at::Tensor &          training,
            const at::Tensor &          validation)
{
  const auto checksum = [](const at::Tensor & slices) {
    return static_cast<double>(slices.contiguous().view(at::kInt).to(at::kLong).sum().item<int64_t>());
  };
  // mixed_precision: whether bfloat16 is used (resolved before the check).
  std::vector<std::pair<std::string, double>> numbers;
  appendFingerprint(numbers, encoder, encoderOptionFields());
  appendFingerprint(numbers, options, trainingOptionFields());
  const std::vector<std::pair<std::string, double>> rest{
    { "device type (1 = CUDA)", device.is_cuda() ? 1.0 : 0.0 },
    { "augmentation crop", augmentation.crop ? 1.0 : 0.0 },
    { "crop resize", augmentation.cropResize },
    { "crop centre low", augmentation.cropCentreLow },
    { "crop centre high", augmentation.cropCentreHigh },
    { "augmentation rotation", augmentation.rotate ? augmentation.maxRotation : -1.0 },
    { "augmentation scale", augmentation.scale ? 1.0 : 0.0 },
    { "scale low", augmentation.scaleLow },
    { "scale high", augmentation.scaleHigh },
    { "augmentation mirror", augmentation.mirror ? augmentation.mirrorProbability : -1.0 },
    { "augmentation brightness", augmentation.brightness ? 1.0 : 0.0 },
    { "brightness low", augmentation.brightnessLow },
    { "brightness high", augmentation.brightnessHigh },
    { "augmentation noise", augmentation.noise ? augmentation.noiseStdHigh : -1.0 },
    { "clip low", augmentation.clipLow },
    { "clip high", augmentation.clipHigh },
    { "training slices", static_cast<double>(training.size(0)) },
    { "validation slices", static_cast<double>(validation.size(0)) },
    { "training slices' checksum", checksum(training) },
    { "validation slices' checksum", checksum(validation) } };
  numbers.insert(numbers.end(), rest.begin(), rest.end());
  return numbers;
}
} // namespace

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

ContrastiveTraining::ContrastiveTraining(const EncoderOptions &       encoder,
                                         const AugmentationOptions &  augmentation,
                                         const TrainingOptions &      options,
                                         const c10::Device &          device,
                                         const at::Tensor &           training,
                                         const at::Tensor &           validation,
                                         std::shared_ptr<Collectives> collectives)
  : m_State(std::make_unique<State>(encoder, augmentation, options, device))
{
  State & s = *m_State;
  const auto checkSlices = [&](const at::Tensor & slices, const char * what) {
    if (slices.dim() != 4 || slices.size(1) != 1 || slices.size(2) != encoder.imageSize ||
        slices.size(3) != encoder.imageSize)
    {
      std::ostringstream message;
      message << what << " slices have shape " << slices.sizes() << "; the encoder expects [N, 1, "
              << encoder.imageSize << ", " << encoder.imageSize << "]";
      throw std::invalid_argument(message.str());
    }
  };
  checkSlices(training, "training");
  checkSlices(validation, "validation");
  if (training.size(0) < 2 || validation.size(0) < 2)
  {
    throw std::invalid_argument("contrastive training needs at least 2 training and 2 validation slices, got " +
                                std::to_string(training.size(0)) + " and " + std::to_string(validation.size(0)));
  }
  if (options.epochs < 1 || options.batchSize < 2 || options.warmupEpochs < 0)
  {
    throw std::invalid_argument("epochs >= 1, batch size >= 2 and warm-up epochs >= 0 are required");
  }
  // Slices stay on the CPU; each batch moves to the device when it is used.
  s.training = training.to(at::kCPU, at::kFloat).contiguous();
  s.validation = validation.to(at::kCPU, at::kFloat).contiguous();
  {
    // Weights from the seed, whatever the global generator did before.
    torch::manual_seed(options.seed);
    s.encoder = ContrastiveEncoder(encoder);
    s.head = ProjectionHead(encoder);
  }
  s.encoder->to(device);
  s.head->to(device);
  if (options.channelsLast)
  {
    toChannelsLast(*s.encoder);
  }
  // Weight decay on convolution and linear weights, not on biases or BN.
  std::vector<at::Tensor> decayed;
  std::vector<at::Tensor> undecayed;
  for (torch::nn::Module * module : { static_cast<torch::nn::Module *>(s.encoder.get()),
                                      static_cast<torch::nn::Module *>(s.head.get()) })
  {
    for (const auto & parameter : module->parameters())
    {
      (parameter.dim() > 1 ? decayed : undecayed).push_back(parameter);
    }
  }
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(decayed, std::make_unique<torch::optim::AdamOptions>(
                                 torch::optim::AdamOptions(options.learningRate).weight_decay(options.weightDecay)));
  groups.emplace_back(undecayed, std::make_unique<torch::optim::AdamOptions>(
                                   torch::optim::AdamOptions(options.learningRate).weight_decay(0.0)));
  s.optimizer = std::make_unique<torch::optim::Adam>(std::move(groups), torch::optim::AdamOptions(options.learningRate));
  if (collectives && collectives->worldSize() > 1)
  {
    s.joinProcesses(std::move(collectives));
  }
  s.bestEncoder = stateDict(*s.encoder);
  s.bestHead = stateDict(*s.head);
}

ContrastiveTraining::~ContrastiveTraining() = default;

void
ContrastiveTraining::setStepCallback(std::function<void(const StepReport &)> callback)
{
  m_State->onStep = std::move(callback);
}

void
ContrastiveTraining::setGradientCallback(std::function<void(const std::vector<at::Tensor> &)> callback)
{
  m_State->onGradients = std::move(callback);
}

bool
ContrastiveTraining::finished() const
{
  return m_State->epoch >= m_State->options.epochs;
}

int64_t
ContrastiveTraining::completedEpochs() const
{
  return m_State->epoch;
}

int64_t
ContrastiveTraining::stepsPerEpoch() const
{
  return m_State->stepsPerEpoch();
}

const std::vector<EpochReport> &
ContrastiveTraining::history() const
{
  return m_State->history;
}

double
ContrastiveTraining::trainStep(const at::Tensor & slices, bool augmentViews)
{
  State & s = *m_State;
  s.encoder->train();
  s.head->train();
  const auto [begin, end] = s.shard(slices.size(0));
  return s.step(slices.slice(0, begin, end).to(s.device, at::kFloat), augmentViews, slices.size(0), begin);
}

ValueDict
ContrastiveTraining::currentWeights() const
{
  ValueDict weights = makeValueDict();
  weights.insert("encoder", stateDict(*m_State->encoder));
  weights.insert("head", stateDict(*m_State->head));
  return weights;
}

const StepTiming &
ContrastiveTraining::lastStepTiming() const
{
  return m_State->timing;
}

double
ContrastiveTraining::validationLoss()
{
  State &            s = *m_State;
  torch::NoGradGuard noGrad;
  s.encoder->eval();
  s.head->eval();
  double        total = 0.0;
  const int64_t count = s.validation.size(0);
  int64_t       batches = 0;
  for (int64_t start = 0; start + 1 < count; start += s.options.batchSize)
  {
    const int64_t batch = std::min(count, start + s.options.batchSize) - start;
    const auto [begin, end] = s.shard(batch);
    const at::Tensor slices = s.prepared(s.validation.slice(0, start + begin, start + end));
    total += s.lossOf(slices, slices, batch).item<double>();
    ++batches;
  }
  return total / static_cast<double>(batches);
}

EpochReport
ContrastiveTraining::trainEpoch()
{
  State & s = *m_State;
  if (finished())
  {
    throw std::logic_error("training already ran all " + std::to_string(s.options.epochs) + " epochs");
  }
  const auto    started = std::chrono::steady_clock::now();
  const int64_t steps = s.stepsPerEpoch();
  const int64_t batch = std::min(s.options.batchSize, s.training.size(0));
  const auto    order = at::randperm(s.training.size(0), s.generator, at::TensorOptions().dtype(at::kLong));
  s.encoder->train();
  s.head->train();
  double lossSum = 0.0;
  for (int64_t step = 0; step < steps; ++step)
  {
    const auto       stepStarted = std::chrono::steady_clock::now();
    const auto [begin, end] = s.shard(batch);
    const at::Tensor slices = s.training.index_select(0, order.slice(0, step * batch + begin, step * batch + end));
    const double     loss = s.step(slices.to(s.device), true, batch, begin);
    lossSum += loss;
    if (s.onStep)
    {
      StepReport report;
      report.epoch = s.epoch + 1;
      report.step = step + 1;
      report.stepsPerEpoch = steps;
      report.globalStep = s.globalStep;
      report.loss = loss;
      report.learningRate = static_cast<torch::optim::AdamOptions &>(s.optimizer->param_groups()[0].options()).lr();
      report.viewsPerSecond =
        2.0 * batch / std::chrono::duration<double>(std::chrono::steady_clock::now() - stepStarted).count();
      s.onStep(report);
    }
  }
  EpochReport report;
  report.epoch = ++s.epoch;
  report.trainingLoss = lossSum / static_cast<double>(steps);
  report.validationLoss = validationLoss();
  if (!std::isfinite(report.validationLoss))
  {
    throw std::runtime_error("the validation loss became " + std::to_string(report.validationLoss) + " at epoch " +
                             std::to_string(report.epoch) + "; the last checkpoint is intact");
  }
  if (report.validationLoss < s.bestValidationLoss)
  {
    s.bestValidationLoss = report.validationLoss;
    s.bestEpoch = report.epoch;
    s.bestEncoder = stateDict(*s.encoder);
    s.bestHead = stateDict(*s.head);
    report.improved = true;
  }
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  report.representationDtype = s.representationDtype;
  s.history.push_back(report);
  return report;
}

ValueDict
ContrastiveTraining::bestModel(const ValueDict & preprocessing) const
{
  const State & s = *m_State;
  ValueDict     training = toDict(s.options);
  training.insert("best_epoch", s.bestEpoch);
  training.insert("best_validation_loss", s.bestValidationLoss);
  training.insert("completed_epochs", s.epoch);
  training.insert("training_slices", s.training.size(0));
  training.insert("validation_slices", s.validation.size(0));

  ValueDict model = makeValueDict();
  model.insert("format", std::string(ModelFormat));
  model.insert("format_version", FormatVersion);
  model.insert("architecture", toDict(s.encoderOptions));
  model.insert("preprocessing", preprocessing);
  model.insert("training", training);
  model.insert("encoder", s.bestEncoder);
  model.insert("head", s.bestHead);
  return model;
}

ContrastiveEncoder
ContrastiveTraining::bestEncoder() const
{
  ContrastiveEncoder encoder(m_State->encoderOptions);
  loadStateDict(*encoder, m_State->bestEncoder, "best encoder");
  encoder->eval();
  return encoder;
}

void
ContrastiveTraining::saveCheckpoint(const std::string & path) const
{
  const State & s = *m_State;
  ValueDict     checkpoint = makeValueDict();
  checkpoint.insert("format", std::string(CheckpointFormat));
  checkpoint.insert("format_version", FormatVersion);
  checkpoint.insert("architecture", toDict(s.encoderOptions));
  checkpoint.insert("training", toDict(s.options));
  checkpoint.insert("encoder", stateDict(*s.encoder));
  checkpoint.insert("head", stateDict(*s.head));
  checkpoint.insert("best_encoder", s.bestEncoder);
  checkpoint.insert("best_head", s.bestHead);
  checkpoint.insert("best_epoch", s.bestEpoch);
  checkpoint.insert("best_validation_loss", s.bestValidationLoss);
  checkpoint.insert("epoch", s.epoch);
  checkpoint.insert("global_step", s.globalStep);
  checkpoint.insert("optimizer", tensorOfBytes(bytesOf(*s.optimizer)));
  checkpoint.insert("generator", s.generator.get_state());
  std::vector<double> losses;
  for (const auto & report : s.history)
  {
    losses.insert(losses.end(), { static_cast<double>(report.epoch), report.trainingLoss, report.validationLoss });
  }
  checkpoint.insert("history", at::tensor(losses, at::kDouble).view({ -1, 3 }));
  if (!s.distributed() || s.collectives->rank() == 0) // every process holds the same state
    saveDict(checkpoint, path);
}

namespace
{
std::vector<char>
fileBytes(const std::string & path)
{
  std::ifstream file(path, std::ios::binary);
  if (!file)
    throw std::runtime_error("cannot open '" + path + "': check the path");
  return std::vector<char>((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
}
} // namespace

bool
ContrastiveTraining::resumeIfPresent(const std::string & path)
{
  State & s = *m_State;
  bool    present = std::filesystem::exists(path);
  if (s.distributed())
    present = broadcastBytes(*s.collectives, present ? "1" : "0") == "1"; // rank 0's file decides
  if (present)
    loadCheckpoint(path);
  return present;
}

void
ContrastiveTraining::loadCheckpoint(const std::string & path)
{
  State &           s = *m_State;
  std::vector<char> bytes;
  if (!s.distributed())
    bytes = fileBytes(path);
  else
  {
    // Rank 0 reads, every process restores the same bytes (or learns why not).
    std::string sent;
    if (s.collectives->rank() == 0)
    {
      try
      {
        const std::vector<char> read = fileBytes(path);
        sent = "D" + std::string(read.begin(), read.end());
      }
      catch (const std::exception & error)
      {
        sent = std::string("E") + error.what();
      }
    }
    sent = broadcastBytes(*s.collectives, sent);
    if (sent.empty() || sent[0] != 'D')
      throw std::runtime_error("rank 0 could not read the checkpoint: " + (sent.empty() ? std::string() : sent.substr(1)));
    bytes.assign(sent.begin() + 1, sent.end());
  }
  const ValueDict checkpoint = loadDictFromBytes(bytes, path, CheckpointFormat, FormatVersion);
  const auto      architecture = encoderOptionsFromDict(checkpoint.at("architecture").toGenericDict());
  if (!(architecture == s.encoderOptions))
  {
    throw std::runtime_error("checkpoint '" + path + "' was written for another encoder architecture");
  }
  loadStateDict(*s.encoder, checkpoint.at("encoder").toGenericDict(), "checkpoint encoder");
  loadStateDict(*s.head, checkpoint.at("head").toGenericDict(), "checkpoint head");
  s.bestEncoder = checkpoint.at("best_encoder").toGenericDict();
  s.bestHead = checkpoint.at("best_head").toGenericDict();
  s.bestEpoch = checkpoint.at("best_epoch").toInt();
  s.bestValidationLoss = checkpoint.at("best_validation_loss").toDouble();
  s.epoch = checkpoint.at("epoch").toInt();
  s.globalStep = checkpoint.at("global_step").toInt();
  {
    std::istringstream              stream(bytesOfTensor(checkpoint.at("optimizer").toTensor()));
    torch::serialize::InputArchive archive;
    archive.load_from(stream, s.device);
    s.optimizer->load(archive);
  }
  s.generator.set_state(checkpoint.at("generator").toTensor());
  s.history.clear();
  const at::Tensor history = checkpoint.at("history").toTensor();
  for (int64_t row = 0; row < history.size(0); ++row)
  {
    EpochReport report;
    report.epoch = static_cast<int64_t>(history[row][0].item<double>());
    report.trainingLoss = history[row][1].item<double>();
    report.validationLoss = history[row][2].item<double>();
    s.history.push_back(report);
  }
}

ContrastiveEncoder
loadEncoder(const std::string & path, ValueDict * contents)
{
  const ValueDict    model = loadDict(path, ContrastiveTraining::ModelFormat, ContrastiveTraining::FormatVersion);
  ContrastiveEncoder encoder(encoderOptionsFromDict(model.at("architecture").toGenericDict()));
  loadStateDict(*encoder, model.at("encoder").toGenericDict(), "model '" + path + "' encoder");
  encoder->eval();
  if (contents != nullptr)
  {
    *contents = model;
  }
  return encoder;
}

} // namespace cradl
