#ifndef cradlImageTensorBridge_h
#define cradlImageTensorBridge_h

// Private: ITK images to torch tensors and back. A 2D image is a batch of one
// slice (1 x 1 x H x W); a 3D volume is a batch of its axial slices, one per
// index along the third axis (N x 1 x H x W). ITK stores x fastest, which is
// torch's last dimension, so the view needs no transpose.

#include "CradlExport.h"
#include "cradlTensorViews.h"
#include "itkCradlSliceSelection.h"

#include "itkImage.h"
#include "itkImageRegionConstIterator.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <type_traits>

namespace cradl
{

template <unsigned int VDimension>
using FloatImage = itk::Image<float, VDimension>;

/** Shape of the slice batch that holds an image of this size. */
template <unsigned int VDimension>
SliceBatchShape
sliceBatchShape(const itk::Size<VDimension> & size)
{
  static_assert(VDimension == 2 || VDimension == 3, "images are 2D slices or 3D volumes");
  SliceBatchShape shape;
  shape.width = static_cast<int64_t>(size[0]);
  shape.height = static_cast<int64_t>(size[1]);
  shape.slices = VDimension == 3 ? static_cast<int64_t>(size[VDimension - 1]) : 1;
  return shape;
}

/** Zero-copy N x 1 x H x W view of a float image's buffer. The tensor keeps
 *  the image alive; writing through it writes the image. */
Cradl_EXPORT at::Tensor
imageToSliceBatch(const FloatImage<2> * image);
Cradl_EXPORT at::Tensor
imageToSliceBatch(const FloatImage<3> * image);

/** Any scalar pixel type: the pixels are cast to float into a new image first. */
template <typename TImage>
at::Tensor
imageToSliceBatch(const TImage * image)
{
  constexpr unsigned int Dimension = TImage::ImageDimension;
  static_assert(std::is_arithmetic<typename TImage::PixelType>::value, "scalar pixels only");
  auto floatImage = FloatImage<Dimension>::New();
  floatImage->CopyInformation(image);
  floatImage->SetRegions(image->GetBufferedRegion());
  floatImage->Allocate();
  itk::ImageRegionConstIterator<TImage> in(image, image->GetBufferedRegion());
  float * out = floatImage->GetBufferPointer();
  for (in.GoToBegin(); !in.IsAtEnd(); ++in, ++out)
  {
    *out = static_cast<float>(in.Get());
  }
  return imageToSliceBatch(floatImage.GetPointer());
}

/** A new float image holding `batch` (N x 1 x H x W or N x H x W, any device,
 *  any floating dtype), with the size, spacing, origin and direction of
 *  `geometry`. Throws itk::ExceptionObject if the shape does not fit. */
Cradl_EXPORT FloatImage<2>::Pointer
sliceBatchToImage(const at::Tensor & batch, const itk::ImageBase<2> * geometry);
Cradl_EXPORT FloatImage<3>::Pointer
sliceBatchToImage(const at::Tensor & batch, const itk::ImageBase<3> * geometry);

/** Slice frames as a [N, 5] float64 tensor (the core's SliceFrameColumns);
 *  undefined when there are none. */
Cradl_EXPORT at::Tensor
sliceFramesToTensor(const std::vector<itk::CradlSliceFrame> & frames);

} // namespace cradl

#endif
