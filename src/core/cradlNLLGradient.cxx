#include "cradlNLLGradient.h"

#include "cradlAutocast.h"

#include <torch/types.h>

#include <stdexcept>

namespace cradl
{

at::Tensor
RepresentationDensity::logDensity(const at::Tensor & representations) const
{
  const at::Tensor z = representations.to(at::kDouble);
  const at::Tensor standardised = (z - featureMean.to(z.device())) / featureStd.to(z.device());
  return mixtureLogDensity(mixture, standardised);
}

RepresentationDensity
RepresentationDensity::to(const c10::Device & device) const
{
  return { mixture.to(device), featureMean.to(device, at::kDouble), featureStd.to(device, at::kDouble) };
}

NLLGradient
nllGradient(ContrastiveEncoder &            encoder,
            const RepresentationDensity & density,
            const at::Tensor &            slices,
            int64_t                       batchSize,
            bool                          bfloat16)
{
  if (slices.dim() != 4 || slices.size(1) != 1)
  {
    throw std::invalid_argument("nllGradient: slices must be [N, 1, S, S]");
  }
  if (batchSize < 1)
  {
    throw std::invalid_argument("nllGradient: the batch size must be positive");
  }
  encoder->eval();
  const at::Tensor              firstWeight = encoder->parameters().front();
  const c10::Device             device = firstWeight.device();
  const auto                    dtype = firstWeight.scalar_type();
  const RepresentationDensity   onDevice = density.to(device);
  std::vector<torch::Tensor>    weights = encoder->parameters();
  std::vector<bool>             trainable;
  for (auto & weight : weights)
  {
    trainable.push_back(weight.requires_grad());
    weight.requires_grad_(false); // only input gradients are needed
  }
  std::vector<at::Tensor> maps;
  std::vector<at::Tensor> nlls;
  at::ScalarType          representationDtype = dtype;
  for (int64_t start = 0; start < slices.size(0); start += batchSize)
  {
    at::Tensor       batch = slices.slice(0, start, std::min(slices.size(0), start + batchSize)).to(device, dtype);
    batch.requires_grad_(true);
    at::Tensor representation;
    {
      AutocastScope autocast(device, bfloat16);
      representation = encoder->forward(batch);
    }
    representationDtype = representation.scalar_type();
    const at::Tensor nll = -onDevice.logDensity(representation);
    nll.sum().backward();
    maps.push_back(batch.grad().abs().to(at::kCPU, at::kFloat));
    nlls.push_back(nll.detach().to(at::kCPU));
  }
  for (std::size_t i = 0; i < weights.size(); ++i)
  {
    weights[i].requires_grad_(trainable[i]);
  }
  return { at::cat(maps, 0), at::cat(nlls, 0), representationDtype };
}

} // namespace cradl
