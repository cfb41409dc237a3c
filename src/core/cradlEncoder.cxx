#include "cradlEncoder.h"

#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>

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

at::Tensor
ContrastiveEncoderImpl::forward(const at::Tensor & slices)
{
  return layers->forward(slices).flatten(1);
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
