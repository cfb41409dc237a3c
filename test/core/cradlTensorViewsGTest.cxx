#include "cradlTensorViews.h"

#include <gtest/gtest.h>
#include <torch/cuda.h>

#include <numeric>
#include <stdexcept>
#include <vector>

namespace
{
// Three 2 x 4 slices holding 0, 1, ..., 23 in buffer order (x fastest).
std::vector<float>
countingBuffer()
{
  std::vector<float> pixels(3 * 2 * 4);
  std::iota(pixels.begin(), pixels.end(), 0.0f);
  return pixels;
}
const cradl::SliceBatchShape threeSlices{ 3, 2, 4 };
} // namespace

TEST(SliceBatch, ViewPutsXLastAndSharesMemory)
{
  std::vector<float> pixels = countingBuffer();
  const at::Tensor batch = cradl::viewSliceBatch(pixels.data(), threeSlices, [](void *) {});
  ASSERT_EQ(batch.sizes(), at::IntArrayRef({ 3, 1, 2, 4 }));
  for (int64_t z = 0; z < 3; ++z)
    for (int64_t y = 0; y < 2; ++y)
      for (int64_t x = 0; x < 4; ++x)
      {
        EXPECT_EQ(batch[z][0][y][x].item<float>(), static_cast<float>(x + 4 * (y + 2 * z)));
      }
  batch[2][0][1][3] = -7.0f;
  EXPECT_EQ(pixels.back(), -7.0f);
  EXPECT_EQ(batch.data_ptr<float>(), pixels.data());
}

TEST(SliceBatch, OwnerIsReleasedWhenTheLastTensorGoesAway)
{
  std::vector<float> pixels = countingBuffer();
  int releases = 0;
  {
    at::Tensor batch = cradl::viewSliceBatch(pixels.data(), threeSlices, [&releases](void *) { ++releases; });
    at::Tensor slice = batch[1];
    batch = at::Tensor();
    EXPECT_EQ(releases, 0);
    EXPECT_EQ(slice[0][0][0].item<float>(), 8.0f);
  }
  EXPECT_EQ(releases, 1);
}

TEST(SliceBatch, CopyAcceptsBothLayoutsAndConvertsDtype)
{
  const at::Tensor source = at::arange(24, at::kDouble).reshape({ 3, 1, 2, 4 });
  std::vector<float> out(24, -1.0f);
  cradl::copySliceBatch(source, out.data(), threeSlices);
  EXPECT_EQ(out, countingBuffer());

  std::vector<float> fromThreeDims(24, -1.0f);
  cradl::copySliceBatch(source.squeeze(1).to(at::kHalf), fromThreeDims.data(), threeSlices);
  EXPECT_EQ(fromThreeDims, countingBuffer());
}

TEST(SliceBatch, CopyOfANonContiguousTensorFollowsLogicalOrder)
{
  // A transposed view: its storage order differs from its logical order.
  const at::Tensor transposed = at::arange(24, at::kFloat).reshape({ 3, 4, 2 }).transpose(1, 2);
  std::vector<float> out(24);
  cradl::copySliceBatch(transposed, out.data(), threeSlices);
  EXPECT_EQ(out[1], 2.0f); // (z=0, y=0, x=1) was element [0][1][0] of the 3x4x2 tensor
  EXPECT_EQ(out[4], 1.0f); // (z=0, y=1, x=0)
}

TEST(SliceBatch, WrongShapesAreRejected)
{
  std::vector<float> out(24);
  EXPECT_THROW(cradl::copySliceBatch(at::zeros({ 3, 2, 2, 4 }), out.data(), threeSlices), std::invalid_argument);
  EXPECT_THROW(cradl::copySliceBatch(at::zeros({ 2, 1, 2, 4 }), out.data(), threeSlices), std::invalid_argument);
  EXPECT_THROW(cradl::copySliceBatch(at::zeros({ 24 }), out.data(), threeSlices), std::invalid_argument);
  EXPECT_THROW(cradl::copySliceBatch(at::zeros({ 3, 2, 4 }, at::kInt), out.data(), threeSlices),
               std::invalid_argument);
  EXPECT_THROW(cradl::viewSliceBatch(nullptr, threeSlices, [](void *) {}), std::invalid_argument);
}

TEST(SliceBatch, CudaRoundTripIsExact)
{
  if (!torch::cuda::is_available())
  {
    GTEST_SKIP() << "no CUDA GPU";
  }
  std::vector<float> pixels = countingBuffer();
  const at::Tensor onGpu = cradl::viewSliceBatch(pixels.data(), threeSlices, [](void *) {}).to(at::kCUDA);
  std::vector<float> back(24);
  cradl::copySliceBatch(onGpu, back.data(), threeSlices);
  EXPECT_EQ(back, pixels);
}

TEST(TensorViews, MatrixViewIsRowMajorAndSharesMemory)
{
  const std::vector<double> values{ 1, 2, 3, 4, 5, 6 }; // 2 rows x 3 columns
  const at::Tensor          matrix = cradl::viewMatrix(values.data(), 2, 3);
  ASSERT_EQ(matrix.sizes(), at::IntArrayRef({ 2, 3 }));
  EXPECT_EQ(matrix.scalar_type(), at::kDouble);
  EXPECT_EQ(matrix[1][0].item<double>(), 4.0);
  EXPECT_EQ(matrix[0][2].item<double>(), 3.0);
  EXPECT_EQ(matrix.data_ptr<double>(), values.data());
  EXPECT_THROW(cradl::viewMatrix(values.data(), 0, 3), std::invalid_argument);
  EXPECT_THROW(cradl::viewMatrix(nullptr, 2, 3), std::invalid_argument);
}

TEST(TensorViews, MaskViewIsBytesInSliceOrder)
{
  const std::vector<unsigned char> masks{ 0, 1, 1, 0, 1, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0 };
  const at::Tensor                 view = cradl::viewMaskBatch(masks.data(), threeSlices);
  ASSERT_EQ(view.sizes(), at::IntArrayRef({ 3, 1, 2, 4 }));
  EXPECT_EQ(view.scalar_type(), at::kByte);
  EXPECT_EQ(view[1][0][0][2].item<int>(), 1); // element 8 + 2
  EXPECT_EQ(view[2][0][1][0].item<int>(), 1); // element 16 + 4
  EXPECT_EQ(view.sum().item<int64_t>(), 9);
}
