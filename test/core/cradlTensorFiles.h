#ifndef cradlTensorFiles_h
#define cradlTensorFiles_h

// Tensors to and from .npy files, for the oracle tests' exchange with NumPy.

#include "cradlNpy.h"

#include <ATen/ATen.h>

#include <filesystem>

namespace cradl_test
{

inline at::Tensor
loadTensor(const std::filesystem::path & path)
{
  const auto array = cradl::readNpy(path.string());
  return at::tensor(array.asDoubles(), at::kDouble).view(array.shape);
}

/** As float64, whatever the tensor's dtype. */
inline void
saveTensor(const std::filesystem::path & path, const at::Tensor & tensor)
{
  const at::Tensor contiguous = tensor.to(at::kDouble).contiguous();
  cradl::writeNpy(path.string(), "<f8", tensor.sizes().vec(), contiguous.data_ptr<double>());
}

} // namespace cradl_test

#endif
