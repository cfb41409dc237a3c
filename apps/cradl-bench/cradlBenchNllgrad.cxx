// cradl bench nllgrad: NLL-gradient scoring of S slices with a frozen
// encoder and a K-component mixture; the counterpart of the anchor
// simclr_torch.py --part score.
#include "cradlBenchSupport.h"
#include "cradlBenchCommands.h"

#include "cradlSettingDeclarations.h"
#include "cradlDevice.h"
#include "cradlNLLGradient.h"
#include "cradlPatchDensity.h"
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
  int64_t     slices = 512;
  int64_t     batch = 64;
  int64_t     components = 4;
  int64_t     size = 128;
  int64_t     nf = 64;
  int64_t     nz = 512;
  int         threads = 0;
  int         repeats = 1;
  std::string device = "cpu";
  bool        bfloat16 = false;
  std::string map = "gradient";
};

void
run(const Options & options)
{
  cradl::setComputeThreads(options.threads > 0 ? options.threads : cradl::availableCores());
  const c10::Device device = cradl::parseDevice(options.device);
  at::manual_seed(0);
  cradl::EncoderOptions encoderOptions;
  encoderOptions.imageSize = options.size;
  encoderOptions.nf = options.nf;
  encoderOptions.nz = options.nz;
  cradl::ContrastiveEncoder encoder(encoderOptions);
  encoder->to(device);
  encoder->eval();
  // A valid random mixture: SPD covariances around identity.
  const int64_t    K = options.components;
  const int64_t    d = options.nz;
  const at::Tensor root = at::randn({ K, d, d }, at::kDouble) / std::sqrt(static_cast<double>(d));
  const at::Tensor covariances = at::matmul(root, root.transpose(1, 2)) + at::eye(d, at::kDouble);
  cradl::RepresentationDensity density{ cradl::MixtureParameters::fromCovariances(
                                          at::full({ K }, 1.0 / K, at::kDouble), at::randn({ K, d }, at::kDouble),
                                          covariances),
                                        at::zeros({ d }, at::kDouble), at::ones({ d }, at::kDouble) };
  const at::Tensor slices = at::randn({ options.slices, 1, options.size, options.size }).clamp(-1.5, 1.5);
  // The patch density of these slices (whole slices as brain, depths spread
  // over the stack), by position cell (the default) or pooled, when timed.
  cradl::PatchDensity        patch;
  cradl::PatchDensityOptions patchOptions;
  at::Tensor                 frames;
  if (options.map == "patch")
  {
    patchOptions.cells = { cradl::defaults::fitter::PatchPositionGrid, cradl::defaults::fitter::PatchDepthBins,
                           cradl::defaults::fitter::PatchPriorWeight };
    frames = at::tensor({ 0.0, 1.0, 0.0, 1.0, 0.0 }, at::kDouble).repeat({ options.slices, 1 });
    frames.select(1, 4).copy_((at::arange(options.slices, at::kDouble) + 0.5) / static_cast<double>(options.slices));
  }
  if (options.map != "gradient")
    patch = cradl::fitPatchDensity(encoder, slices, at::ones_like(slices, at::kByte), patchOptions, frames);
  const auto score = [&](const at::Tensor & part) {
    if (options.map != "gradient")
      cradl::patchDensityMap(encoder, patch, part, options.batch, nullptr,
                             frames.defined() ? frames.slice(0, 0, part.size(0)) : at::Tensor());
    else
      cradl::nllGradient(encoder, density, part, options.batch, options.bfloat16);
  };
  score(slices.slice(0, 0, options.batch)); // warm-up

  std::vector<double> seconds;
  for (int repeat = 0; repeat < options.repeats; ++repeat)
  {
    const auto start = std::chrono::steady_clock::now();
    score(slices);
    seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  const double median = medianOf(seconds);
  nlohmann::json result;
  result["bench"] = "nllgrad";
  result["map"] = options.map;
  result["device"] = cradl::deviceName(device);
  result["threads"] = cradl::computeThreads();
  result["slices"] = options.slices;
  result["batch"] = options.batch;
  result["components"] = K;
  result["size"] = options.size;
  result["nf"] = options.nf;
  result["nz"] = options.nz;
  result["seconds_median"] = median;
  result["slices_per_s"] = options.slices / median;
  result["bf16"] = options.bfloat16;
  printBenchResult(result);
}
} // namespace

void
addBenchNllgrad(CLI::App & bench)
{
  auto   options = std::make_shared<Options>();
  auto * command = bench.add_subcommand("nllgrad", "NLL-gradient scoring of random slices; one JSON line");
  command->add_option("--slices", options->slices, "slices scored")->capture_default_str();
  command->add_option("--batch", options->batch, "slices per backward pass")->capture_default_str();
  command->add_option("--components", options->components, "mixture components")->capture_default_str();
  command->add_option("--size", options->size, "slice size")->capture_default_str();
  command->add_option("--nf", options->nf, "encoder base channels")->capture_default_str();
  command->add_option("--nz", options->nz, "representation size")->capture_default_str();
  command->add_option("--threads", options->threads, "threads (0 = all cores)")->capture_default_str();
  command->add_option("--repeats", options->repeats, "timed repeats (median reported)")->capture_default_str();
  command->add_option("--device", options->device, "cpu, cuda or cuda:N")->capture_default_str();
  command->add_flag("--bf16", options->bfloat16, "bfloat16 autocast for the encoder");
  command
    ->add_option("--map", options->map,
                 "gradient (backward pass), patch (feature density by position cell, forward only) or patch-pooled "
                 "(one location-agnostic Gaussian)")
    ->check(CLI::IsMember({ "gradient", "patch", "patch-pooled" }))
    ->capture_default_str();
  command->callback([options] { run(*options); });
}

} // namespace cradl_cli
