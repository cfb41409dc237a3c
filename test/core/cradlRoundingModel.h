#ifndef cradlRoundingModel_h
#define cradlRoundingModel_h

// The first-order model of bfloat16 autocast through a Sequential network:
// every stored value (input, weights, BN statistics, each layer's output and,
// going back, the gradient of each layer's input) is rounded to the format,
// i.e. multiplied by (1 + d) with |d| <= u; sums run in float32 or wider.
// Drawing d uniformly in [-u, u] and running in float64 gives a computation
// that differs from the exact one as the real bfloat16 one does, with the
// network's own conditioning (ReLU flips included): its error measures the
// tolerance a bfloat16 result must meet.

#include "../cradlErrorModel.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/utils.h>

#include <memory>

namespace cradl_test
{

class RoundingPerturbation
{
public:
  RoundingPerturbation(double unitRoundoff, uint64_t seed)
    : m_UnitRoundoff(unitRoundoff)
    , m_Generator(at::make_generator<at::CPUGeneratorImpl>(seed))
  {}

  /** x (1 + d), d ~ U(-u, u) per element. */
  at::Tensor
  operator()(const at::Tensor & x)
  {
    const at::Tensor d =
      at::empty(x.sizes(), x.options().device(at::kCPU)).uniform_(-m_UnitRoundoff, m_UnitRoundoff, m_Generator);
    return x * (1.0 + d.to(x.device()));
  }

  /** Every parameter and buffer of `module`, perturbed in place. */
  void
  perturbWeights(torch::nn::Module & module)
  {
    torch::NoGradGuard noGrad;
    for (auto & parameter : module.parameters())
      parameter.copy_((*this)(parameter));
    for (auto & buffer : module.buffers())
      if (buffer.is_floating_point())
        buffer.copy_((*this)(buffer));
  }

  /** The layers one by one, each output perturbed forward and its gradient backward. */
  at::Tensor
  forward(torch::nn::Sequential & layers, at::Tensor x)
  {
    x = (*this)(x);
    for (auto & layer : *layers)
    {
      x = (*this)(layer.forward(x));
      if (x.requires_grad())
        x.register_hook([this](const at::Tensor & gradient) { return (*this)(gradient); });
    }
    return x;
  }

private:
  double        m_UnitRoundoff;
  at::Generator m_Generator;
};

/** `fresh` (a new module of the same architecture) with `source`'s
 *  parameters, buffers and mode, in float64. */
template <typename Holder>
Holder
float64Copy(const Holder & source, Holder fresh)
{
  torch::NoGradGuard noGrad;
  const auto         parameters = source->named_parameters();
  const auto         buffers = source->named_buffers();
  for (auto & item : fresh->named_parameters())
    item.value().copy_(parameters[item.key()]);
  for (auto & item : fresh->named_buffers())
    item.value().copy_(buffers[item.key()]);
  fresh->to(at::kDouble);
  fresh->train(source->is_training());
  return fresh;
}

} // namespace cradl_test

#endif
