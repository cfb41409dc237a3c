#ifndef cradlEncoder_h
#define cradlEncoder_h

// CRADL's networks: a DCGAN-style convolutional encoder f (its output, nz
// values per slice, is the representation) and the SimCLR projection head g.

#include "cradlCollectives.h"
#include "cradlCoreExport.h"
#include "cradlOptions.h"

#include <ATen/core/Dict.h>
#include <ATen/core/ivalue.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/pimpl.h>

#include "cradlOptionFields.h"

#include <memory>
#include <string>

namespace cradl
{

/** The fields, each once: model files' {"image_size": int, "nf": int, ...} and the settings fingerprint. */
CRADL_CORE_EXPORT const OptionFields<EncoderOptions> &
encoderOptionFields();
CRADL_CORE_EXPORT c10::impl::GenericDict
toDict(const EncoderOptions & options);
CRADL_CORE_EXPORT EncoderOptions
encoderOptionsFromDict(const c10::impl::GenericDict & dict);


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
  /** Data parallelism: in training mode, batch norm normalises with the
   *  statistics of the global batch, summed over the processes (and its
   *  gradient likewise), so N processes compute what one would with the
   *  whole batch. Null (the default): this process's batch, LibTorch's own
   *  batch norm. Not stored in model files. */
  void
  setGlobalBatchStatistics(std::shared_ptr<Collectives> collectives);
  torch::nn::Sequential layers{ nullptr };

private:
  EncoderOptions               m_Options;
  std::shared_ptr<Collectives> m_Collectives;
};

/** Batch norm of `input` [n, C, H, W] in training mode over the rows every
 *  process holds: mean and (biased) variance of all processes' rows, the
 *  gradient through them summed over the processes (one all-reduce forward,
 *  one backward, LibTorch's batch-norm kernels on the own rows); running
 *  statistics updated as LibTorch does (unbiased variance, momentum). The
 *  weight's and bias's gradients are the own rows' share, for the gradient
 *  all-reduce to sum. */
CRADL_CORE_EXPORT at::Tensor
globalBatchNorm(const at::Tensor & input, torch::nn::BatchNorm2dImpl & norm, const std::shared_ptr<Collectives> & collectives);
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
