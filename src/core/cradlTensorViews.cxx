#include "cradlTensorViews.h"

#include <cstring>
#include <sstream>
#include <stdexcept>

namespace cradl
{

at::Tensor
viewSliceBatch(float * pixels, const SliceBatchShape & shape, std::function<void(void *)> releaseOwner)
{
  if (pixels == nullptr || shape.pixelCount() <= 0)
  {
    throw std::invalid_argument("viewSliceBatch: empty buffer");
  }
  return at::from_blob(pixels,
                       { shape.slices, 1, shape.height, shape.width },
                       std::move(releaseOwner),
                       at::TensorOptions().dtype(at::kFloat).device(at::kCPU));
}

at::Tensor
viewMaskBatch(const unsigned char * masks, const SliceBatchShape & shape)
{
  if (masks == nullptr || shape.pixelCount() <= 0)
  {
    throw std::invalid_argument("viewMaskBatch: empty buffer");
  }
  return at::from_blob(const_cast<unsigned char *>(masks), { shape.slices, 1, shape.height, shape.width },
                       at::TensorOptions().dtype(at::kByte));
}

at::Tensor
viewMatrix(const double * values, int64_t rows, int64_t columns)
{
  if (values == nullptr || rows <= 0 || columns <= 0)
  {
    throw std::invalid_argument("viewMatrix: empty matrix");
  }
  // from_blob wants a mutable pointer; callers only read through the view.
  return at::from_blob(const_cast<double *>(values), { rows, columns }, at::TensorOptions().dtype(at::kDouble));
}

namespace
{
bool
matches(const at::Tensor & batch, const SliceBatchShape & shape)
{
  if (batch.dim() == 4)
  {
    return batch.size(0) == shape.slices && batch.size(1) == 1 && batch.size(2) == shape.height &&
           batch.size(3) == shape.width;
  }
  if (batch.dim() == 3)
  {
    return batch.size(0) == shape.slices && batch.size(1) == shape.height && batch.size(2) == shape.width;
  }
  return false;
}
} // namespace

void
copySliceBatch(const at::Tensor & batch, float * destination, const SliceBatchShape & shape)
{
  if (!matches(batch, shape))
  {
    std::ostringstream message;
    message << "tensor of shape " << batch.sizes() << " does not fit an image of " << shape.slices
            << " slice(s) of " << shape.height << " rows x " << shape.width << " columns (expected ["
            << shape.slices << ", 1, " << shape.height << ", " << shape.width << "])";
    throw std::invalid_argument(message.str());
  }
  if (!at::isFloatingType(batch.scalar_type()))
  {
    throw std::invalid_argument("copySliceBatch: expected a floating-point tensor");
  }
  const at::Tensor host = batch.detach().to(at::kCPU, at::kFloat).contiguous();
  std::memcpy(destination, host.data_ptr<float>(), static_cast<size_t>(shape.pixelCount()) * sizeof(float));
}

} // namespace cradl
