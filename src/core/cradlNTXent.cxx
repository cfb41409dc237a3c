#include "cradlNTXent.h"

#include <limits>
#include <stdexcept>

namespace cradl
{

at::Tensor
ntXentLoss(const at::Tensor & z1, const at::Tensor & z2, double temperature)
{
  if (z1.dim() != 2 || z1.sizes() != z2.sizes() || z1.size(0) < 2)
  {
    throw std::invalid_argument("ntXentLoss: expected two [N, d] projections with N >= 2");
  }
  if (!(temperature > 0.0))
  {
    throw std::invalid_argument("ntXentLoss: the temperature must be positive");
  }
  const int64_t    n = z1.size(0);
  // float32 for the similarities even under mixed precision: exp and log-sum.
  const at::Tensor z = at::cat({ z1, z2 }, 0).to(at::kFloat);
  const at::Tensor unit = z / z.norm(2, 1, true).clamp_min(1e-12);
  at::Tensor       logits = at::matmul(unit, unit.t()) / temperature;
  const at::Tensor self = at::eye(2 * n, logits.options().dtype(at::kBool));
  logits = logits.masked_fill(self, -std::numeric_limits<float>::infinity());
  const at::Tensor positive = at::cat({ at::arange(n, 2 * n), at::arange(0, n) }).to(logits.device());
  return at::cross_entropy_loss(logits, positive);
}

} // namespace cradl
