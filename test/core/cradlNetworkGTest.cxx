#include "cradlEncoder.h"
#include "cradlNTXent.h"
#include "cradlNpy.h"
#include "../cradlErrorModel.h"
#include "../cradlPythonOracle.h"

#include <gtest/gtest.h>

#include <cmath>

TEST(Encoder, LayerCountAndOutputFollowTheImageSize)
{
  for (const int64_t size : { 64, 128, 256 })
  {
    cradl::EncoderOptions options;
    options.imageSize = size;
    options.nf = 2;
    options.nz = 7;
    cradl::ContrastiveEncoder encoder(options);
    const int64_t             convolutions = options.downsamplingLayers() + 1;
    EXPECT_EQ(options.downsamplingLayers(), static_cast<int64_t>(std::log2(size)) - 2);
    // conv, then [BN, ReLU, conv] per further layer, then BN, ReLU, conv.
    EXPECT_EQ(static_cast<int64_t>(encoder->layers->size()), 1 + 3 * (convolutions - 1));
    encoder->eval();
    const auto out = encoder->forward(at::randn({ 3, 1, size, size }));
    EXPECT_EQ(out.sizes(), at::IntArrayRef({ 3, 7 }));
  }
  cradl::EncoderOptions wrong;
  wrong.imageSize = 100;
  EXPECT_THROW(cradl::ContrastiveEncoder{ wrong }, std::invalid_argument);
}

TEST(Encoder, ParameterNamesAndShapesAreTheDcganOnes)
{
  cradl::EncoderOptions options; // 128 px, nf 64, nz 512
  cradl::ContrastiveEncoder encoder(options);
  const auto parameters = encoder->named_parameters();
  EXPECT_EQ(parameters["layers.0.weight"].sizes(), at::IntArrayRef({ 64, 1, 4, 4 }));
  EXPECT_EQ(parameters["layers.0.bias"].sizes(), at::IntArrayRef({ 64 }));
  EXPECT_EQ(parameters["layers.3.weight"].sizes(), at::IntArrayRef({ 128, 64, 4, 4 }));
  EXPECT_EQ(parameters["layers.12.weight"].sizes(), at::IntArrayRef({ 1024, 512, 4, 4 }));
  EXPECT_EQ(parameters["layers.15.weight"].sizes(), at::IntArrayRef({ 512, 1024, 4, 4 }));
  cradl::ProjectionHead head(options);
  EXPECT_EQ(head->named_parameters()["layers.0.weight"].sizes(), at::IntArrayRef({ 512, 512 }));
  EXPECT_EQ(head->named_parameters()["layers.2.weight"].sizes(), at::IntArrayRef({ 256, 512 }));
}

// Two orthonormal slices seen twice, t = 0.5: each row scores its positive at
// 1/t = 2 and the two others at 0, so every l_i = log(2 + e^2) - 2.
TEST(NTXent, HandWorkedTwoByTwo)
{
  const at::Tensor z = at::eye(2);
  const double     loss = cradl::ntXentLoss(z, z * 3.0, 0.5).item<double>();
  // float32: a normalisation, a 4-term log-sum-exp and a mean, each a few roundings of values <= e^2 + 2.
  const double float32Loss = cradl_test::gamma(16, cradl_test::Float32UnitRoundoff) * (2.0 + std::exp(2.0));
  EXPECT_NEAR(loss, std::log(2.0 + std::exp(2.0)) - 2.0, float32Loss);

  // Swapped pairs: the positive scores 0 and a negative 2 -> log(2 + e^2).
  const at::Tensor swapped = at::tensor({ 0.0f, 1.0f, 1.0f, 0.0f }).view({ 2, 2 });
  EXPECT_NEAR(cradl::ntXentLoss(z, swapped, 0.5).item<double>(), std::log(2.0 + std::exp(2.0)), float32Loss);
}

TEST(NTXent, EqualsTheFormulaInPythonTorch)
{
  at::manual_seed(3);
  const at::Tensor z1 = at::randn({ 6, 5 });
  const at::Tensor z2 = at::randn({ 6, 5 });
  const auto       folder = cradl_test::scratchFolder("ntxent");
  cradl::writeNpy((folder / "z1.npy").string(), "<f4", { 6, 5 }, z1.contiguous().data_ptr<float>());
  cradl::writeNpy((folder / "z2.npy").string(), "<f4", { 6, 5 }, z2.contiguous().data_ptr<float>());
  for (const double temperature : { 0.5, 0.1 })
  {
    const auto oracle = cradl_test::runPythonOracle(
      "ntxent_oracle.py", { (folder / "z1.npy").string(), (folder / "z2.npy").string(), std::to_string(temperature) });
    // Both sides float32: 5-term dot products of unit rows scaled by 1/t, a
    // 12-term log-sum-exp of values up to e^(1/t), and a 12-term mean.
    const double bound = 2 * cradl_test::gamma(5 + 12 + 12, cradl_test::Float32UnitRoundoff) * 12 * std::exp(1.0 / temperature);
    EXPECT_NEAR(cradl::ntXentLoss(z1, z2, temperature).item<double>(), oracle.at("loss"), bound);
  }
  EXPECT_THROW(cradl::ntXentLoss(z1, z2.slice(0, 0, 5)), std::invalid_argument);
  EXPECT_THROW(cradl::ntXentLoss(z1, z2, 0.0), std::invalid_argument);
}

TEST(NTXent, GradientFlowsToBothViews)
{
  const at::Tensor z1 = at::randn({ 4, 3 }).requires_grad_(true);
  const at::Tensor z2 = at::randn({ 4, 3 }).requires_grad_(true);
  cradl::ntXentLoss(z1, z2).backward();
  EXPECT_GT(z1.grad().abs().sum().item<double>(), 0.0);
  EXPECT_GT(z2.grad().abs().sum().item<double>(), 0.0);
}
