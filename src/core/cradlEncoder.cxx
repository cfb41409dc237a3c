#include "cradlEncoder.h"

#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>

#include <torch/types.h>
#include <torch/utils.h>

#include <algorithm>
#include <stdexcept>

namespace cradl
{

c10::impl::GenericDict
toDict(const EncoderOptions & options)
{
  c10::impl::GenericDict dict(c10::StringType::get(), c10::AnyType::get());
  dict.insert("image_size", options.imageSize);
  dict.insert("nf", options.nf);
  dict.insert("nz", options.nz);
  dict.insert("conv_bias", options.convBias);
  dict.insert("head_hidden", options.headHidden);
  dict.insert("head_output", options.headOutput);
  return dict;
}

EncoderOptions
encoderOptionsFromDict(const c10::impl::GenericDict & dict)
{
  EncoderOptions options;
  options.imageSize = dict.at("image_size").toInt();
  options.nf = dict.at("nf").toInt();
  options.nz = dict.at("nz").toInt();
  options.convBias = dict.at("conv_bias").toBool();
  options.headHidden = dict.at("head_hidden").toInt();
  options.headOutput = dict.at("head_output").toInt();
  options.validate();
  return options;
}

ContrastiveEncoderImpl::ContrastiveEncoderImpl(const EncoderOptions & options)
  : m_Options(options)
{
  options.validate();
  using namespace torch::nn;
  const auto conv = [&](int64_t in, int64_t out, int64_t stride, int64_t padding) {
    return Conv2d(Conv2dOptions(in, out, 4).stride(stride).padding(padding).bias(options.convBias));
  };
  Sequential sequence;
  int64_t    channels = options.nf;
  sequence->push_back(conv(1, channels, 2, 1));
  for (int64_t layer = 1; layer < options.downsamplingLayers(); ++layer)
  {
    sequence->push_back(BatchNorm2d(channels));
    sequence->push_back(ReLU());
    sequence->push_back(conv(channels, 2 * channels, 2, 1));
    channels *= 2;
  }
  sequence->push_back(BatchNorm2d(channels));
  sequence->push_back(ReLU());
  sequence->push_back(conv(channels, options.nz, 1, 0));
  layers = register_module("layers", sequence);
}

void
ContrastiveEncoderImpl::setGlobalBatchStatistics(std::shared_ptr<Collectives> collectives)
{
  m_Collectives = std::move(collectives);
}

at::Tensor
ContrastiveEncoderImpl::forward(const at::Tensor & slices)
{
  if (!m_Collectives || !is_training())
    return layers->forward(slices).flatten(1);
  at::Tensor x = slices;
  for (auto & layer : *layers)
  {
    auto * norm = layer.ptr()->as<torch::nn::BatchNorm2dImpl>();
    x = norm != nullptr ? globalBatchNorm(x, *norm, m_Collectives) : layer.forward<at::Tensor>(x);
  }
  return x.flatten(1);
}

namespace
{
// `local` (differentiable) replaced by its sum over the processes; the
// gradient arriving at the sum is summed over the processes too, as the sum
// is one quantity that every process's rows depend on.
at::Tensor
summedOverProcesses(const at::Tensor & local, const std::shared_ptr<Collectives> & collectives)
{
  std::vector<at::Tensor> total{ local.detach().clone() };
  collectives->allReduceSum(total);
  at::Tensor global = local + (total[0] - local.detach());
  if (global.requires_grad())
  {
    global.register_hook([collectives](const at::Tensor & gradient) {
      std::vector<at::Tensor> summed{ gradient.contiguous().clone() };
      collectives->allReduceSum(summed);
      return summed[0];
    });
  }
  return global;
}
} // namespace

at::Tensor
globalBatchNorm(const at::Tensor & input, torch::nn::BatchNorm2dImpl & norm, const std::shared_ptr<Collectives> & collectives)
{
  // One collective per layer: each process's count n, its mean m and
  // scatter M2 (LibTorch's var_mean, accumulated in float64 on the CPU) go
  // in as n m, n m^2 and M2, which sum to the global mean and scatter
  // (Chan et al.'s pairwise update, the cancellation in float64). The
  // normalisation is float32 (also under bfloat16 autocast).
  const at::Tensor x = input.to(at::kFloat);
  const int64_t    channels = x.size(1);
  const double     local = static_cast<double>(x.numel() / channels);
  const auto       localMoments = at::var_mean(x, { 0, 2, 3 }, /*unbiased=*/false, false);
  const at::Tensor m = std::get<1>(localMoments).to(at::kDouble);
  const at::Tensor sums = summedOverProcesses(
    at::cat({ local * m, local * m * m, local * std::get<0>(localMoments).to(at::kDouble),
              at::full({ 1 }, local, m.options()) }),
    collectives);
  const double     count = sums[3 * channels].item<double>();
  const at::Tensor mean = sums.slice(0, 0, channels) / count;
  const at::Tensor variance =
    ((sums.slice(0, 2 * channels, 3 * channels) + sums.slice(0, channels, 2 * channels)) / count - mean * mean)
      .clamp_min(0.0);
  const at::Tensor centred = x - mean.to(at::kFloat).view({ 1, channels, 1, 1 });
  const auto &     options = norm.options;
  const at::Tensor scale = (variance + options.eps()).rsqrt().to(at::kFloat) * norm.weight;
  at::Tensor output = centred * scale.view({ 1, channels, 1, 1 }) + norm.bias.view({ 1, channels, 1, 1 });
  {
    torch::NoGradGuard noGrad;
    const double       momentum = options.momentum().value_or(0.1);
    norm.running_mean.mul_(1.0 - momentum).add_(mean.detach().to(at::kFloat), momentum);
    norm.running_var.mul_(1.0 - momentum)
      .add_(variance.detach().to(at::kFloat) * (count / std::max(1.0, count - 1.0)), momentum);
    norm.num_batches_tracked.add_(1);
  }
  return output;
}

ProjectionHeadImpl::ProjectionHeadImpl(const EncoderOptions & options)
{
  using namespace torch::nn;
  layers = register_module("layers",
                           Sequential(Linear(options.nz, options.headHidden), ReLU(),
                                      Linear(options.headHidden, options.headOutput)));
}

at::Tensor
ProjectionHeadImpl::forward(const at::Tensor & representation)
{
  return layers->forward(representation);
}

} // namespace cradl
