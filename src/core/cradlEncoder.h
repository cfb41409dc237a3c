#ifndef cradlEncoder_h
#define cradlEncoder_h

// CRADL's networks: a DCGAN-style convolutional encoder f (its output, nz
// values per slice, is the representation) and the SimCLR projection head g.

#include "cradlCoreExport.h"

#include <ATen/core/Dict.h>
#include <ATen/core/ivalue.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/pimpl.h>

#include <string>

namespace cradl
{

struct EncoderOptions
{
  int64_t imageSize = 128; // 64, 128 or 256: the number of stride-2 layers follows
  int64_t nf = 64;         // channels of the first layer; doubled per layer
  int64_t nz = 512;        // representation size
  bool    convBias = true; // the authors' code keeps conv biases
  int64_t headHidden = 512;
  int64_t headOutput = 256;

  /** Stride-2 convolutions: 128 -> 64 -> ... -> 4, then a 4x4 valid convolution. */
  int64_t
  downsamplingLayers() const;
  /** Throws std::invalid_argument for unsupported sizes. */
  void
  validate() const;
  bool
  operator==(const EncoderOptions & other) const
  {
    return imageSize == other.imageSize && nf == other.nf && nz == other.nz && convBias == other.convBias &&
           headHidden == other.headHidden && headOutput == other.headOutput;
  }

  /** As stored in model files: {"image_size": int, "nf": int, ...}. */
  c10::impl::GenericDict
  toDict() const;
  static EncoderOptions
  fromDict(const c10::impl::GenericDict & dict);
};

/** conv 4x4 s2 p1 1->nf; then [BN, ReLU, conv 4x4 s2 p1] doubling channels
 *  down to 4x4; then BN, ReLU, conv 4x4 s1 p0 -> nz. Output [N, nz]. */
class CRADL_CORE_EXPORT ContrastiveEncoderImpl : public torch::nn::Module
{
public:
  explicit ContrastiveEncoderImpl(const EncoderOptions & options = {});
  at::Tensor
  forward(const at::Tensor & slices);
  const EncoderOptions &
  options() const
  {
    return m_Options;
  }
  torch::nn::Sequential layers{ nullptr };

private:
  EncoderOptions m_Options;
};
TORCH_MODULE(ContrastiveEncoder);

/** Linear nz->hidden, ReLU, Linear hidden->output (no BN). */
class CRADL_CORE_EXPORT ProjectionHeadImpl : public torch::nn::Module
{
public:
  explicit ProjectionHeadImpl(const EncoderOptions & options = {});
  at::Tensor
  forward(const at::Tensor & representation);
  torch::nn::Sequential layers{ nullptr };
};
TORCH_MODULE(ProjectionHead);

} // namespace cradl

#endif
