#include "cradlImageTensorBridge.h"
#include "cradlErrorText.h"
#include "cradlPatchDensity.h"

#include "itkMacro.h"

#include <stdexcept>

namespace cradl
{

namespace
{
template <unsigned int VDimension>
at::Tensor
viewOf(const FloatImage<VDimension> * image)
{
  if (image == nullptr || image->GetBufferPointer() == nullptr)
  {
    itkGenericExceptionMacro(<< "imageToSliceBatch: the image has no pixel buffer; update it first");
  }
  typename FloatImage<VDimension>::ConstPointer keepAlive = image;
  // The tensor aliases ITK's buffer; torch's API wants it non-const.
  auto * pixels = const_cast<float *>(image->GetBufferPointer());
  return viewSliceBatch(
    pixels, sliceBatchShape<VDimension>(image->GetBufferedRegion().GetSize()), [keepAlive](void *) {});
}

template <unsigned int VDimension>
typename FloatImage<VDimension>::Pointer
imageFrom(const at::Tensor & batch, const itk::ImageBase<VDimension> * geometry)
{
  if (geometry == nullptr)
  {
    itkGenericExceptionMacro(<< "sliceBatchToImage: no geometry image given");
  }
  auto image = FloatImage<VDimension>::New();
  image->CopyInformation(geometry);
  image->SetRegions(geometry->GetLargestPossibleRegion());
  image->Allocate();
  try
  {
    copySliceBatch(batch, image->GetBufferPointer(), sliceBatchShape<VDimension>(image->GetBufferedRegion().GetSize()));
  }
  catch (const std::invalid_argument & error)
  {
    itkGenericExceptionMacro(<< "sliceBatchToImage: " << cradl::messageOf(error));
  }
  return image;
}
} // namespace

at::Tensor
imageToSliceBatch(const FloatImage<2> * image)
{
  return viewOf<2>(image);
}

at::Tensor
imageToSliceBatch(const FloatImage<3> * image)
{
  return viewOf<3>(image);
}

FloatImage<2>::Pointer
sliceBatchToImage(const at::Tensor & batch, const itk::ImageBase<2> * geometry)
{
  return imageFrom<2>(batch, geometry);
}

FloatImage<3>::Pointer
sliceBatchToImage(const at::Tensor & batch, const itk::ImageBase<3> * geometry)
{
  return imageFrom<3>(batch, geometry);
}

at::Tensor
sliceFramesToTensor(const std::vector<itk::CradlSliceFrame> & frames)
{
  static_assert(sizeof(itk::CradlSliceFrame) == 5 * sizeof(double), "a frame is five doubles");
  if (frames.empty())
    return {};
  return viewMatrix(&frames.front().X0, static_cast<int64_t>(frames.size()), SliceFrameColumns).clone();
}

} // namespace cradl
