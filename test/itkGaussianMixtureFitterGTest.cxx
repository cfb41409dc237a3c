#include "itkContrastiveEncoderTrainer.h"
#include "itkAUPRCMetric.h"
#include "itkGaussianMixtureFitter.h"
#include "itkMixtureModelSelector.h"
#include "itkMedianGaussianPostprocessImageFilter.h"
#include "itkRepresentationNLLGradientImageFilter.h"
#include "itkRepresentationPatchDensityImageFilter.h"
#include "itkAnomalyMapFusionImageFilter.h"
#include "itkCradlScanScorer.h"
#include "itkIntensityZScoreImageFilter.h"
#include "cradlErrorModel.h"
#include "cradlNpy.h"
#include "cradlPythonOracle.h"
#include "cradlTestImages.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <random>

namespace
{
namespace fs = std::filesystem;

// Three well separated clusters in 5 dimensions, with large offsets and
// scales so that standardisation matters.
std::vector<double>
threeClusters(unsigned int rows)
{
  std::mt19937                     random(5);
  std::normal_distribution<double> normal;
  std::vector<double>              matrix;
  for (unsigned int row = 0; row < rows; ++row)
  {
    const int cluster = row % 3;
    for (int column = 0; column < 5; ++column)
    {
      matrix.push_back(100.0 + 10.0 * column + 8.0 * cluster * (column % 2 == 0 ? 1 : -1) + normal(random) * (1 + column));
    }
  }
  return matrix;
}
} // namespace

TEST(GaussianMixtureFitter, SelectsKByBicAndStandardises)
{
  const auto matrix = threeClusters(600);
  auto       fitter = itk::GaussianMixtureFitter::New();
  fitter->SetRepresentations(matrix, 600, 5);
  fitter->SetComponentCandidates({ 1, 2, 3, 5 });
  fitter->SetTolerance(1e-4);
  fitter->Update();
  ASSERT_EQ(fitter->GetCandidates().size(), 4u);
  EXPECT_EQ(fitter->GetSelectedNumberOfComponents(), 3u);
  const auto & candidates = fitter->GetCandidates();
  const auto   best = std::min_element(candidates.begin(), candidates.end(),
                                     [](const auto & a, const auto & b) { return a.BIC < b.BIC; });
  EXPECT_EQ(best->NumberOfComponents, 3u);
  EXPECT_GT(candidates[2].MeanLogLikelihood, candidates[0].MeanLogLikelihood);

  const auto * model = fitter->GetOutput();
  EXPECT_EQ(model->GetNumberOfComponents(), 3u);
  EXPECT_EQ(model->GetDimension(), 5u);
  const auto weights = model->GetWeights();
  for (const double w : weights)
  {
    EXPECT_NEAR(w, 1.0 / 3.0, 0.01);
  }
  EXPECT_EQ(fitter->GetNumberOfSamples(), 600u);

  // The fitter chose nothing itself: its output is the selector's choice without labelled scans.
  auto selector = itk::MixtureModelSelector::New();
  for (unsigned int c = 0; c < candidates.size(); ++c)
    selector->AddCandidate(fitter->GetCandidateModel(c));
  selector->Update();
  EXPECT_EQ(std::string(model->GetSelectionCriterion()), "bic");
  EXPECT_EQ(selector->GetOutput()->GetNumberOfComponents(), model->GetNumberOfComponents());
  EXPECT_EQ(selector->GetOutput()->GetBIC(), model->GetBIC());
  EXPECT_EQ(selector->GetOutput()->GetWeights(), model->GetWeights());
}

TEST(GaussianMixtureFitter, ExportedNpzAndLogLikelihoodAgreeWithScipy)
{
  const auto matrix = threeClusters(300);
  auto       fitter = itk::GaussianMixtureFitter::New();
  fitter->SetRepresentations(matrix, 300, 5);
  fitter->SetNumberOfComponents(3);
  fitter->Update();
  const auto folder = cradl_test::scratchFolder("mixture-npz");
  fitter->GetOutput()->ExportNpz((folder / "mixture.npz").string());
  cradl::writeNpy((folder / "X.npy").string(), "<f8", { 300, 5 }, matrix.data());
  const auto oracle = cradl_test::runPythonOracle(
    "mixture_npz_oracle.py",
    { (folder / "mixture.npz").string(), (folder / "X.npy").string(), (folder / "logp.npy").string() });
  EXPECT_EQ(oracle.at("components"), 3.0);
  const auto expected = cradl::readNpy((folder / "logp.npy").string()).asDoubles();
  const auto actual = fitter->GetOutput()->LogLikelihood(matrix, 300);
  ASSERT_EQ(actual.size(), expected.size());
  for (std::size_t i = 0; i < actual.size(); ++i)
  {
    // scipy's multivariate_normal (eigendecomposition) against the Cholesky
    // form, float64, d = 5: a log-density of magnitude |l| is off by at most
    // gamma_{d^2} x the covariances' condition number (< 1e3 for these
    // clusters) on each side.
    ASSERT_NEAR(actual[i], expected[i],
                2 * cradl_test::gamma(25, cradl_test::Float64UnitRoundoff) * 1e3 * (std::abs(expected[i]) + 5 * std::log(2 * M_PI)))
      << i;
  }

  // Save / Load keep the same density; damaged files are refused.
  const auto file = (folder / "mixture.pt").string();
  fitter->GetOutput()->Save(file);
  const auto loaded = itk::GaussianMixtureModel::Load(file);
  EXPECT_EQ(loaded->LogLikelihood(matrix, 300), actual);
  fs::resize_file(file, fs::file_size(file) / 2);
  EXPECT_NE(cradl_test::exceptionMessage([&] { itk::GaussianMixtureModel::Load(file); })
              .find("cannot load the Gaussian mixture"),
            std::string::npos);
}

TEST(GaussianMixtureFitter, FitsEncodedSlicesOfScans)
{
  // A tiny encoder, one epoch, then the mixture on its representations.
  using Scan = itk::GaussianMixtureFitter::ImageType;
  using Mask = itk::GaussianMixtureFitter::MaskImageType;
  const auto mask = cradl_test::makeImage<Mask>({ { 40, 40, 6 } }, cradl_test::vector(1, 1, 2), cradl_test::point(0, 0, 0),
                                                cradl_test::rotation<3>(0.0), [](auto i) {
                                                  return std::hypot(i[0] - 20.0, i[1] - 20.0) < 15.0 ? 1 : 0;
                                                });
  std::vector<Scan::Pointer> scans;
  for (int s = 0; s < 3; ++s)
  {
    scans.push_back(cradl_test::makeImageLike<Scan>(mask.GetPointer(), [&](auto i) {
      return mask->GetPixel(i) ? 50.0 + 10.0 * std::sin(0.3 * i[0] + s) + i[2] : 0.0;
    }));
  }
  auto trainer = itk::ContrastiveEncoderTrainer::New();
  trainer->AddTrainingScan(scans[0], mask);
  trainer->AddTrainingScan(scans[1], mask);
  trainer->AddValidationScan(scans[2], mask);
  trainer->SetSliceSize(64);
  trainer->SetNumberOfFilters(4);
  trainer->SetRepresentationSize(8);
  trainer->SetNumberOfEpochs(1);
  trainer->SetBatchSize(4);
  trainer->Update();

  auto fitter = itk::GaussianMixtureFitter::New();
  fitter->SetEncoder(trainer->GetOutput());
  for (const auto & scan : scans)
  {
    fitter->AddScan(scan, mask);
  }
  fitter->SetNumberOfComponents(2);
  fitter->Update();
  EXPECT_EQ(fitter->GetNumberOfSamples(), 18u); // 6 slices x 3 scans
  EXPECT_EQ(fitter->GetOutput()->GetDimension(), 8u);
  EXPECT_TRUE(std::isfinite(fitter->GetOutput()->GetMeanLogLikelihood()));

  // K chosen by pixel AUPRC on a labelled validation scan (a bright lesion).
  const auto label = cradl_test::makeImageLike<Mask>(mask.GetPointer(), [](auto i) {
    return std::hypot(i[0] - 25.0, i[1] - 18.0) < 4.0 && i[2] >= 2 && i[2] <= 3 ? 1 : 0;
  });
  const auto lesioned = cradl_test::makeImageLike<Scan>(mask.GetPointer(), [&](auto i) {
    return scans[0]->GetPixel(i) + (label->GetPixel(i) ? 40.0 : 0.0);
  });
  auto candidates = itk::GaussianMixtureFitter::New();
  candidates->SetEncoder(trainer->GetOutput());
  for (const auto & scan : scans)
  {
    candidates->AddScan(scan, mask);
  }
  candidates->SetComponentCandidates({ 1, 2 });
  candidates->Update();
  itk::CradlScoringSettings settings;
  settings.GaussianSigma = 1.5; // not the default: selection must use the settings it is given
  auto chooser = itk::MixtureModelSelector::New();
  chooser->SetEncoder(trainer->GetOutput());
  chooser->AddCandidate(candidates->GetCandidateModel(0));
  chooser->AddCandidate(candidates->GetCandidateModel(1));
  chooser->AddValidationScan(lesioned, mask, label);
  chooser->SetScoringSettings(settings);
  chooser->Update();
  EXPECT_EQ(std::string(chooser->GetSelectionCriterion()), "validation AUPRC");
  EXPECT_EQ(chooser->GetOutput()->GetSelectionCriterion(), "validation AUPRC");
  const auto & figures = chooser->GetCandidates();
  ASSERT_EQ(figures.size(), 2u);
  const unsigned int best = figures[0].ValidationAUPRC >= figures[1].ValidationAUPRC ? 0 : 1;
  EXPECT_EQ(chooser->GetSelectedIndex(), best);
  EXPECT_EQ(chooser->GetOutput()->GetNumberOfComponents(), figures[best].NumberOfComponents);
  EXPECT_EQ(figures[1].BIC, candidates->GetCandidates()[1].BIC);
  // The reported AUPRC is the one the scoring pipeline gives with the chosen
  // mixture and these settings, and the kept validation map is its map.
  auto gradient = itk::RepresentationNLLGradientImageFilter<Scan>::New();
  gradient->SetInput(lesioned);
  gradient->SetMaskImage(mask);
  gradient->SetEncoder(trainer->GetOutput());
  gradient->SetMixture(chooser->GetOutput());
  auto post = itk::MedianGaussianPostprocessImageFilter<Scan>::New();
  post->SetInput(gradient->GetOutput());
  post->SetMaskImage(mask);
  post->SetGaussianSigma(1.5);
  post->Update();
  auto metric = itk::AUPRCMetric<Scan>::New();
  metric->AddImages(post->GetOutput(), label, mask);
  metric->Compute();
  // The same maps and the same metric: the same float64 sums, in the same order.
  EXPECT_EQ(figures[best].ValidationAUPRC, metric->GetAUPRC());
  ASSERT_EQ(chooser->GetValidationResults().size(), 1u);
  const auto * kept = chooser->GetValidationResults()[0].AnomalyMap.GetPointer();
  const auto   pixels = kept->GetLargestPossibleRegion().GetNumberOfPixels();
  EXPECT_TRUE(std::equal(kept->GetBufferPointer(), kept->GetBufferPointer() + pixels, post->GetOutput()->GetBufferPointer()));
  // The candidate models stay as fitted: only the output records the choice.
  EXPECT_EQ(candidates->GetCandidateModel(best)->GetSelectionCriterion(), "");

  // The patch density rides with every candidate and survives the model file.
  ASSERT_TRUE(candidates->GetCandidateModel(0)->HasPatchDensity());
  EXPECT_EQ(candidates->GetCandidateModel(1)->GetPatchDensityLayers(), (std::vector<unsigned int>{ 1, 2 }));
  const auto patchFile = cradl_test::scratchFolder("patch-mixture") / "mixture.pt";
  chooser->GetOutput()->Save(patchFile.string());
  const auto reloaded = itk::GaussianMixtureModel::Load(patchFile.string());
  ASSERT_TRUE(reloaded->HasPatchDensity());
  auto patchScore = [&](const itk::GaussianMixtureModel * mixture) {
    auto patch = itk::RepresentationPatchDensityImageFilter<Scan>::New();
    patch->SetInput(lesioned);
    patch->SetMaskImage(mask);
    patch->SetEncoder(trainer->GetOutput());
    patch->SetMixture(mixture);
    patch->Update();
    return patch;
  };
  const auto fresh = patchScore(chooser->GetOutput());
  const auto fromFile = patchScore(reloaded);
  const auto count = fresh->GetOutput()->GetLargestPossibleRegion().GetNumberOfPixels();
  EXPECT_TRUE(std::equal(fresh->GetOutput()->GetBufferPointer(), fresh->GetOutput()->GetBufferPointer() + count,
                         fromFile->GetOutput()->GetBufferPointer()));
  EXPECT_EQ(fresh->GetOutput()->GetSpacing(), lesioned->GetSpacing()); // on the scan's grid
  // Its slice scores are the gradient filter's: -log p of the same representation.
  ASSERT_EQ(fresh->GetSliceNLL().size(), gradient->GetSliceNLL().size());
  for (std::size_t slice = 0; slice < fresh->GetSliceNLL().size(); ++slice)
    EXPECT_NEAR(fresh->GetSliceNLL()[slice], gradient->GetSliceNLL()[slice],
                1e-6 * std::abs(gradient->GetSliceNLL()[slice]));

  // A selector over both candidate mixtures and the lesioned validation scan.
  const auto overBothMixtures = [&] {
    auto selector = itk::MixtureModelSelector::New();
    selector->SetEncoder(trainer->GetOutput());
    selector->AddCandidate(candidates->GetCandidateModel(0));
    selector->AddCandidate(candidates->GetCandidateModel(1));
    selector->AddValidationScan(lesioned, mask, label);
    return selector;
  };
  // Choosing the map too: every (mixture, mode) pair is a candidate row.
  auto both = overBothMixtures();
  both->SetScoringModes({ "gradient", "patch" });
  both->Update();
  ASSERT_EQ(both->GetCandidates().size(), 4u);
  EXPECT_EQ(both->GetCandidates()[1].ScoringMode, "patch");
  const auto & chosenRow = both->GetCandidates()[both->GetSelectedIndex()];
  for (const auto & row : both->GetCandidates())
    EXPECT_LE(row.ValidationAUPRC, chosenRow.ValidationAUPRC);
  EXPECT_EQ(both->GetSelectedScoringSettings().Mode, chosenRow.ScoringMode);
  EXPECT_EQ(both->GetOutput()->GetSelectedScoringMode(), chosenRow.ScoringMode);
  // The patch rows' AUPRC is the patch map's, post-processed with the default recipe.
  auto patchPost = itk::MedianGaussianPostprocessImageFilter<Scan>::New();
  patchPost->SetInput(patchScore(candidates->GetCandidateModel(0))->GetOutput());
  patchPost->SetMaskImage(mask);
  patchPost->Update();
  auto patchMetric = itk::AUPRCMetric<Scan>::New();
  patchMetric->AddImages(patchPost->GetOutput(), label, mask);
  patchMetric->Compute();
  EXPECT_EQ(both->GetCandidates()[1].ValidationAUPRC, patchMetric->GetAUPRC());

  // Fused before gradient: the gradient rows reuse the fused pass's gradient
  // maps and must score what a gradient pass of their own scores.
  auto fusedFirst = overBothMixtures();
  fusedFirst->SetScoringModes({ "fused", "gradient" });
  fusedFirst->Update();
  ASSERT_EQ(fusedFirst->GetCandidates().size(), 4u);
  EXPECT_EQ(fusedFirst->GetCandidates()[1].ScoringMode, "gradient");
  EXPECT_EQ(fusedFirst->GetCandidates()[1].ValidationAUPRC, both->GetCandidates()[0].ValidationAUPRC);
  EXPECT_EQ(fusedFirst->GetCandidates()[3].ValidationAUPRC, both->GetCandidates()[2].ValidationAUPRC);

  // Sigmas: one scoring pass per (mixture, mode), finished with each sigma,
  // gives the AUPRC that scoring with that sigma from scratch gives.
  auto scales = overBothMixtures();
  scales->SetGaussianSigmas({ 1.5, 3.0 });
  scales->Update();
  ASSERT_EQ(scales->GetCandidates().size(), 4u);
  EXPECT_EQ(scales->GetCandidates()[0].ValidationAUPRC, figures[0].ValidationAUPRC); // sigma 1.5, as `chooser`
  EXPECT_EQ(scales->GetCandidates()[2].ValidationAUPRC, figures[1].ValidationAUPRC);
  EXPECT_EQ(scales->GetCandidates()[1].ValidationAUPRC, both->GetCandidates()[0].ValidationAUPRC); // sigma 3
  EXPECT_EQ(scales->GetSelectedScoringSettings().GaussianSigma,
            scales->GetCandidates()[scales->GetSelectedIndex()].GaussianSigma);
  EXPECT_EQ(scales->GetOutput()->GetSelectedGaussianSigma(), scales->GetSelectedScoringSettings().GaussianSigma);

  // All three modes and two sigmas over both mixtures: the rows share maps
  // across modes, sigmas and mixtures (the intensity map, and the patch map
  // of one fit's candidates); each must give what a selector of that one
  // mixture and mode, sharing nothing, gives, and the kept map is that row's.
  const std::vector<std::string> allModes{ "fused", "gradient", "patch" };
  auto                           all = overBothMixtures();
  all->SetScoringModes(allModes);
  all->SetGaussianSigmas({ 1.5, 3.0 });
  all->Update();
  ASSERT_EQ(all->GetCandidates().size(), 12u);
  unsigned int firstBest = 0;
  for (unsigned int row = 0; row < 12; ++row)
    if (all->GetCandidates()[row].ValidationAUPRC > all->GetCandidates()[firstBest].ValidationAUPRC)
      firstBest = row;
  EXPECT_EQ(all->GetSelectedIndex(), firstBest);
  for (unsigned int mixture = 0; mixture < 2; ++mixture)
  {
    for (unsigned int mode = 0; mode < allModes.size(); ++mode)
    {
      auto alone = itk::MixtureModelSelector::New();
      alone->SetEncoder(trainer->GetOutput());
      alone->AddCandidate(candidates->GetCandidateModel(mixture));
      alone->AddValidationScan(lesioned, mask, label);
      alone->SetScoringModes({ allModes[mode] });
      alone->SetGaussianSigmas({ 1.5, 3.0 });
      alone->Update();
      for (unsigned int sigma = 0; sigma < 2; ++sigma)
      {
        const unsigned int row = (mixture * 3 + mode) * 2 + sigma;
        EXPECT_EQ(all->GetCandidates()[row].ValidationAUPRC, alone->GetCandidates()[sigma].ValidationAUPRC)
          << "mixture " << mixture << " " << allModes[mode] << " sigma " << (sigma == 0 ? 1.5 : 3.0);
      }
      if (all->GetSelectedIndex() / 2 == mixture * 3 + mode)
      {
        const auto * mine = all->GetValidationResults()[0].AnomalyMap.GetPointer();
        const auto * theirs = alone->GetValidationResults()[0].AnomalyMap.GetPointer();
        ASSERT_EQ(alone->GetSelectedIndex(), all->GetSelectedIndex() % 2);
        EXPECT_TRUE(std::equal(mine->GetBufferPointer(), mine->GetBufferPointer() + count, theirs->GetBufferPointer()));
        EXPECT_EQ(all->GetValidationResults()[0].SliceNLL, alone->GetValidationResults()[0].SliceNLL);
      }
    }
  }

  // A mode the scorer does not know is named.
  auto unknown = overBothMixtures();
  unknown->SetScoringModes({ "gradient", "sobel" });
  EXPECT_NE(cradl_test::exceptionMessage([&] { unknown->Update(); }).find("unknown scoring mode \"sobel\""),
            std::string::npos);

  // The fused map is the fusion filter over the three post-processed maps.
  itk::CradlScoringSettings fusedSettings;
  fusedSettings.Mode = "fused";
  auto scorer = itk::CradlScanScorer::New();
  scorer->SetEncoder(trainer->GetOutput());
  scorer->SetMixture(candidates->GetCandidateModel(0));
  scorer->SetSettings(fusedSettings);
  const auto fused = scorer->Score(lesioned, mask);
  fusedSettings.Mode = "gradient";
  scorer->SetSettings(fusedSettings);
  const auto gradientScored = scorer->Score(lesioned, mask);
  auto       intensity = itk::IntensityZScoreImageFilter<Scan>::New();
  intensity->SetInput(lesioned);
  intensity->SetMaskImage(mask);
  auto intensityPost = itk::MedianGaussianPostprocessImageFilter<Scan>::New();
  intensityPost->SetInput(intensity->GetOutput());
  intensityPost->SetMaskImage(mask);
  intensityPost->Update();
  auto fusion = itk::AnomalyMapFusionImageFilter<Scan>::New();
  fusion->SetMap(0, gradientScored.AnomalyMap);
  fusion->SetMap(1, intensityPost->GetOutput());
  fusion->SetMap(2, patchPost->GetOutput());
  fusion->SetMaskImage(mask);
  fusion->Update();
  EXPECT_TRUE(std::equal(fused.AnomalyMap->GetBufferPointer(), fused.AnomalyMap->GetBufferPointer() + count,
                         fusion->GetOutput()->GetBufferPointer()));
  EXPECT_EQ(fused.SliceNLL, gradientScored.SliceNLL);
  EXPECT_GT(metric->GetAUPRC(), 0.0);

  auto tooMany = itk::GaussianMixtureFitter::New();
  tooMany->SetEncoder(trainer->GetOutput());
  tooMany->AddScan(scans[0], mask);
  tooMany->SetNumberOfComponents(7); // 6 slices
  EXPECT_NE(cradl_test::exceptionMessage([&] { tooMany->Update(); }).find("needs at least as many samples"),
            std::string::npos);

  auto nothing = itk::GaussianMixtureFitter::New();
  EXPECT_NE(cradl_test::exceptionMessage([&] { nothing->Update(); }).find("SetRepresentations"), std::string::npos);
}

// Files torch.load reads but that are not whole models (python3-torch forges
// them from good ones): refused at Load with what is wrong, never accepted to
// fail later in a getter or a filter with a LibTorch error.
TEST(GaussianMixtureFitter, ForgedModelFilesAreRefusedAtLoad)
{
  const auto folder = cradl_test::scratchFolder("forged-models");
  const std::string corpus = std::string(CRADL_TEST_SOURCE_DIR) + "/fuzz/corpus/";
  cradl_test::runPythonOracle("forge_model_files.py", { corpus + "cradlFuzzEncoderModel/tiny-encoder.pt",
                                                        corpus + "cradlFuzzMixtureModel/two-components.pt",
                                                        folder.string() });
  EXPECT_NO_THROW(itk::ContrastiveEncoderModel::Load(corpus + "cradlFuzzEncoderModel/tiny-encoder.pt"));
  EXPECT_NO_THROW(itk::GaussianMixtureModel::Load(corpus + "cradlFuzzMixtureModel/two-components.pt"));
  for (const auto & [name, expected] : std::vector<std::pair<std::string, std::string>>{
         { "encoder-without-preprocessing", "has no \"preprocessing\" dict" },
         { "encoder-without-training", "has no \"training\" dict" },
         { "encoder-without-encoder", "has no \"encoder\" weights" },
         { "encoder-text-clip", "\"preprocessing\" has no number \"clip_minimum\"" } })
  {
    const std::string message =
      cradl_test::exceptionMessage([&] { itk::ContrastiveEncoderModel::Load((folder / (name + ".pt")).string()); });
    EXPECT_NE(message.find(expected), std::string::npos) << name << ": " << message;
  }
  for (const auto & [name, expected] : std::vector<std::pair<std::string, std::string>>{
         { "mixture-nan-mean", "NaN or infinite values" },
         { "mixture-negative-weight", "negative weights" },
         { "mixture-zero-std", "non-positive standard deviation" },
         { "mixture-scalar-weights", "wrong number of dimensions" },
         { "mixture-integer-means", "no floating-point tensor \"means\"" },
         { "mixture-no-fit", "no \"fit\" record" } })
  {
    const std::string message =
      cradl_test::exceptionMessage([&] { itk::GaussianMixtureModel::Load((folder / (name + ".pt")).string()); });
    EXPECT_NE(message.find(expected), std::string::npos) << name << ": " << message;
  }
}
