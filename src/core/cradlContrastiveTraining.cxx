#include "cradlContrastiveTraining.h"
#include "cradlContrastiveTrainingState.h"

#include "cradlAutocast.h"
#include "cradlGradientBuckets.h"
#include "cradlNTXent.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/optim/adam.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
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
} // namespace

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

} // namespace cradl
