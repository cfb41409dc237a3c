// The patch density against NumPy (covariance, Mahalanobis distance) and
// PyTorch's bilinear upsampling, on the encoder's own features.
#include "cradlNpy.h"
#include "cradlTensorFiles.h"
#include "cradlPatchDensity.h"
#include "../cradlErrorModel.h"
#include "../cradlPythonOracle.h"

#include <gtest/gtest.h>
#include <torch/nn/modules/conv.h>
#include <torch/types.h>

namespace
{
cradl::ContrastiveEncoder
tinyEncoder()
{
  torch::manual_seed(5);
  cradl::EncoderOptions options;
  options.imageSize = 64;
  options.nf = 4;
  options.nz = 8;
  cradl::ContrastiveEncoder encoder(options);
  encoder->eval();
  return encoder;
}

// Slices with texture, and a disc of brain in each.
std::pair<at::Tensor, at::Tensor>
slicesAndMasks(int64_t count)
{
  torch::manual_seed(9);
  const at::Tensor slices = at::randn({ count, 1, 64, 64 }).clamp(-1.5, 1.5);
  const at::Tensor y = at::arange(64, at::kFloat).view({ 1, 1, 64, 1 });
  const at::Tensor x = at::arange(64, at::kFloat).view({ 1, 1, 1, 64 });
  const at::Tensor radius = 14.0 + at::arange(count, at::kFloat).view({ count, 1, 1, 1 });
  const at::Tensor masks = ((y - 31.5).pow(2) + (x - 30.0).pow(2) < radius.pow(2)).to(at::kByte);
  return { slices, masks };
}
} // namespace

TEST(PatchDensity, FeatureMapsAreTheEncodersOwnLayers)
{
  auto             encoder = tinyEncoder();
  const at::Tensor slices = slicesAndMasks(3).first;
  const auto       features = cradl::encoderFeatureMaps(encoder, slices, { 0, 1, 2, 3 });
  ASSERT_EQ(features.size(), 4u);
  for (int64_t i = 0; i < 4; ++i)
  {
    // ReLU i: nf 2^i channels at S / 2^(i+1) pixels, non-negative.
    EXPECT_EQ(features[i].sizes(), at::IntArrayRef({ 3, 4 << i, 32 >> i, 32 >> i }));
    EXPECT_GE(features[i].min().item<float>(), 0.0f);
  }
  // The last ReLU's features through the last convolution are the representation.
  torch::NoGradGuard noGrad;
  auto &             layers = *encoder->layers;
  const at::Tensor   representation = layers[layers.size() - 1]->as<torch::nn::Conv2dImpl>()->forward(features[3]).flatten(1);
  EXPECT_TRUE(at::equal(representation, encoder->forward(slices)));
  // One pass can also give the representation itself.
  at::Tensor passed;
  cradl::encoderFeatureMaps(encoder, slices, { 1 }, &passed);
  EXPECT_TRUE(at::equal(passed, encoder->forward(slices)));
  EXPECT_THROW(cradl::encoderFeatureMaps(encoder, slices, { 4 }), std::invalid_argument);
}

TEST(PatchDensity, EqualsNumpyCovarianceMahalanobisAndTorchUpsampling)
{
  auto                       encoder = tinyEncoder();
  const auto [slices, masks] = slicesAndMasks(6);
  cradl::PatchDensityOptions options;
  options.relus = { 1, 2 };
  options.regularization = 0.01;
  options.batchSize = 4; // two batches: the sums are streamed
  const auto density = cradl::fitPatchDensity(encoder, slices, masks, options);
  ASSERT_EQ(density.layers.size(), 2u);

  const auto folder = cradl_test::scratchFolder("patch-density");
  const auto features = cradl::encoderFeatureMaps(encoder, slices, options.relus);
  for (std::size_t l = 0; l < 2; ++l)
  {
    const at::Tensor f = features[l].contiguous();
    cradl::writeNpy((folder / ("features_" + std::to_string(l) + ".npy")).string(), "<f4", f.sizes().vec(),
                    f.data_ptr<float>());
  }
  cradl_test::saveTensor(folder / "masks.npy", masks);
  const auto oracle = cradl_test::runPythonOracle("patch_density_oracle.py", { folder.string(), "2", "0.01", "64" });

  const auto distances = cradl::patchDistanceMaps(encoder, density, slices, 4);
  double     mapBound = 0.0; // of the mean of the standardised layers
  for (std::size_t l = 0; l < 2; ++l)
  {
    const std::string layer = std::to_string(l);
    const auto &      gaussian = density.layers[l].gaussian;
    const at::Tensor  covariance = cradl_test::loadTensor(folder / ("covariance_" + layer + ".npy"));
    // Sums of up to n products of float32 features, in float64: gamma_n of the
    // magnitudes; the two sides sum in other orders.
    const int64_t n = slices.size(0) * (features[l].size(2) * features[l].size(3));
    const double  scale = covariance.abs().max().item<double>() + features[l].pow(2).max().item<double>();
    const double  sumBound = cradl_test::DrawSafetyFactor * 2 * cradl_test::gamma(n, cradl_test::Float64UnitRoundoff) * scale;
    EXPECT_LE((gaussian.means[0] - cradl_test::loadTensor(folder / ("mean_" + layer + ".npy"))).abs().max().item<double>(), sumBound);
    EXPECT_LE((gaussian.covariances[0] - covariance).abs().max().item<double>(), sumBound);
    // The distance goes through a solve of condition number kappa (Cholesky
    // here, LU there), then is rounded to float32 and upsampled in float32
    // (4 products): a few float32 round-offs of the distance.
    const at::Tensor expected = cradl_test::loadTensor(folder / ("distance_" + layer + ".npy"));
    const double     kappa = at::linalg_cond(covariance).item<double>();
    const double     distanceBound =
      cradl_test::DrawSafetyFactor *
      ((cradl_test::gamma(4, cradl_test::Float32UnitRoundoff) + cradl_test::Float32UnitRoundoff) *
         expected.abs().max().item<double>() +
       kappa * cradl_test::gamma(covariance.size(0), cradl_test::Float64UnitRoundoff) * expected.abs().max().item<double>());
    EXPECT_LE((distances[l].to(at::kDouble) - expected).abs().max().item<double>(), distanceBound) << "layer " << l;
    const double healthyMean = oracle.at("healthy_mean_" + layer);
    EXPECT_NEAR(density.layers[l].healthyMean, healthyMean, distanceBound);
    EXPECT_NEAR(density.layers[l].healthyStd, oracle.at("healthy_std_" + layer), 2 * distanceBound);
    // (d - m) / s in float32 on both sides: the distance's error and three
    // roundings of magnitudes |d| + m, over s; averaged over the layers.
    const auto & fitted = density.layers[l];
    mapBound += (distanceBound + 3 * cradl_test::Float32UnitRoundoff * (expected.abs().max().item<double>() + fitted.healthyMean)) /
                fitted.healthyStd / 2.0;
  }
  // The map: the mean of the standardised layers (its formula, in float32).
  const at::Tensor map = cradl::patchDensityMap(encoder, density, slices, 4).to(at::kDouble);
  const at::Tensor expectedMap = cradl_test::loadTensor(folder / "map.npy");
  EXPECT_LE((map - expectedMap).abs().max().item<double>(), cradl_test::DrawSafetyFactor * mapBound);
  // Inside healthy brain the map is standardised: mean 0, std 1 per layer.
  const at::Tensor brain = (masks != 0);
  EXPECT_NEAR(((distances[0] - density.layers[0].healthyMean) / density.layers[0].healthyStd).index({ brain }).mean().item<double>(),
              0.0, 1e-5);
}

TEST(PatchDensity, RoundTripsThroughItsDictAndRefusesDamage)
{
  auto                       encoder = tinyEncoder();
  const auto [slices, masks] = slicesAndMasks(4);
  const auto                 density = cradl::fitPatchDensity(encoder, slices, masks, {});
  const auto                 back = cradl::PatchDensity::fromDict(density.toDict(), "test");
  ASSERT_EQ(back.layers.size(), density.layers.size());
  EXPECT_TRUE(at::equal(cradl::patchDensityMap(encoder, back, slices), cradl::patchDensityMap(encoder, density, slices)));
  auto damaged = density.toDict();
  damaged.insert_or_assign("layers", static_cast<int64_t>(3));
  EXPECT_THROW(cradl::PatchDensity::fromDict(damaged, "test"), std::runtime_error);
  EXPECT_THROW(cradl::fitPatchDensity(encoder, slices, at::zeros_like(masks), {}), std::invalid_argument);
}
