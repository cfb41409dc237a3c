#include "cradlImageTensorBridge.h"
#include "cradlTestImages.h"

#include <gtest/gtest.h>
#include <torch/cuda.h>

#include <cstring>

namespace
{
using Image2D = itk::Image<float, 2>;
using Image3D = itk::Image<float, 3>;

// 7 x 5, anisotropic spacing, off-origin, rotated 30 degrees.
Image2D::Pointer
obliqueSlice()
{
  return cradl_test::makeImage<Image2D>(
    { { 7, 5 } }, cradl_test::vector(0.7, 1.3), cradl_test::point(-3.0, 12.5), cradl_test::rotation<2>(0.5236),
    [](const Image2D::IndexType & i) { return i[0] + 10.0 * i[1] + 0.25; });
}

// 6 x 4 x 3, anisotropic spacing, rotated about an oblique axis.
Image3D::Pointer
obliqueVolume()
{
  return cradl_test::makeImage<Image3D>(
    { { 6, 4, 3 } }, cradl_test::vector(0.5, 0.9, 2.5), cradl_test::point(10.0, -4.0, 7.5), cradl_test::rotation<3>(0.7),
    [](const Image3D::IndexType & i) { return i[0] + 10.0 * i[1] + 100.0 * i[2] - 0.5; });
}

template <unsigned int VDimension>
void
expectSameGeometry(const itk::ImageBase<VDimension> * actual, const itk::ImageBase<VDimension> * expected)
{
  EXPECT_EQ(actual->GetLargestPossibleRegion(), expected->GetLargestPossibleRegion());
  EXPECT_EQ(actual->GetSpacing(), expected->GetSpacing());
  EXPECT_EQ(actual->GetOrigin(), expected->GetOrigin());
  EXPECT_EQ(actual->GetDirection(), expected->GetDirection());
}

template <typename TImage>
void
expectSamePixels(const TImage * actual, const TImage * expected)
{
  const auto count = expected->GetBufferedRegion().GetNumberOfPixels();
  ASSERT_EQ(actual->GetBufferedRegion().GetNumberOfPixels(), count);
  EXPECT_EQ(std::memcmp(actual->GetBufferPointer(), expected->GetBufferPointer(), count * sizeof(float)), 0);
}
} // namespace

TEST(ImageTensorBridge, SliceIsABatchOfOneWithXLast)
{
  const auto      image = obliqueSlice();
  const at::Tensor batch = cradl::imageToSliceBatch(image.GetPointer());
  ASSERT_EQ(batch.sizes(), at::IntArrayRef({ 1, 1, 5, 7 }));
  EXPECT_EQ(batch.scalar_type(), at::kFloat);
  EXPECT_EQ(batch[0][0][3][6].item<float>(), image->GetPixel({ { 6, 3 } }));
  EXPECT_EQ(batch[0][0][4][0].item<float>(), 40.25f);
}

TEST(ImageTensorBridge, VolumeIsABatchOfAxialSlices)
{
  const auto       volume = obliqueVolume();
  const at::Tensor batch = cradl::imageToSliceBatch(volume.GetPointer());
  ASSERT_EQ(batch.sizes(), at::IntArrayRef({ 3, 1, 4, 6 }));
  for (int64_t z = 0; z < 3; ++z)
    for (int64_t y = 0; y < 4; ++y)
      for (int64_t x = 0; x < 6; ++x)
      {
        EXPECT_EQ(batch[z][0][y][x].item<float>(), volume->GetPixel({ { x, y, z } }));
      }
}

TEST(ImageTensorBridge, SliceRoundTripIsExactWithGeometry)
{
  const auto image = obliqueSlice();
  const auto back = cradl::sliceBatchToImage(cradl::imageToSliceBatch(image.GetPointer()), image.GetPointer());
  expectSameGeometry<2>(back, image);
  expectSamePixels(back.GetPointer(), image.GetPointer());
  EXPECT_NE(back->GetBufferPointer(), image->GetBufferPointer()); // a new image, not an alias
}

TEST(ImageTensorBridge, VolumeRoundTripIsExactWithGeometry)
{
  const auto volume = obliqueVolume();
  const auto back = cradl::sliceBatchToImage(cradl::imageToSliceBatch(volume.GetPointer()), volume.GetPointer());
  expectSameGeometry<3>(back, volume);
  expectSamePixels(back.GetPointer(), volume.GetPointer());
}

TEST(ImageTensorBridge, TorchResultsComeBackOnTheImageGrid)
{
  const auto volume = obliqueVolume();
  // Per-slice maximum over rows, broadcast back: a real torch op on the batch.
  const at::Tensor batch = cradl::imageToSliceBatch(volume.GetPointer());
  const at::Tensor rowMax = std::get<0>(batch.max(/*dim=*/2, /*keepdim=*/true)).expand_as(batch).to(at::kDouble);
  const auto       result = cradl::sliceBatchToImage(rowMax, volume.GetPointer());
  for (long z = 0; z < 3; ++z)
    for (long y = 0; y < 4; ++y)
      for (long x = 0; x < 6; ++x)
      {
        EXPECT_EQ(result->GetPixel({ { x, y, z } }), volume->GetPixel({ { x, 3, z } }));
      }
}

TEST(ImageTensorBridge, ViewSharesTheBufferAndKeepsTheImageAlive)
{
  auto             image = obliqueSlice();
  const float *    pixels = image->GetBufferPointer();
  const at::Tensor batch = cradl::imageToSliceBatch(image.GetPointer());
  EXPECT_EQ(batch.data_ptr<float>(), pixels);
  batch[0][0][0][0] = 99.0f;
  EXPECT_EQ(image->GetPixel({ { 0, 0 } }), 99.0f);

  image = nullptr; // the tensor is now the only owner
  EXPECT_EQ(batch[0][0][4][6].item<float>(), 46.25f);
}

TEST(ImageTensorBridge, OtherPixelTypesAreCastToFloat)
{
  using ShortVolume = itk::Image<short, 3>;
  const auto volume = cradl_test::makeImage<ShortVolume>(
    { { 5, 3, 2 } }, cradl_test::vector(1.0, 2.0, 3.0), cradl_test::point(0.0, 0.0, 0.0), cradl_test::rotation<3>(0.2),
    [](const ShortVolume::IndexType & i) { return -1000 + 37 * (i[0] + 5 * i[1] + 15 * i[2]); });
  const at::Tensor batch = cradl::imageToSliceBatch(volume.GetPointer());
  ASSERT_EQ(batch.sizes(), at::IntArrayRef({ 2, 1, 3, 5 }));
  EXPECT_EQ(batch.scalar_type(), at::kFloat);
  EXPECT_EQ(batch[1][0][2][4].item<float>(), -1000.0f + 37.0f * 29.0f);

  using ByteSlice = itk::Image<unsigned char, 2>;
  const auto slice = cradl_test::makeImage<ByteSlice>({ { 3, 2 } }, cradl_test::vector(1.0, 1.0), cradl_test::point(0.0, 0.0),
                                                      cradl_test::rotation<2>(0.0),
                                                      [](const ByteSlice::IndexType & i) { return 250 + i[0]; });
  EXPECT_EQ(cradl::imageToSliceBatch(slice.GetPointer())[0][0][1][2].item<float>(), 252.0f);
}

TEST(ImageTensorBridge, MismatchedShapesAreRejected)
{
  const auto volume = obliqueVolume();
  EXPECT_THROW(cradl::sliceBatchToImage(at::zeros({ 2, 1, 4, 6 }), volume.GetPointer()), itk::ExceptionObject);
  EXPECT_THROW(cradl::sliceBatchToImage(at::zeros({ 3, 1, 6, 4 }), volume.GetPointer()), itk::ExceptionObject);
  const auto slice = obliqueSlice();
  EXPECT_THROW(cradl::sliceBatchToImage(at::zeros({ 2, 1, 5, 7 }), slice.GetPointer()), itk::ExceptionObject);
  EXPECT_NO_THROW(cradl::sliceBatchToImage(at::zeros({ 1, 5, 7 }), slice.GetPointer()));
  EXPECT_THROW(cradl::imageToSliceBatch(Image2D::New().GetPointer()), itk::ExceptionObject);
}

TEST(ImageTensorBridge, CudaRoundTripIsExact)
{
  if (!torch::cuda::is_available())
  {
    GTEST_SKIP() << "no CUDA GPU";
  }
  const auto volume = obliqueVolume();
  const auto onGpu = cradl::imageToSliceBatch(volume.GetPointer()).to(at::kCUDA);
  const auto back = cradl::sliceBatchToImage(onGpu, volume.GetPointer());
  expectSamePixels(back.GetPointer(), volume.GetPointer());
}
