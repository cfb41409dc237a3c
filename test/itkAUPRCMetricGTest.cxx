#include "itkAUPRCMetric.h"
#include "cradlNpy.h"
#include "cradlPythonOracle.h"
#include "cradlErrorModel.h"
#include "cradlTestImages.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

namespace
{
using Score3D = itk::Image<float, 3>;
using Label3D = itk::Image<unsigned char, 3>;
using Metric3D = itk::AUPRCMetric<Score3D>;
using Score2D = itk::Image<float, 2>;
using Label2D = itk::Image<unsigned char, 2>;

struct Scan
{
  Score3D::Pointer scores;
  Label3D::Pointer labels;
  Label3D::Pointer mask;
};

// Scores rounded to 1/8 (many ties, -0 and +0 among them), positives shifted
// up; a blob-free random label field with the given prevalence.
Scan
randomScan(std::mt19937 & random, long width, long height, long slices, double prevalence)
{
  std::normal_distribution<float>       normal;
  std::uniform_real_distribution<float> uniform;
  Scan                                  scan;
  const auto                            size = Score3D::SizeType{ { static_cast<itk::SizeValueType>(width),
                                                                    static_cast<itk::SizeValueType>(height),
                                                                    static_cast<itk::SizeValueType>(slices) } };
  scan.labels = cradl_test::makeImage<Label3D>(size, cradl_test::vector(1, 1, 2), cradl_test::point(0, 0, 0),
                                               cradl_test::rotation<3>(0.0),
                                               [&](auto) { return uniform(random) < prevalence ? 1 : 0; });
  scan.scores = cradl_test::makeImageLike<Score3D>(scan.labels.GetPointer(), [&](auto index) {
    const float shift = scan.labels->GetPixel(index) ? 1.5f : 0.0f;
    return std::round((normal(random) + shift) * 8.0f) / 8.0f;
  });
  scan.mask = cradl_test::makeImageLike<Label3D>(scan.labels.GetPointer(),
                                                 [&](auto) { return uniform(random) < 0.7f ? 1 : 0; });
  return scan;
}

// Pools the scans' (masked) pixels into flat arrays for the oracle.
void
flatten(const std::vector<Scan> & scans, bool useMask, std::vector<float> & scores, std::vector<uint8_t> & labels)
{
  for (const Scan & scan : scans)
  {
    const auto count = scan.scores->GetBufferedRegion().GetNumberOfPixels();
    for (itk::SizeValueType i = 0; i < count; ++i)
    {
      if (useMask && scan.mask->GetBufferPointer()[i] == 0)
      {
        continue;
      }
      scores.push_back(scan.scores->GetBufferPointer()[i]);
      labels.push_back(scan.labels->GetBufferPointer()[i]);
    }
  }
}

std::map<std::string, double>
sklearnOn(const std::vector<float> & scores, const std::vector<uint8_t> & labels, const std::string & name)
{
  const auto folder = cradl_test::scratchFolder(name);
  cradl::writeNpy((folder / "scores.npy").string(), scores);
  cradl::writeNpy((folder / "labels.npy").string(), labels);
  return cradl_test::runPythonOracle("ranking_oracle.py",
                                     { (folder / "scores.npy").string(), (folder / "labels.npy").string() });
}

void
expectMatchesOracle(const itk::CradlRankingMetrics & metrics, const std::map<std::string, double> & oracle)
{
  // AUPRC and AUROC: each side a float64 sum of at most N terms whose
  // magnitudes add up to at most 1 (recall steps x precision; trapezoids), so
  // each is within gamma_N of the exact value. FPR95 and best Dice are ratios
  // of integer counts: one rounding each side.
  const double pixels = static_cast<double>(metrics.Positives + metrics.Negatives);
  const double sums = 2 * cradl_test::gamma(static_cast<int64_t>(pixels), cradl_test::Float64UnitRoundoff);
  const double ratio = 2 * 2 * cradl_test::Float64UnitRoundoff;
  EXPECT_NEAR(metrics.AUPRC, oracle.at("auprc"), sums);
  EXPECT_NEAR(metrics.AUROC, oracle.at("auroc"), sums);
  EXPECT_NEAR(metrics.FPRAt95TPR, oracle.at("fpr95"), ratio);
  EXPECT_NEAR(metrics.BestDice, oracle.at("best_dice"), ratio);
  EXPECT_EQ(metrics.BestDiceThreshold, oracle.at("best_dice_threshold"));
  EXPECT_EQ(static_cast<double>(metrics.Positives), oracle.at("positives"));
  EXPECT_EQ(static_cast<double>(metrics.Negatives), oracle.at("negatives"));
}
} // namespace

// Scores 0.9+ 0.8- 0.7+ 0.7- 0.1- by hand: AP = 1/2 * 1 + 1/2 * 2/4 = 0.75;
// AUROC = (3 + 1 + 0.5) / 6 = 0.75; TPR reaches 1 at 0.7 with FPR 2/3; Dice
// is 2/3 at both 0.9 and 0.7, the higher threshold wins.
TEST(AUPRCMetric, SmallCaseByHand)
{
  const float  values[] = { 0.9f, 0.8f, 0.7f, 0.7f, 0.1f };
  const int    truth[] = { 1, 0, 1, 0, 0 };
  const auto   geometry = cradl_test::rotation<2>(0.0);
  const auto   scores = cradl_test::makeImage<Score2D>({ { 5, 1 } }, cradl_test::vector(1, 1), cradl_test::point(0, 0),
                                                     geometry, [&](auto i) { return values[i[0]]; });
  const auto   labels = cradl_test::makeImageLike<Label2D>(scores.GetPointer(), [&](auto i) { return truth[i[0]]; });
  auto         metric = itk::AUPRCMetric<Score2D>::New();
  metric->AddImages(scores, labels);
  metric->Compute();
  EXPECT_DOUBLE_EQ(metric->GetAUPRC(), 0.75);
  EXPECT_DOUBLE_EQ(metric->GetAUROC(), 0.75);
  EXPECT_DOUBLE_EQ(metric->GetFPRAt95TPR(), 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(metric->GetBestDice(), 2.0 / 3.0);
  EXPECT_FLOAT_EQ(metric->GetBestDiceThreshold(), 0.9f);
  EXPECT_EQ(metric->GetPixelMetrics().Positives, 2u);
  EXPECT_EQ(metric->GetPixelMetrics().Negatives, 3u);
  ASSERT_EQ(metric->GetPixelMetrics().Recall.size(), 2u);
  EXPECT_DOUBLE_EQ(metric->GetPixelMetrics().Precision[1], 0.5);
}

class AUPRCMetricSizes : public ::testing::TestWithParam<std::tuple<long, long, long, int>>
{};

TEST_P(AUPRCMetricSizes, EqualsSklearnWithTies)
{
  const auto [width, height, slices, scanCount] = GetParam();
  std::mt19937      random(static_cast<unsigned>(width * 7 + scanCount));
  std::vector<Scan> scans;
  auto              metric = Metric3D::New();
  for (int s = 0; s < scanCount; ++s)
  {
    scans.push_back(randomScan(random, width, height, slices, 0.02));
    metric->AddImages(scans.back().scores, scans.back().labels, scans.back().mask);
  }
  metric->Compute();
  std::vector<float>   scores;
  std::vector<uint8_t> labels;
  flatten(scans, false, scores, labels);
  expectMatchesOracle(metric->GetPixelMetrics(),
                      sklearnOn(scores, labels, "auprc-" + std::to_string(scores.size())));
  EXPECT_LE(metric->GetMemoryInBytes(), 4 * scores.size() + 2 * 4 * (std::size_t{ 1 } << 20));
}

INSTANTIATE_TEST_SUITE_P(PixelCounts,
                         AUPRCMetricSizes,
                         ::testing::Values(std::make_tuple(10L, 10L, 1L, 3),       // 300 pixels
                                           std::make_tuple(64L, 48L, 8L, 4),       // 98k
                                           std::make_tuple(128L, 128L, 30L, 6))); // 2.9M, several chunks

TEST(AUPRCMetric, RestrictedToTheMaskEqualsSklearnOnMaskedPixels)
{
  std::mt19937      random(11);
  std::vector<Scan> scans{ randomScan(random, 40, 30, 5, 0.05), randomScan(random, 40, 30, 5, 0.05) };
  auto              metric = Metric3D::New();
  metric->RestrictToMaskOn();
  for (const Scan & scan : scans)
  {
    metric->AddImages(scan.scores, scan.labels, scan.mask);
  }
  metric->Compute();
  std::vector<float>   scores;
  std::vector<uint8_t> labels;
  flatten(scans, true, scores, labels);
  expectMatchesOracle(metric->GetPixelMetrics(), sklearnOn(scores, labels, "auprc-masked"));
}

TEST(AUPRCMetric, SliceLevelEqualsSklearn)
{
  std::mt19937                            random(5);
  std::normal_distribution<double>        normal;
  auto                                    metric = Metric3D::New();
  std::vector<float>                      unusedScores;
  std::vector<double>                     allSliceScores;
  std::vector<uint8_t>                    allSliceLabels;
  for (int s = 0; s < 4; ++s)
  {
    const Scan          scan = randomScan(random, 16, 16, 25, 0.001);
    std::vector<double> sliceScores;
    for (long z = 0; z < 25; ++z)
    {
      bool anomalous = false;
      for (long y = 0; y < 16; ++y)
        for (long x = 0; x < 16; ++x)
          anomalous |= scan.labels->GetPixel({ { x, y, z } }) != 0;
      sliceScores.push_back(std::round((normal(random) + (anomalous ? 1.0 : 0.0)) * 4.0) / 4.0 + 1e-12 * z);
      allSliceScores.push_back(sliceScores.back());
      allSliceLabels.push_back(anomalous);
    }
    metric->AddImages(scan.scores, scan.labels);
    metric->AddSliceScores(sliceScores, scan.labels, "scan" + std::to_string(s));
  }
  metric->Compute();
  ASSERT_TRUE(metric->HasSliceMetrics());
  // float64 slice scores: write them as float64 so that the oracle sees the same values.
  const auto folder = cradl_test::scratchFolder("auprc-slices");
  cradl::writeNpy((folder / "scores.npy").string(), allSliceScores);
  cradl::writeNpy((folder / "labels.npy").string(), allSliceLabels);
  expectMatchesOracle(metric->GetSliceMetrics(),
                      cradl_test::runPythonOracle("ranking_oracle.py", { (folder / "scores.npy").string(),
                                                                          (folder / "labels.npy").string() }));
}

TEST(AUPRCMetric, ResultsDoNotDependOnTheThreadCount)
{
  std::mt19937 random(3);
  const Scan   scan = randomScan(random, 128, 128, 20, 0.01);
  std::vector<itk::CradlRankingMetrics> results;
  for (unsigned int threads : { 1u, 2u, 5u })
  {
    auto metric = Metric3D::New();
    metric->SetNumberOfWorkUnits(threads);
    metric->AddImages(scan.scores, scan.labels);
    metric->Compute();
    results.push_back(metric->GetPixelMetrics());
  }
  for (const auto & result : results)
  {
    EXPECT_EQ(result.AUPRC, results[0].AUPRC);
    EXPECT_EQ(result.AUROC, results[0].AUROC);
    EXPECT_EQ(result.FPRAt95TPR, results[0].FPRAt95TPR);
    EXPECT_EQ(result.BestDice, results[0].BestDice);
  }
}

TEST(AUPRCMetric, BinnedModeBracketsTheExactValues)
{
  std::mt19937 random(8);
  std::normal_distribution<float> normal;
  // Continuous scores so that 2^10 bins really merge distinct values.
  const Scan scan = randomScan(random, 100, 100, 10, 0.03);
  const auto continuous = cradl_test::makeImageLike<Score3D>(scan.scores.GetPointer(), [&](auto index) {
    return normal(random) + (scan.labels->GetPixel(index) ? 1.2f : 0.0f);
  });
  auto exact = Metric3D::New();
  exact->AddImages(continuous, scan.labels);
  exact->Compute();
  auto binned = Metric3D::New();
  binned->SetHistogramBits(10);
  binned->AddImages(continuous, scan.labels);
  binned->Compute();
  const itk::CradlRankingMetrics m = binned->GetPixelMetrics(); // a copy: binned is reused below
  EXPECT_EQ(binned->GetMemoryInBytes(), 2u * 8u * 1024u);
  EXPECT_LE(m.AUPRCLow, exact->GetAUPRC());
  EXPECT_GE(m.AUPRCHigh, exact->GetAUPRC());
  EXPECT_LT(m.AUPRCLow, m.AUPRCHigh);
  EXPECT_LE(std::abs(m.AUROC - exact->GetAUROC()), m.AUROCErrorBound);
  EXPECT_GT(m.AUROCErrorBound, 0.0);
  EXPECT_EQ(m.Positives, exact->GetPixelMetrics().Positives);

  // 20 bits keep 11 mantissa bits: the bounds shrink accordingly.
  binned->SetHistogramBits(20);
  binned->AddImages(continuous, scan.labels);
  binned->Compute();
  const auto & fine = binned->GetPixelMetrics();
  EXPECT_LE(fine.AUPRCLow, exact->GetAUPRC());
  EXPECT_GE(fine.AUPRCHigh, exact->GetAUPRC());
  EXPECT_LT(fine.AUPRCHigh - fine.AUPRCLow, 0.01 * (m.AUPRCHigh - m.AUPRCLow));
  EXPECT_LE(std::abs(fine.AUROC - exact->GetAUROC()), fine.AUROCErrorBound);
  EXPECT_LT(fine.AUROCErrorBound, 1e-3);
}

TEST(AUPRCMetric, CurvesAreThinnedAndMonotone)
{
  std::mt19937 random(2);
  const Scan   scan = randomScan(random, 64, 64, 10, 0.05);
  auto         metric = Metric3D::New();
  metric->SetCurvePoints(50);
  metric->AddImages(scan.scores, scan.labels);
  metric->Compute();
  const auto & m = metric->GetPixelMetrics();
  ASSERT_LE(m.Recall.size(), 50u);
  ASSERT_GE(m.Recall.size(), 2u);
  EXPECT_DOUBLE_EQ(m.Recall.back(), 1.0);
  for (std::size_t i = 1; i < m.Recall.size(); ++i)
  {
    EXPECT_GE(m.Recall[i], m.Recall[i - 1]);
    EXPECT_GE(m.FalsePositiveRate[i], m.FalsePositiveRate[i - 1]);
    EXPECT_LT(m.Thresholds[i], m.Thresholds[i - 1]);
  }
}

TEST(AUPRCMetric, BadInputsAreClearErrors)
{
  std::mt19937 random(4);
  Scan         scan = randomScan(random, 8, 8, 2, 0.1);
  auto         metric = Metric3D::New();

  scan.scores->SetPixel({ { 3, 4, 1 } }, std::numeric_limits<float>::quiet_NaN());
  EXPECT_NE(cradl_test::exceptionMessage([&] { metric->AddImages(scan.scores, scan.labels, nullptr, "sub-07"); })
              .find("scan 'sub-07': non-finite score (nan)"),
            std::string::npos);

  const auto shifted = cradl_test::makeImage<Label3D>({ { 8, 8, 2 } }, cradl_test::vector(1, 1, 2),
                                                      cradl_test::point(0, 0, 1), cradl_test::rotation<3>(0.0),
                                                      [](auto) { return 1; });
  EXPECT_NE(cradl_test::exceptionMessage([&] { metric->AddImages(scan.scores, shifted, nullptr, "sub-08"); })
              .find("scan 'sub-08': the label image is not on the score image's grid (origin"),
            std::string::npos);

  auto healthyOnly = Metric3D::New();
  const auto noLesion = cradl_test::makeImageLike<Label3D>(scan.labels.GetPointer(), [](auto) { return 0; });
  scan.scores->FillBuffer(0.5f);
  healthyOnly->AddImages(scan.scores, noLesion);
  EXPECT_NE(cradl_test::exceptionMessage([&] { healthyOnly->Compute(); }).find("0 positive and 128 negative"),
            std::string::npos);

  EXPECT_NE(cradl_test::exceptionMessage([&] { metric->AddSliceScores({ 1.0 }, scan.labels, "sub-09"); })
              .find("1 slice scores for a label image of 2 slices"),
            std::string::npos);
}
