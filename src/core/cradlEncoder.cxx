#include "cradlEncoder.h"

#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>

#include <torch/autograd.h>
#include <torch/types.h>
#include <torch/utils.h>

#include <algorithm>
#include <stdexcept>

namespace cradl
{

const OptionFields<EncoderOptions> &
encoderOptionFields()
{
  using O = EncoderOptions;
  static const OptionFields<O> fields{ { "image_size", &O::imageSize }, { "nf", &O::nf },
                                       { "nz", &O::nz },                 { "conv_bias", &O::convBias },
                                       { "head_hidden", &O::headHidden }, { "head_output", &O::headOutput } };
  return fields;
}

c10::impl::GenericDict
toDict(const EncoderOptions & options)
{
  return optionsToDict(options, encoderOptionFields());
}

EncoderOptions
encoderOptionsFromDict(const c10::impl::GenericDict & dict)
{
  const EncoderOptions options = optionsFromDict(dict, encoderOptionFields());
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
// Batch norm over every process's rows, as one autograd node: LibTorch's
// fused batch-norm kernels on the own rows (statistics; the backward pass's
// per-channel sums), one all-reduce of per-channel sums forward and one
// backward, and single passes for the output and the input's gradient
// (what SyncBatchNorm does). The gradients of weight and bias are the own
// rows' share: the gradient all-reduce sums them like any parameter's.
// The graph owns the collectives its backward pass needs.
struct CollectivesHolder : torch::CustomClassHolder
{
  explicit CollectivesHolder(std::shared_ptr<Collectives> held)
    : collectives(std::move(held))
  {}
  std::shared_ptr<Collectives> collectives;
};

struct GlobalBatchNormFunction : torch::autograd::Function<GlobalBatchNormFunction>
{
  static at::Tensor
  forward(torch::autograd::AutogradContext * context, const at::Tensor & input, const at::Tensor & weight,
          const at::Tensor & bias, const std::shared_ptr<Collectives> & group, double epsilon, double momentum,
          at::Tensor runningMean, at::Tensor runningVariance, at::Tensor batchesTracked)
  {
    Collectives &    collectives = *group;
    const at::Tensor x = input.to(at::kFloat);
    const int64_t    channels = x.size(1);
    const double     local = static_cast<double>(x.numel() / channels);
    // Each process's count n, mean m and biased variance v (accumulated in
    // float64 by the kernel) go in as n m, n m^2 and n v, which sum to the
    // global mean and scatter (Chan et al.'s pairwise update; the
    // cancellation in float64).
    const auto       moments = at::batch_norm_update_stats(x, {}, {}, 0.0);
    const at::Tensor m = std::get<0>(moments).to(at::kDouble);
    std::vector<at::Tensor> sums{ at::cat({ local * m, local * m * m, local * std::get<1>(moments).to(at::kDouble),
                                            at::full({ 1 }, local, m.options()) }) };
    collectives.allReduceSum(sums);
    const double     count = sums[0][3 * channels].item<double>();
    const at::Tensor mean = sums[0].slice(0, 0, channels) / count;
    const at::Tensor variance =
      ((sums[0].slice(0, 2 * channels, 3 * channels) + sums[0].slice(0, channels, 2 * channels)) / count - mean * mean)
        .clamp_min(0.0);
    const at::Tensor meanFloat = mean.to(at::kFloat);
    const at::Tensor inverseStd = (variance + epsilon).rsqrt().to(at::kFloat);
    const at::Tensor scale = weight * inverseStd;
    const at::Tensor shift = bias - meanFloat * scale;
    runningMean.mul_(1.0 - momentum).add_(meanFloat, momentum);
    runningVariance.mul_(1.0 - momentum).add_(variance.to(at::kFloat) * (count / std::max(1.0, count - 1.0)), momentum);
    batchesTracked.add_(1);
    context->save_for_backward({ x, weight, meanFloat, inverseStd });
    context->saved_data["collectives"] = c10::IValue::make_capsule(c10::make_intrusive<CollectivesHolder>(group));
    context->saved_data["count"] = count;
    context->saved_data["input_dtype"] = static_cast<int64_t>(input.scalar_type());
    return at::addcmul(shift.view({ 1, channels, 1, 1 }), x, scale.view({ 1, channels, 1, 1 }));
  }

  static torch::autograd::variable_list
  backward(torch::autograd::AutogradContext * context, torch::autograd::variable_list gradients)
  {
    const auto       saved = context->get_saved_variables();
    const at::Tensor x = saved[0], weight = saved[1], mean = saved[2], inverseStd = saved[3];
    const auto holder = c10::static_intrusive_pointer_cast<CollectivesHolder>(context->saved_data["collectives"].toCapsule());
    Collectives & collectives = *holder->collectives;
    const double     count = context->saved_data["count"].toDouble();
    const at::Tensor dy = gradients[0].to(at::kFloat).contiguous(x.suggest_memory_format());
    const int64_t    channels = x.size(1);
    // The own rows' sum(dy) and sum(dy x_hat) per channel, from the kernel.
    const auto sumsOfRows = at::native_batch_norm_backward(dy, x, weight, {}, {}, mean, inverseStd, true, 0.0,
                                                           { false, true, true });
    const at::Tensor weightGradient = std::get<1>(sumsOfRows);
    const at::Tensor biasGradient = std::get<2>(sumsOfRows);
    std::vector<at::Tensor> sums{ at::cat({ biasGradient, weightGradient }).to(at::kDouble) };
    collectives.allReduceSum(sums);
    const at::Tensor meanDy = (sums[0].slice(0, 0, channels) / count).to(at::kFloat);
    const at::Tensor meanDyXhat = (sums[0].slice(0, channels) / count).to(at::kFloat);
    // dx = scale (dy - mean(dy) - x_hat mean(dy x_hat)) = scale dy + c1 x + c0.
    const at::Tensor scale = weight * inverseStd;
    const at::Tensor c1 = -scale * inverseStd * meanDyXhat;
    const at::Tensor c0 = -scale * meanDy - c1 * mean;
    const auto       view = [&](const at::Tensor & perChannel) { return perChannel.view({ 1, channels, 1, 1 }); };
    const at::Tensor dx = at::addcmul(at::addcmul(view(c0), x, view(c1)), dy, view(scale));
    const auto inputType = static_cast<at::ScalarType>(context->saved_data["input_dtype"].toInt());
    return { dx.to(inputType), weightGradient, biasGradient, {}, {}, {}, {}, {}, {} };
  }
};
} // namespace

at::Tensor
globalBatchNorm(const at::Tensor & input, torch::nn::BatchNorm2dImpl & norm, const std::shared_ptr<Collectives> & collectives)
{
  // The normalisation is float32 (also under bfloat16 autocast).
  const auto & options = norm.options;
  return GlobalBatchNormFunction::apply(input, norm.weight, norm.bias, collectives, options.eps(),
                                        options.momentum().value_or(0.1), norm.running_mean, norm.running_var,
                                        norm.num_batches_tracked);
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
