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
// The oracle's inputs: features_<l>.npy of each layer and masks.npy.
std::vector<at::Tensor>
saveFeatures(const std::filesystem::path & folder, cradl::ContrastiveEncoder & encoder, const at::Tensor & slices,
             const at::Tensor & masks, const std::vector<int64_t> & relus)
{
  const auto features = cradl::encoderFeatureMaps(encoder, slices, relus);
  for (std::size_t l = 0; l < features.size(); ++l)
  {
    const at::Tensor f = features[l].contiguous();
    cradl::writeNpy((folder / ("features_" + std::to_string(l) + ".npy")).string(), "<f4", f.sizes().vec(),
                    f.data_ptr<float>());
  }
  cradl_test::saveTensor(folder / "masks.npy", masks);
  return features;
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
  const auto features = saveFeatures(folder, encoder, slices, masks, options.relus);
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

namespace
{
// Frames of the disc slices of slicesAndMasks: the box of all discs, depths spread over 0..1.
at::Tensor
framesOf(const at::Tensor & masks)
{
  const int64_t    n = masks.size(0);
  const at::Tensor any = masks.squeeze(1).amax(0) != 0; // [S, S]
  const at::Tensor columns = any.any(0).nonzero().squeeze(1);
  const at::Tensor rows = any.any(1).nonzero().squeeze(1);
  const double     size = static_cast<double>(masks.size(3));
  at::Tensor       frames = at::empty({ n, 5 }, at::kDouble);
  frames.select(1, 0).fill_(columns.min().item<double>() / size);
  frames.select(1, 1).fill_((columns.max().item<double>() + 1) / size);
  frames.select(1, 2).fill_(rows.min().item<double>() / size);
  frames.select(1, 3).fill_((rows.max().item<double>() + 1) / size);
  frames.select(1, 4).copy_((at::arange(n, at::kDouble) + 0.5) / static_cast<double>(n));
  return frames;
}
} // namespace

TEST(PatchDensity, PositionCellsByHand)
{
  // Slice 0: box x 0.25..0.75, whole height, depth 0.1; slice 1: whole width, y 0.5..1, depth 0.9.
  const at::Tensor frames = at::tensor({ 0.25, 0.75, 0.0, 1.0, 0.1, 0.0, 1.0, 0.5, 1.0, 0.9 }, at::kDouble).view({ 2, 5 });
  const at::Tensor cells = cradl::positionCells(frames, 4, 4, { 2, 2, 1.0 });
  ASSERT_EQ(cells.sizes(), at::IntArrayRef({ 2, 4, 4 }));
  // Centres 1/8, 3/8, 5/8, 7/8. Slice 0: x cells 0 0 1 1, y cells 0 0 1 1, depth bin 0.
  EXPECT_EQ(cells[0][0][3].item<int64_t>(), 1);
  EXPECT_EQ(cells[0][2][1].item<int64_t>(), 2);
  EXPECT_EQ(cells[0][3][3].item<int64_t>(), 3);
  // Slice 1: x cells 0 0 1 1, y cells 0 0 0 1 (above the box: clamped), depth bin 1 (cells 4..7).
  EXPECT_EQ(cells[1][0][0].item<int64_t>(), 4);
  EXPECT_EQ(cells[1][2][3].item<int64_t>(), 5);
  EXPECT_EQ(cells[1][3][3].item<int64_t>(), 7);
  EXPECT_THROW(cradl::positionCells(frames.slice(1, 0, 4), 4, 4, { 2, 2, 1.0 }), std::invalid_argument);
}

TEST(PatchDensity, CellsEqualNumpyPosteriorMahalanobisAndTorchUpsampling)
{
  auto                       encoder = tinyEncoder();
  const auto [slices, masks] = slicesAndMasks(8);
  const at::Tensor           frames = framesOf(masks);
  cradl::PatchDensityOptions options;
  options.relus = { 1, 2 };
  options.regularization = 0.01;
  options.batchSize = 3; // the per-cell sums are streamed over batches
  options.cells = { 2, 2, 0.5 };
  const auto density = cradl::fitPatchDensity(encoder, slices, masks, options, frames);
  ASSERT_TRUE(density.conditioned());
  ASSERT_EQ(density.layers[0].cellGaussians.components(), 8);

  const auto folder = cradl_test::scratchFolder("patch-density-cells");
  saveFeatures(folder, encoder, slices, masks, options.relus);
  cradl_test::saveTensor(folder / "frames.npy", frames);
  const auto oracle =
    cradl_test::runPythonOracle("patch_density_oracle.py", { folder.string(), "2", "0.01", "64", "2", "2", "0.5" });

  const auto distances = cradl::patchDistanceMaps(encoder, density, slices, 3, nullptr, frames);
  double     mapBound = 0.0;
  for (std::size_t l = 0; l < 2; ++l)
  {
    const std::string layer = std::to_string(l);
    const at::Tensor  expected = cradl_test::loadTensor(folder / ("cell_distance_" + layer + ".npy"));
    // As the pooled distance, with the covariances' float32 rounding on both
    // sides (a sum that differs in its last float64 bits can round to the
    // neighbouring float32): one float32 round-off of Sigma, through kappa.
    const at::Tensor covariances = density.layers[l].cellGaussians.covariances;
    const double     kappa = at::linalg_cond(covariances).max().item<double>();
    const double     dmax = expected.abs().max().item<double>();
    const double     distanceBound =
      cradl_test::DrawSafetyFactor *
      ((cradl_test::gamma(4, cradl_test::Float32UnitRoundoff) + cradl_test::Float32UnitRoundoff) * dmax +
       kappa * (cradl_test::gamma(covariances.size(1), cradl_test::Float64UnitRoundoff) + cradl_test::Float32UnitRoundoff) * dmax);
    EXPECT_LE((distances[l].to(at::kDouble) - expected).abs().max().item<double>(), distanceBound) << "layer " << l;
    const auto & fitted = density.layers[l];
    EXPECT_NEAR(fitted.cellHealthyMean, oracle.at("healthy_cell_mean_" + layer), distanceBound);
    EXPECT_NEAR(fitted.cellHealthyStd, oracle.at("healthy_cell_std_" + layer), 2 * distanceBound);
    mapBound += (distanceBound + 3 * cradl_test::Float32UnitRoundoff * (dmax + fitted.cellHealthyMean)) /
                fitted.cellHealthyStd / 2.0;
  }
  const at::Tensor map = cradl::patchDensityMap(encoder, density, slices, 3, nullptr, frames).to(at::kDouble);
  EXPECT_LE((map - cradl_test::loadTensor(folder / "cell_map.npy")).abs().max().item<double>(),
            cradl_test::DrawSafetyFactor * mapBound);
  // Without frames the same density scores under the pooled Gaussian, as before.
  const at::Tensor pooled = cradl::patchDensityMap(encoder, density, slices, 3).to(at::kDouble);
  EXPECT_LE((pooled - cradl_test::loadTensor(folder / "map.npy")).abs().max().item<double>(), 1e-3);
  EXPECT_GT((pooled - map).abs().max().item<double>(), 0.1);
}

TEST(PatchDensity, CellsFlagTissueInTheWrongPlace)
{
  // Healthy slices: noise on the left half of the disc, flat tissue on the
  // right. The swapped slice holds only tissue seen in healthy slices, but
  // each on the wrong side: only the position-conditioned density sees the
  // noise where flat tissue belongs.
  // The whole slice is brain, its halves the two cells (no other edges).
  auto             encoder = tinyEncoder();
  const at::Tensor noise = slicesAndMasks(10).first;
  const at::Tensor masks = at::ones_like(noise, at::kByte);
  const at::Tensor x = at::arange(64, at::kFloat).view({ 1, 1, 1, 64 });
  const at::Tensor left = (x < 32).expand({ 10, 1, 64, 64 });
  const at::Tensor flat = 1.0 + 0.1 * noise.flip(2); // faint texture on a bright level
  const at::Tensor healthy = at::where(left, noise, flat);
  const at::Tensor swapped = at::where(left, flat, noise).slice(0, 0, 1);
  const at::Tensor frames = framesOf(masks);
  cradl::PatchDensityOptions options;
  options.relus = { 1 };
  options.cells = { 2, 1, 0.25 };
  const auto       density = cradl::fitPatchDensity(encoder, healthy, masks, options, frames);
  // Distances away from the border between the halves (the features' reach),
  // on the swapped slice and on a healthy one, under each position's cell
  // and under the pooled Gaussian.
  const at::Tensor wrongSide = (x >= 40).expand({ 1, 1, 64, 64 });
  const auto       distance = [&](const at::Tensor & slice, bool byCell) {
    return cradl::patchDistanceMaps(encoder, density, slice, 64, nullptr, byCell ? frames.slice(0, 0, 1) : at::Tensor())[0]
      .index({ wrongSide })
      .mean()
      .item<double>();
  };
  const double byCell = distance(swapped, true) / distance(healthy.slice(0, 0, 1), true);
  const double pooled = distance(swapped, false) / distance(healthy.slice(0, 0, 1), false);
  std::cout << "noise where flat tissue belongs, distance / healthy distance: by cell " << byCell << ", pooled "
            << pooled << std::endl;
  // Deterministic figures (seeded; rounding moves them by ~1e-6): 3.56 and
  // 2.23 here. Pooled, the strong noise is only as unusual as it is in the
  // mixture of both halves; by cell, it is far from what belongs there.
  EXPECT_GT(byCell, 3.0);
  EXPECT_GT(byCell, 1.4 * pooled);
}

TEST(PatchDensity, CellsRoundTripExactlyAndOldFilesLoadWithout)
{
  auto                       encoder = tinyEncoder();
  const auto [slices, masks] = slicesAndMasks(4);
  const at::Tensor           frames = framesOf(masks);
  cradl::PatchDensityOptions options;
  options.cells = { 3, 2, 1.0 };
  const auto density = cradl::fitPatchDensity(encoder, slices, masks, options, frames);
  const auto back = cradl::PatchDensity::fromDict(density.toDict(), "test");
  ASSERT_TRUE(back.conditioned());
  EXPECT_TRUE(back.cells == density.cells);
  // Stored in float32 and rounded so after the fit: the same map after the round trip.
  EXPECT_TRUE(at::equal(cradl::patchDensityMap(encoder, back, slices, 64, nullptr, frames),
                        cradl::patchDensityMap(encoder, density, slices, 64, nullptr, frames)));
  // A file from before position cells: location-agnostic.
  auto old = density.toDict();
  for (const char * key : { "cell_grid", "cell_depth_bins", "cell_prior_weight" })
    EXPECT_EQ(old.erase(key), 1u);
  EXPECT_FALSE(cradl::PatchDensity::fromDict(old, "test").conditioned());
  auto wrongCount = density.toDict();
  wrongCount.insert_or_assign("cell_grid", static_cast<int64_t>(2));
  EXPECT_THROW(cradl::PatchDensity::fromDict(wrongCount, "test"), std::runtime_error);
  auto noPrior = density.toDict();
  noPrior.insert_or_assign("cell_prior_weight", 0.0);
  EXPECT_THROW(cradl::PatchDensity::fromDict(noPrior, "test"), std::runtime_error);
  EXPECT_THROW(cradl::fitPatchDensity(encoder, slices, masks, options), std::invalid_argument); // cells need frames
}
