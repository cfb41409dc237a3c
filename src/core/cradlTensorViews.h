#ifndef cradlTensorViews_h
#define cradlTensorViews_h

// Host buffers seen as tensors without copying, and tensors copied back: the
// one place where the module wraps memory it does not own (at::from_blob).

#include "cradlCoreExport.h"

#include <ATen/ATen.h>

#include <cstdint>
#include <functional>

namespace cradl
{

/** Shape of a stack of 2D slices stored slice after slice, row after row,
 *  x fastest: ITK's buffer order for a 2D image or a 3D volume. */
struct SliceBatchShape
{
  int64_t slices = 1;
  int64_t height = 1;
  int64_t width = 1;

  int64_t
  pixelCount() const
  {
    return slices * height * width;
  }
};

/** A float N x 1 x H x W tensor over `pixels` without copying. ITK's x-fastest
 *  order is torch's last dimension, so no transpose is needed. `releaseOwner`
 *  runs when the last tensor sharing the memory goes away: hand it whatever
 *  keeps the buffer alive. Writing through the tensor writes the buffer. */
CRADL_CORE_EXPORT at::Tensor
viewSliceBatch(float * pixels, const SliceBatchShape & shape, std::function<void(void *)> releaseOwner);

/** A read-only uint8 N x 1 x H x W view of masks stored like slices (brain
 *  masks: non-zero = brain). The caller keeps `masks` alive. */
CRADL_CORE_EXPORT at::Tensor
viewMaskBatch(const unsigned char * masks, const SliceBatchShape & shape);

/** A read-only float64 rows x columns view of a row-major matrix (features,
 *  representations). The caller keeps `values` alive while the view lives. */
CRADL_CORE_EXPORT at::Tensor
viewMatrix(const double * values, int64_t rows, int64_t columns);

/** Copies a batch shaped N x 1 x H x W or N x H x W (any device, any floating
 *  dtype) into `destination`, which holds shape.pixelCount() floats. Throws
 *  std::invalid_argument when the shape does not match. */
CRADL_CORE_EXPORT void
copySliceBatch(const at::Tensor & batch, float * destination, const SliceBatchShape & shape);

} // namespace cradl

#endif
