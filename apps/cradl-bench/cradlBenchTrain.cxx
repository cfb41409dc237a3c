// cradl bench train: SimCLR training steps of the encoder on random slices;
// the counterpart of the anchor simclr_torch.py --part train.
#include "cradlBenchSupport.h"
#include "cradlBenchCommands.h"

#include "cradlContrastiveTraining.h"
#include "cradlDevice.h"
#include "cradlDistributed.h"
#include "cradlThreads.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <iostream>

namespace cradl_cli
{

namespace
{
struct Options
{
  int64_t     batch = 32;
  int64_t     size = 128;
  int64_t     nf = 64;
  int64_t     nz = 512;
  int         steps = 8;
  int         warmupSteps = 2;
  int         threads = 0;
  bool        noAugment = false;
  bool        mixedPrecision = false;
  bool        channelsLast = false; // the library's default layout unless asked
  std::string device = "cpu";
};

// Multiply-adds x 2 of one forward pass through encoder + head, per view.
double
forwardFlops(const cradl::EncoderOptions & options)
{
  double  flops = 0.0;
  int64_t size = options.imageSize;
  int64_t channels = 1;
  int64_t next = options.nf;
  for (int64_t layer = 0; layer < options.downsamplingLayers(); ++layer)
  {
    size /= 2;
    flops += 2.0 * channels * next * 16 * size * size;
    channels = next;
    next *= 2;
  }
  flops += 2.0 * channels * options.nz * 16; // 4x4 valid convolution -> 1x1
  flops += 2.0 * options.nz * options.headHidden + 2.0 * options.headHidden * options.headOutput;
  return flops;
}

void
run(const Options & options)
{
  cradl::setComputeThreads(options.threads > 0 ? options.threads : cradl::availableCores());
  const c10::Device     device = cradl::parseDevice(options.device);
  cradl::EncoderOptions encoder;
  encoder.imageSize = options.size;
  encoder.nf = options.nf;
  encoder.nz = options.nz;
  cradl::TrainingOptions training;
  training.batchSize = options.batch;
  training.epochs = 1000;
  training.mixedPrecision = options.mixedPrecision;
  training.channelsLast = options.channelsLast;
  at::manual_seed(0);
  const at::Tensor slices = (at::randn({ options.batch, 1, options.size, options.size }) * 0.5).clamp(-1.5, 1.5);
  // Started by torchrun or scripts/bench/distributed.sh: data-parallel over
  // the run's processes, --batch being the global batch.
  const auto                 group = cradl::processGroupOfEnvironment(device);
  cradl::ContrastiveTraining trainer(encoder, {}, training, device, slices, slices.slice(0, 0, 2), group);

  std::vector<double> stepSeconds;
  std::vector<double> waitSeconds;
  cradl::StepTiming   total;
  for (int step = 0; step < options.warmupSteps + options.steps; ++step)
  {
    const auto start = std::chrono::steady_clock::now();
    trainer.trainStep(slices, !options.noAugment);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (step >= options.warmupSteps)
    {
      stepSeconds.push_back(seconds);
      const auto & timing = trainer.lastStepTiming();
      total.augmentSeconds += timing.augmentSeconds;
      total.forwardSeconds += timing.forwardSeconds;
      total.backwardSeconds += timing.backwardSeconds;
      total.optimizerSeconds += timing.optimizerSeconds;
      total.allReduceBytes = timing.allReduceBytes;
      waitSeconds.push_back(timing.allReduceWaitSeconds);
    }
  }
  if (group && group->rank() != 0)
    return; // rank 0 reports
  const double views = 2.0 * options.batch;
  const double perStep = medianOf(stepSeconds);
  const double stepFlops = 3.0 * forwardFlops(encoder) * views; // forward + backward (2x)
  const double measured = total.augmentSeconds + total.forwardSeconds + total.backwardSeconds + total.optimizerSeconds;

  nlohmann::json result;
  result["bench"] = "train";
  result["device"] = cradl::deviceName(device);
  result["threads"] = cradl::computeThreads();
  result["batch"] = options.batch;
  result["size"] = options.size;
  result["nf"] = options.nf;
  result["nz"] = options.nz;
  result["augment"] = !options.noAugment;
  result["mixed_precision_bf16"] = options.mixedPrecision;
  result["channels_last"] = options.channelsLast;
  result["steps"] = options.steps;
  result["processes"] = group ? group->worldSize() : 1;
  // Waiting for the gradient sums after backward: what the backward pass did not hide.
  result["all_reduce_wait_seconds_median"] = medianOf(waitSeconds);
  result["all_reduce_bytes_per_step"] = total.allReduceBytes;
  result["step_seconds_median"] = perStep;
  result["views_per_s"] = views / perStep;
  result["gflop_per_view"] = 3.0 * forwardFlops(encoder) / 1e9;
  result["gflop_per_s"] = stepFlops / perStep / 1e9;
  result["time_share"] = { { "augment", total.augmentSeconds / measured },
                           { "forward", total.forwardSeconds / measured },
                           { "backward", total.backwardSeconds / measured },
                           { "optimizer", total.optimizerSeconds / measured } };
  printBenchResult(result);
}
} // namespace

void
addBenchTrain(CLI::App & bench)
{
  auto   options = std::make_shared<Options>();
  auto * command = bench.add_subcommand("train", "SimCLR training steps; prints one JSON line with views_per_s");
  command->add_option("--batch", options->batch, "slices per step (2 views each)")->capture_default_str();
  command->add_option("--size", options->size, "slice size: 64, 128 or 256")->capture_default_str();
  command->add_option("--nf", options->nf, "encoder base channels")->capture_default_str();
  command->add_option("--nz", options->nz, "representation size")->capture_default_str();
  command->add_option("--steps", options->steps, "timed steps")->capture_default_str();
  command->add_option("--warmup-steps", options->warmupSteps, "untimed steps first")->capture_default_str();
  command->add_option("--threads", options->threads, "threads (0 = all cores)")->capture_default_str();
  command->add_option("--device", options->device, "cpu, cuda or cuda:N")->capture_default_str();
  command->add_flag("--no-augment", options->noAugment, "skip the augmentations");
  command->add_flag("--bf16", options->mixedPrecision, "bfloat16 autocast (fp32 master weights)");
  command->add_flag("--channels-last", options->channelsLast, "NHWC instead of NCHW (the library's default)");
  command->callback([options] { run(*options); });
}

} // namespace cradl_cli
